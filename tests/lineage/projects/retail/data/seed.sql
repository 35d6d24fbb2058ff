CREATE SCHEMA IF NOT EXISTS shop;
CREATE OR REPLACE TABLE shop.customers (
    customer_id BIGINT NOT NULL,
    name VARCHAR NOT NULL,
    country VARCHAR
);
CREATE OR REPLACE TABLE shop.orders (
    order_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    amount DECIMAL(10,2) NOT NULL,
    status VARCHAR NOT NULL,
    ordered_at TIMESTAMP NOT NULL
);
CREATE OR REPLACE TABLE shop.refunds (
    order_id BIGINT NOT NULL,
    refunded DECIMAL(10,2) NOT NULL
);
