-- this model only ever runs on Snowflake
-- rocky-allow: NVL
SELECT ticket_id, NVL(priority, 'normal') AS priority FROM helpdesk.tickets
