-- Running jobs whose lease ran out (their worker died or hangs); the rescuer should empty this within 15 s.
SELECT id, kind, attempt, attempted_by, attempted_at, lease_expires_at, date_trunc('second', expired_for) AS expired_for
FROM inspect.expired_leases
ORDER BY lease_expires_at;
