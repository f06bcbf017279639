-- CSV exports running now, longest first.
SELECT backend_pid, process_id, client_address, date_trunc('second', started_at) AS started_at,
       date_trunc('second', running_for) AS running_for, state
FROM inspect.exports
ORDER BY started_at;
