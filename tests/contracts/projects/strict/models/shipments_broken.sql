-- carrier_id is dropped (required and protected), shipment_id stays nullable
SELECT shipment_id, weight_kg FROM base_shipments
