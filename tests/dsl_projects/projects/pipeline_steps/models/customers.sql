SELECT customer_id, name, region
FROM src.customers
