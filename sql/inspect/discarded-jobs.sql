-- Jobs given up on, newest first, with their last error.
SELECT id, kind, args, attempt, max_attempts, finalized_at, last_error_at, last_error
FROM inspect.discarded_jobs
ORDER BY finalized_at DESC NULLS LAST, id DESC
LIMIT 50;
