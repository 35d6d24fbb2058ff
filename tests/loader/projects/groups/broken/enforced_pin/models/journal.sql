SELECT 1 AS entry_id
