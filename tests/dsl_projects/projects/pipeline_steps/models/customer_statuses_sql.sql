SELECT DISTINCT customer_id, status
FROM raw_orders
