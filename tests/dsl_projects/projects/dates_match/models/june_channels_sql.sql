SELECT
    *,
    CASE
        WHEN channel = 'web' THEN 'online'
        WHEN channel = 'phone' THEN 'remote'
        ELSE 'in_person'
    END AS channel_group,
    ordered_on - DATE '2025-06-01' AS days_in
FROM raw_orders
WHERE ordered_on >= DATE '2025-06-01' AND ordered_on < DATE '2025-07-01'
