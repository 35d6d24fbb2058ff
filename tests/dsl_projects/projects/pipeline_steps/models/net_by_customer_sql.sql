SELECT customer_id, SUM(amount - discount) AS net_total, COUNT(*) AS orders
FROM raw_orders
WHERE amount - discount > 20
GROUP BY customer_id
