-- Orders that count: cancelled ones are dropped here, once.
SELECT
    order_id,
    customer_id,
    amount,
    status,
    ordered_at
FROM seeds.orders
WHERE status <> 'cancelled'
