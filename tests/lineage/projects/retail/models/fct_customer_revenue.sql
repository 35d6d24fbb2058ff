SELECT
    customer_id,
    country,
    SUM(net_amount) AS revenue,
    COUNT(*) AS orders,
    MAX(refunded) AS max_refund,
    CAST(MAX(order_seq) AS INTEGER) AS last_seq
FROM int_order_facts
GROUP BY customer_id, country
