-- inspect.exports (0008) described the export as it first was: a cursor whose transaction sat idle while the
-- client took each batch. An export is now one COPY (SELECT …) TO STDOUT through Postgres.CopyOutStream,
-- active from its first row to its last; the view is unchanged, what its comments say about it is not.
-- (0008 stays as it was applied: migrations are checksummed.)

COMMENT ON VIEW inspect.exports IS 'CSV exports running now (GET /admin/customers/export, clientele export customers): each is one COPY (SELECT …) TO STDOUT in a read-only transaction, on a connection it holds until the last row left; its transaction sets application_name to clientele-export/<pid>. sql/inspect/exports.sql adds which side is slow.';
COMMENT ON COLUMN inspect.exports.backend_pid IS 'The PostgreSQL backend running the COPY. pg_terminate_backend ends it at once; pg_cancel_backend waits while the backend is blocked writing to a slow client.';
COMMENT ON COLUMN inspect.exports.process_id IS 'The clientele process exporting (a serve worker or the command).';
COMMENT ON COLUMN inspect.exports.client_address IS 'Where that process connects from.';
COMMENT ON COLUMN inspect.exports.started_at IS 'When the export began (its transaction''s start).';
COMMENT ON COLUMN inspect.exports.running_for IS 'How long it has run.';
COMMENT ON COLUMN inspect.exports.state IS 'active throughout the COPY, whether the database is reading rows or the backend waits to write to a slow client (wait_event ClientWrite in pg_stat_activity); idle in transaction only for the moment before the COPY starts.';
