SELECT order_id AS event_id, 'order' AS kind FROM stg_orders
UNION ALL
SELECT order_id, 'refund' FROM raw_refunds
