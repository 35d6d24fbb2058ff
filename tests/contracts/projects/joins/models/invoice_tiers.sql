SELECT i.invoice_id, i.total, a.tier
FROM invoices AS i
LEFT JOIN accounts AS a ON a.account_id = i.account_id
