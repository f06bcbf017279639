-- Customers by has_account: live, soft-deleted, created in the last day and week.
--   scripts/db.sh psql -f sql/inspect/customers.sql
SELECT has_account, live, deleted, created_last_day, created_last_week, newest_created_at
FROM inspect.customer_totals
ORDER BY has_account;
