SELECT
    *,
    SUM(amount) OVER (
        PARTITION BY customer_id ORDER BY ordered_on
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS running_total,
    SUM(amount) OVER (
        PARTITION BY customer_id ORDER BY ordered_on
        ROWS BETWEEN 2 PRECEDING AND CURRENT ROW
    ) AS moving_total,
    ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY ordered_on DESC) AS recency_rank,
    LAG(amount, 1) OVER (PARTITION BY customer_id ORDER BY ordered_on) AS prev_amount,
    SUM(amount) OVER (PARTITION BY customer_id) AS customer_total
FROM stg_orders
