SELECT invoice_id, account_id, total FROM crm.invoices
