SELECT account_id, tier FROM crm.accounts
