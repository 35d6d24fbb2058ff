SELECT 1 AS sale_id, 'south' AS area
