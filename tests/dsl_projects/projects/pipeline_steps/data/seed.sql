CREATE SCHEMA IF NOT EXISTS src;

CREATE OR REPLACE TABLE src.customers (
    customer_id BIGINT NOT NULL,
    name VARCHAR NOT NULL,
    region VARCHAR
);
INSERT INTO src.customers
SELECT i, 'customer_' || i, CASE i % 4 WHEN 0 THEN 'north' WHEN 1 THEN 'south' WHEN 2 THEN 'west' END
FROM range(1, 13) AS t(i);

CREATE OR REPLACE TABLE src.orders (
    order_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    amount DECIMAL(10,2) NOT NULL,
    discount DECIMAL(10,2),
    status VARCHAR,
    ordered_on DATE NOT NULL
);
INSERT INTO src.orders
SELECT
    i,
    1 + (i * 7) % 12,
    CAST(10 + (i * 53) % 240 + (i % 97) / 100 AS DECIMAL(10,2)),
    CASE WHEN i % 10 = 0 THEN NULL ELSE CAST(5 * (i % 4) AS DECIMAL(10,2)) END,
    CASE WHEN i % 9 = 0 THEN 'cancelled' WHEN i % 5 = 0 THEN 'pending' ELSE 'completed' END,
    DATE '2025-01-01' + CAST(i * 3 AS INTEGER)
FROM range(1, 121) AS t(i);
