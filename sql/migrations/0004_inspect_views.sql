-- Read-only views for operators, in their own schema: `SELECT * FROM inspect.queue` from psql, or the
-- ready-made queries in sql/inspect/*.sql. None of them can be written through (each joins or aggregates,
-- which PostgreSQL never makes updatable), and none holds state of its own.

CREATE SCHEMA inspect;
COMMENT ON SCHEMA inspect IS 'Read-only views for operators (\dv+ inspect.*); queries using them are in sql/inspect/.';

CREATE VIEW inspect.customer_totals AS
SELECT c.has_account,
       count(*) FILTER (WHERE c.deleted_at IS NULL) AS live,
       count(*) FILTER (WHERE c.deleted_at IS NOT NULL) AS deleted,
       count(*) FILTER (WHERE c.deleted_at IS NULL AND c.created_at > now() - interval '1 day') AS created_last_day,
       count(*) FILTER (WHERE c.deleted_at IS NULL AND c.created_at > now() - interval '7 days') AS created_last_week,
       max(c.created_at) AS newest_created_at
FROM customer c
GROUP BY c.has_account;
COMMENT ON VIEW inspect.customer_totals IS 'Customers by has_account: live and soft-deleted, and how many were created lately. Scans the table (customer_counter has the live counts without one).';
COMMENT ON COLUMN inspect.customer_totals.has_account IS 'True for customers who registered (have a password).';
COMMENT ON COLUMN inspect.customer_totals.live IS 'Customers not deleted.';
COMMENT ON COLUMN inspect.customer_totals.deleted IS 'Soft-deleted customers (deleted_at set).';
COMMENT ON COLUMN inspect.customer_totals.created_last_day IS 'Live customers created in the last 24 hours.';
COMMENT ON COLUMN inspect.customer_totals.created_last_week IS 'Live customers created in the last 7 days.';
COMMENT ON COLUMN inspect.customer_totals.newest_created_at IS 'created_at of the newest customer, deleted or not.';

CREATE VIEW inspect.customers_per_day AS
SELECT date_trunc('day', c.created_at)::date AS day,
       count(*) AS created,
       count(*) FILTER (WHERE c.has_account) AS with_account,
       count(*) FILTER (WHERE NOT c.has_account) AS without_account,
       count(*) FILTER (WHERE c.deleted_at IS NOT NULL) AS deleted_since
FROM customer c
GROUP BY 1;
COMMENT ON VIEW inspect.customers_per_day IS 'Customers created per day (UTC), deleted ones included; one row per day that has any.';
COMMENT ON COLUMN inspect.customers_per_day.day IS 'The day of created_at, in UTC.';
COMMENT ON COLUMN inspect.customers_per_day.created IS 'Customers created that day.';
COMMENT ON COLUMN inspect.customers_per_day.with_account IS 'Of those, how many have an account.';
COMMENT ON COLUMN inspect.customers_per_day.without_account IS 'Of those, how many have none.';
COMMENT ON COLUMN inspect.customers_per_day.deleted_since IS 'Of those, how many are soft-deleted now.';

CREATE VIEW inspect.recent_customers AS
SELECT c.id, c.email, c.first_name, c.last_name, c.has_account, c.created_at,
       coalesce(g.groups, 0) AS groups,
       coalesce(a.addresses, 0) AS addresses
FROM customer c
LEFT JOIN LATERAL (SELECT count(*) AS groups FROM customer_group_customers m
                   JOIN customer_group cg ON cg.id = m.customer_group_id AND cg.deleted_at IS NULL
                   WHERE m.customer_id = c.id) g ON true
LEFT JOIN LATERAL (SELECT count(*) AS addresses FROM address ad
                   WHERE ad.customer_id = c.id AND ad.deleted_at IS NULL) a ON true
WHERE c.deleted_at IS NULL;
COMMENT ON VIEW inspect.recent_customers IS 'Live customers with their number of groups and addresses; ORDER BY created_at DESC LIMIT n uses the list index.';
COMMENT ON COLUMN inspect.recent_customers.id IS 'cus_ id.';
COMMENT ON COLUMN inspect.recent_customers.email IS 'Email.';
COMMENT ON COLUMN inspect.recent_customers.first_name IS 'Given name.';
COMMENT ON COLUMN inspect.recent_customers.last_name IS 'Family name.';
COMMENT ON COLUMN inspect.recent_customers.has_account IS 'Registered (has a password).';
COMMENT ON COLUMN inspect.recent_customers.created_at IS 'When the customer was created.';
COMMENT ON COLUMN inspect.recent_customers.groups IS 'Live groups the customer belongs to.';
COMMENT ON COLUMN inspect.recent_customers.addresses IS 'Live addresses of the customer.';

CREATE VIEW inspect.customer_group_sizes AS
SELECT cg.id, cg.name,
       count(c.id) AS members,
       count(c.id) FILTER (WHERE c.has_account) AS members_with_account,
       cg.created_at
FROM customer_group cg
LEFT JOIN customer_group_customers m ON m.customer_group_id = cg.id
LEFT JOIN customer c ON c.id = m.customer_id AND c.deleted_at IS NULL
WHERE cg.deleted_at IS NULL
GROUP BY cg.id;
COMMENT ON VIEW inspect.customer_group_sizes IS 'Live customer groups and how many live customers each holds.';
COMMENT ON COLUMN inspect.customer_group_sizes.id IS 'cgrp_ id.';
COMMENT ON COLUMN inspect.customer_group_sizes.name IS 'Group name.';
COMMENT ON COLUMN inspect.customer_group_sizes.members IS 'Live customers in the group.';
COMMENT ON COLUMN inspect.customer_group_sizes.members_with_account IS 'Of those, how many have an account.';
COMMENT ON COLUMN inspect.customer_group_sizes.created_at IS 'When the group was created.';

CREATE VIEW inspect.queue AS
SELECT j.kind, j.state,
       count(*) AS jobs,
       now() - min(j.created_at) AS oldest_age,
       min(j.scheduled_at) FILTER (WHERE j.state IN ('available', 'scheduled', 'retryable')) AS next_run_at,
       max(j.attempt) AS max_attempt
FROM job j
GROUP BY j.kind, j.state;
COMMENT ON VIEW inspect.queue IS 'The job queue by kind and state: how many, and how long the oldest has been there. Completed jobs stay until pruned (24 h).';
COMMENT ON COLUMN inspect.queue.kind IS 'Job kind (customer.created, ...).';
COMMENT ON COLUMN inspect.queue.state IS 'available, scheduled, running, retryable, completed, discarded or cancelled.';
COMMENT ON COLUMN inspect.queue.jobs IS 'Jobs of this kind in this state.';
COMMENT ON COLUMN inspect.queue.oldest_age IS 'now() minus the created_at of the oldest of them.';
COMMENT ON COLUMN inspect.queue.next_run_at IS 'For waiting states: the earliest scheduled_at (when the next one may run).';
COMMENT ON COLUMN inspect.queue.max_attempt IS 'The highest attempt number among them.';

CREATE VIEW inspect.discarded_jobs AS
SELECT j.id, j.kind, j.args, j.attempt, j.max_attempts, j.finalized_at,
       last_failure.entry ->> 'error' AS last_error,
       (last_failure.entry ->> 'at')::timestamptz AS last_error_at
FROM job j
CROSS JOIN LATERAL (SELECT j.errors -> -1 AS entry) AS last_failure
WHERE j.state = 'discarded';
COMMENT ON VIEW inspect.discarded_jobs IS 'Jobs given up on (last attempt failed, or a permanent error), with their last error. Pruned after 7 days.';
COMMENT ON COLUMN inspect.discarded_jobs.id IS 'job.id.';
COMMENT ON COLUMN inspect.discarded_jobs.kind IS 'Job kind.';
COMMENT ON COLUMN inspect.discarded_jobs.args IS 'The handler''s input.';
COMMENT ON COLUMN inspect.discarded_jobs.attempt IS 'Attempts made.';
COMMENT ON COLUMN inspect.discarded_jobs.max_attempts IS 'Attempts allowed.';
COMMENT ON COLUMN inspect.discarded_jobs.finalized_at IS 'When it was discarded.';
COMMENT ON COLUMN inspect.discarded_jobs.last_error IS 'The error of the last failed attempt (job.errors, last entry).';
COMMENT ON COLUMN inspect.discarded_jobs.last_error_at IS 'When that attempt failed.';

CREATE VIEW inspect.email_deliveries AS
SELECT d.template, d.status,
       count(*) AS deliveries,
       sum(d.attempts) AS attempts,
       min(d.created_at) AS first_created_at,
       max(d.sent_at) AS last_sent_at,
       (array_agg(d.last_error ORDER BY d.id DESC) FILTER (WHERE d.last_error IS NOT NULL))[1] AS latest_error
FROM email_delivery d
GROUP BY d.template, d.status;
COMMENT ON VIEW inspect.email_deliveries IS 'Emails by template and status (pending, sent, failed), with the latest error seen.';
COMMENT ON COLUMN inspect.email_deliveries.template IS 'Which email (welcome, ...).';
COMMENT ON COLUMN inspect.email_deliveries.status IS 'pending, sent or failed.';
COMMENT ON COLUMN inspect.email_deliveries.deliveries IS 'Deliveries (one per customer and template).';
COMMENT ON COLUMN inspect.email_deliveries.attempts IS 'Delivery attempts made in total.';
COMMENT ON COLUMN inspect.email_deliveries.first_created_at IS 'When the oldest of them was first attempted.';
COMMENT ON COLUMN inspect.email_deliveries.last_sent_at IS 'When the mail server last accepted one (sent only).';
COMMENT ON COLUMN inspect.email_deliveries.latest_error IS 'last_error of the newest delivery that has one.';

CREATE VIEW inspect.expired_leases AS
SELECT j.id, j.kind, j.attempt, j.attempted_by, j.attempted_at, j.lease_expires_at,
       lease.expired_for
FROM job j
CROSS JOIN LATERAL (SELECT now() - j.lease_expires_at AS expired_for) AS lease
WHERE j.state = 'running' AND j.lease_expires_at < now();
COMMENT ON VIEW inspect.expired_leases IS 'Running jobs whose lease ran out: their worker died or hangs. The rescuer returns them to the queue within 15 s; rows that stay here mean no worker is running.';
COMMENT ON COLUMN inspect.expired_leases.id IS 'job.id.';
COMMENT ON COLUMN inspect.expired_leases.kind IS 'Job kind.';
COMMENT ON COLUMN inspect.expired_leases.attempt IS 'The attempt that was running.';
COMMENT ON COLUMN inspect.expired_leases.attempted_by IS 'The worker that claimed it (host/pid).';
COMMENT ON COLUMN inspect.expired_leases.attempted_at IS 'When that attempt started.';
COMMENT ON COLUMN inspect.expired_leases.lease_expires_at IS 'When the lease ran out.';
COMMENT ON COLUMN inspect.expired_leases.expired_for IS 'How long ago.';

CREATE VIEW inspect.connections AS
SELECT a.application_name,
       split_part(a.application_name, '/', 1) AS program,
       nullif(split_part(a.application_name, '/', 2), '') AS process_id,
       count(*) AS connections,
       count(*) FILTER (WHERE a.state = 'active') AS active,
       count(*) FILTER (WHERE a.state = 'idle') AS idle,
       count(*) FILTER (WHERE a.state LIKE 'idle in transaction%') AS idle_in_transaction,
       max(now() - a.xact_start) AS longest_transaction,
       array_agg(DISTINCT host(a.client_addr)) FILTER (WHERE a.client_addr IS NOT NULL) AS client_addresses
FROM pg_stat_activity a
WHERE a.datname = current_database() AND a.backend_type = 'client backend'
GROUP BY a.application_name;
COMMENT ON VIEW inspect.connections IS 'Connections to this database per process, by application_name: ours are clientele-serve/<pid>, clientele-worker/<pid>, clientele-worker-listen/<pid>, clientele-migrate/<pid>, ... (behind PgBouncer the pooler''s own connections show instead).';
COMMENT ON COLUMN inspect.connections.application_name IS 'As the client set it.';
COMMENT ON COLUMN inspect.connections.program IS 'application_name before the first slash (clientele-serve, clientele-worker, psql, ...).';
COMMENT ON COLUMN inspect.connections.process_id IS 'After the slash: the client''s process id on its own host (in a container, its pid there).';
COMMENT ON COLUMN inspect.connections.connections IS 'Open connections.';
COMMENT ON COLUMN inspect.connections.active IS 'Of those, running a statement now.';
COMMENT ON COLUMN inspect.connections.idle IS 'Of those, waiting for a statement.';
COMMENT ON COLUMN inspect.connections.idle_in_transaction IS 'Of those, inside a transaction but idle (holding locks).';
COMMENT ON COLUMN inspect.connections.longest_transaction IS 'Age of the oldest open transaction among them.';
COMMENT ON COLUMN inspect.connections.client_addresses IS 'The hosts they come from.';
