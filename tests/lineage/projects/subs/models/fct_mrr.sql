SELECT
    s.plan_id,
    p.tier,
    SUM(s.price) AS mrr
FROM stg_subscriptions AS s
JOIN dim_plans AS p USING (plan_id)
GROUP BY s.plan_id, p.tier
