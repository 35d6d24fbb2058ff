-- every contract column is present with the promised type
SELECT shipment_id, carrier_id, weight_kg FROM base_shipments
