CREATE SCHEMA IF NOT EXISTS landing;
CREATE OR REPLACE TABLE landing.visits AS
SELECT i AS visit_id, 1 + (i % 5) AS site_id, i * 3 AS duration_s,
       CASE WHEN i % 4 = 0 THEN 'bot' ELSE 'human' END AS agent
FROM range(1, 50) AS t(i);
