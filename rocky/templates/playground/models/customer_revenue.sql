-- One row per customer: a join and three aggregates.
SELECT
    c.customer_id,
    c.name,
    c.country,
    COUNT(o.order_id) AS order_count,
    SUM(o.amount) AS total_revenue,
    MAX(o.ordered_at) AS last_order_at
FROM stg_customers AS c
JOIN stg_orders AS o ON o.customer_id = c.customer_id
GROUP BY c.customer_id, c.name, c.country
