SELECT 1 AS sale_id, 'east' AS area
