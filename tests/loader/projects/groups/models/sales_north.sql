SELECT 1 AS sale_id, 'north' AS area
