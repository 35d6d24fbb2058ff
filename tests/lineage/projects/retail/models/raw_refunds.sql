SELECT order_id, refunded FROM shop.refunds
