SELECT
    CAST(shipment_id AS BIGINT) AS shipment_id,
    CAST(carrier_id AS BIGINT) AS carrier_id,
    CAST(weight_kg AS DECIMAL(12,3)) AS weight_kg
FROM landing.shipments
