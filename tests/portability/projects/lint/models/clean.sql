-- portable everywhere
SELECT ticket_id, COALESCE(priority, 'normal') AS priority
FROM helpdesk.tickets
