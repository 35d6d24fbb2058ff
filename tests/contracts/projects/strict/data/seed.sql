CREATE SCHEMA IF NOT EXISTS landing;
CREATE OR REPLACE TABLE landing.shipments AS
SELECT i AS shipment_id, 100 + (i % 7) AS carrier_id, CAST(i * 1.25 AS DECIMAL(12,3)) AS weight_kg
FROM range(1, 20) AS t(i);
