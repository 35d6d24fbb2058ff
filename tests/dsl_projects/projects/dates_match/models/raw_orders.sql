SELECT order_id, amount, ordered_on, channel
FROM src.orders
