SELECT 7 AS account_id, 250 AS balance
