-- The job queue by kind and state, with the age of the oldest job in each.
SELECT kind, state, jobs, date_trunc('second', oldest_age) AS oldest_age, next_run_at, max_attempt
FROM inspect.queue
ORDER BY kind, state;
