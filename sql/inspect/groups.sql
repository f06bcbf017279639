-- Live customer groups, largest first.
SELECT id, name, members, members_with_account, created_at
FROM inspect.customer_group_sizes
ORDER BY members DESC, name;
