SELECT customer_id, name, country FROM shop.customers
