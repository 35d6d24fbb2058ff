SELECT
    customer_id,
    name,
    country,
    signed_up_at
FROM seeds.customers
