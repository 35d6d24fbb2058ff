SELECT order_id, customer_id, amount, ordered_on
FROM seeds.orders
