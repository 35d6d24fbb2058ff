SELECT
    *,
    status IS NULL AS unknown_status,
    status = 'paid' AS is_paid,
    status IS DISTINCT FROM 'paid' AS changed,
    CASE
        WHEN status = 'paid' THEN 'done'
        WHEN status IS DISTINCT FROM 'cancelled' THEN 'open'
        ELSE 'closed'
    END AS label
FROM stg_orders
