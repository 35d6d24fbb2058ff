SELECT order_id, customer_id, product, amount, status, ordered_on
FROM seeds.orders
