SELECT *
FROM stg_orders
WHERE status IS DISTINCT FROM 'cancelled'
