-- NVL exists on Snowflake and Databricks only
SELECT
    ticket_id,
    NVL(priority, 'normal') AS priority
FROM helpdesk.tickets
