CREATE SCHEMA IF NOT EXISTS src;

CREATE OR REPLACE TABLE src.orders (
    order_id INTEGER NOT NULL,
    amount DECIMAL(10,2),
    ordered_on DATE NOT NULL,
    channel VARCHAR
);
INSERT INTO src.orders
SELECT
    i,
    CASE WHEN i % 11 = 0 THEN NULL ELSE CAST(20 + (i * 97) % 700 AS DECIMAL(10,2)) END,
    DATE '2025-04-01' + CAST(i // 2 AS INTEGER),
    CASE i % 4 WHEN 0 THEN 'web' WHEN 1 THEN 'store' WHEN 2 THEN 'phone' END
FROM range(1, 201) AS t(i);
