CREATE SCHEMA IF NOT EXISTS source;
CREATE OR REPLACE TABLE source.events AS
SELECT i AS event_id, 1 + (i % 9) AS user_id, i * 2.5 AS score FROM range(1, 40) t(i);
