SELECT order_id, customer_id, amount, discount, status, ordered_on
FROM src.orders
