WITH named AS (
    SELECT customer_id, UPPER(name) AS name, country FROM raw_customers
)
SELECT customer_id, name, COALESCE(country, 'unknown') AS country
FROM named
