SELECT
    country,
    COUNT(*) AS customers,
    SUM(total_revenue) AS revenue
FROM customer_revenue
GROUP BY country
