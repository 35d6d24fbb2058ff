-- A plain SQL != drops the NULL rows too.
SELECT *
FROM stg_orders
WHERE status != 'cancelled'
