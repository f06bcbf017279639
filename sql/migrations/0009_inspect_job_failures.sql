-- Failed attempts of jobs in any state, for the admin page's operations view and for psql
-- (sql/inspect/job-failures.sql). inspect.discarded_jobs shows only the jobs given up on; a job that is
-- still being retried (the SMTP server is down) or that succeeded after failures shows here too.

CREATE VIEW inspect.job_failures AS
SELECT j.id, j.kind, j.state, j.attempt, j.max_attempts,
       jsonb_array_length(j.errors) AS failures,
       last_failure.entry ->> 'error' AS last_error,
       (last_failure.entry ->> 'at')::timestamptz AS last_error_at,
       CASE WHEN j.state IN ('available', 'scheduled', 'retryable') THEN j.scheduled_at END AS next_run_at
FROM job j
CROSS JOIN LATERAL (SELECT j.errors -> -1 AS entry) AS last_failure
WHERE j.errors <> '[]'::jsonb;
COMMENT ON VIEW inspect.job_failures IS 'Jobs with at least one failed attempt, whatever their state now (retrying, discarded, or completed after failing), with their last error. Scans job, which the pruner keeps small.';
COMMENT ON COLUMN inspect.job_failures.id IS 'job.id.';
COMMENT ON COLUMN inspect.job_failures.kind IS 'Job kind.';
COMMENT ON COLUMN inspect.job_failures.state IS 'The job''s state now: retryable (will run again), discarded (given up), completed (succeeded later), ...';
COMMENT ON COLUMN inspect.job_failures.attempt IS 'Attempts started so far.';
COMMENT ON COLUMN inspect.job_failures.max_attempts IS 'Attempts allowed.';
COMMENT ON COLUMN inspect.job_failures.failures IS 'Failed attempts recorded in job.errors.';
COMMENT ON COLUMN inspect.job_failures.last_error IS 'The error of the last failed attempt (job.errors, last entry).';
COMMENT ON COLUMN inspect.job_failures.last_error_at IS 'When that attempt failed.';
COMMENT ON COLUMN inspect.job_failures.next_run_at IS 'For a job that will run again: when, at the earliest (scheduled_at); null otherwise.';
