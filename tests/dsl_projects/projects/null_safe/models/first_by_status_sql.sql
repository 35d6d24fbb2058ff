SELECT *
FROM stg_orders
ORDER BY status, order_id
LIMIT 6
