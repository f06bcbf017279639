-- Customers created per day (UTC), the last 30 days that have any.
SELECT day, created, with_account, without_account, deleted_since
FROM inspect.customers_per_day
ORDER BY day DESC
LIMIT 30;
