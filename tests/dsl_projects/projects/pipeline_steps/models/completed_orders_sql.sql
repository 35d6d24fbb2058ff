WITH completed AS (
    SELECT * FROM raw_orders WHERE status = 'completed'
)
SELECT o.order_id, o.customer_id, c.region, o.amount, o.amount > 150 AS big_order
FROM completed AS o
JOIN customers AS c ON o.customer_id = c.customer_id
