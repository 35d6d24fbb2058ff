SELECT
    customer_id,
    SUM(amount) AS total_revenue,
    COUNT(*) AS order_count,
    SUM(amount) / COUNT(*) AS avg_order_value
FROM raw_orders
WHERE status IS DISTINCT FROM 'cancelled'
GROUP BY customer_id
HAVING SUM(amount) > 100
ORDER BY total_revenue DESC, customer_id
LIMIT 5
