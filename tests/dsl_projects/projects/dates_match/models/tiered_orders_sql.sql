SELECT
    *,
    CASE
        WHEN amount > 500 THEN 'premium'
        WHEN amount > 100 THEN 'standard'
        ELSE 'budget'
    END AS tier
FROM raw_orders
WHERE ordered_on >= DATE '2025-06-01' AND amount IS NOT NULL
