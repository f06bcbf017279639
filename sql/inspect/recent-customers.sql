-- The 20 newest live customers, with their number of groups and addresses.
SELECT id, email, first_name, last_name, has_account, created_at, groups, addresses
FROM inspect.recent_customers
ORDER BY created_at DESC, id DESC
LIMIT 20;
