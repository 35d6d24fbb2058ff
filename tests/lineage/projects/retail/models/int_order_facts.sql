SELECT
    o.order_id,
    o.customer_id,
    c.country,
    o.amount,
    r.refunded,
    o.amount - COALESCE(r.refunded, 0) AS net_amount,
    ROW_NUMBER() OVER (PARTITION BY o.customer_id ORDER BY o.ordered_at) AS order_seq
FROM stg_orders AS o
JOIN stg_customers AS c ON c.customer_id = o.customer_id
LEFT JOIN (
    SELECT order_id, SUM(refunded) AS refunded FROM raw_refunds GROUP BY order_id
) AS r ON r.order_id = o.order_id
