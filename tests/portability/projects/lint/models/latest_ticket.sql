SELECT ticket_id, opened_at
FROM helpdesk.tickets
QUALIFY ROW_NUMBER() OVER (PARTITION BY ticket_id ORDER BY opened_at DESC) = 1
