SELECT order_id, status, amount
FROM seeds.orders
