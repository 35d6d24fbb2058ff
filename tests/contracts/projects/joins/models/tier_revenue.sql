SELECT tier, SUM(total) AS revenue FROM invoice_tiers GROUP BY tier
