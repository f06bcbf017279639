-- The latest failed attempts of jobs in any state (retrying, discarded, or completed after failing).
SELECT id, kind, state, attempt, max_attempts, failures, last_error_at, next_run_at, last_error
FROM inspect.job_failures
ORDER BY last_error_at DESC NULLS LAST, id DESC
LIMIT 50;
