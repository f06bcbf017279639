-- Customer imports, newest first, with their progress and rate; running ones first.
SELECT id, state, rows_done, rows_total, percent_done, rows_created, rows_updated, rows_skipped, rows_failed,
       rows_per_second, on_conflict, size, date_trunc('second', created_at) AS created_at, job_attempt, worker,
       last_job_error
FROM inspect.imports
ORDER BY state <> 'running', created_at DESC
LIMIT 50;
