-- CSV exports running now, longest first.
-- waiting_for: the slow side. An export is one COPY, active throughout: the backend waits for the client
-- while it cannot write (wait event ClientWrite), for the database otherwise.
SELECT e.backend_pid, e.process_id, e.client_address, date_trunc('second', e.started_at) AS started_at,
       date_trunc('second', e.running_for) AS running_for, e.state,
       CASE WHEN a.wait_event = 'ClientWrite' OR e.state = 'idle in transaction' THEN 'client' ELSE 'database' END
           AS waiting_for
FROM inspect.exports e
LEFT JOIN pg_stat_activity a ON a.pid = e.backend_pid
ORDER BY e.started_at;
