SELECT
    customer_id,
    SUM(amount) AS total_revenue,
    COUNT(*) AS order_count,
    MIN(ordered_on) AS first_order
FROM stg_orders
WHERE status IS DISTINCT FROM 'cancelled'
GROUP BY customer_id
HAVING SUM(amount) > 0
