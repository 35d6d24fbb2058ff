SELECT * FROM shop.orders
