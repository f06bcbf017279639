-- Customers at scale (issue 17): an index for every order of the customer list, so that a cursor page is a
-- walk down an index from its position, whatever the order and the depth.

-- One btree per sort key of GET /admin/customers?order=…, with id as the tie-breaker (each serves both
-- directions). created_at has customer_created_at_id (0001), id the primary key. The free-text columns are
-- indexed (and sorted) by their first 256 characters: a btree entry holds at most about 2,700 bytes, and a
-- whole-column index would make a create with a longer name fail.
CREATE INDEX customer_email_id ON customer (email, id) WHERE deleted_at IS NULL;
COMMENT ON INDEX customer_email_id IS 'Customer list ordered by email (cursor pages walk it from their position).';
CREATE INDEX customer_first_name_id ON customer (substr(first_name, 1, 256), id) WHERE deleted_at IS NULL;
COMMENT ON INDEX customer_first_name_id IS 'Customer list ordered by first_name (its first 256 characters, then id).';
CREATE INDEX customer_last_name_id ON customer (substr(last_name, 1, 256), id) WHERE deleted_at IS NULL;
COMMENT ON INDEX customer_last_name_id IS 'Customer list ordered by last_name (its first 256 characters, then id).';
CREATE INDEX customer_phone_id ON customer (substr(phone, 1, 256), id) WHERE deleted_at IS NULL;
COMMENT ON INDEX customer_phone_id IS 'Customer list ordered by phone (its first 256 characters, then id).';
CREATE INDEX customer_has_account_id ON customer (has_account, id) WHERE deleted_at IS NULL;
COMMENT ON INDEX customer_has_account_id IS 'Customer list ordered by has_account, then id.';
CREATE INDEX customer_updated_at_id ON customer (updated_at, id) WHERE deleted_at IS NULL;
COMMENT ON INDEX customer_updated_at_id IS 'Customer list ordered by updated_at, then id.';

-- CSV imports (POST /admin/customers/imports, clientele import customers): the file, its progress, its
-- failed rows. The worker runs an import in batches; each batch commits its customers together with the
-- progress that counts them, so a restarted run resumes at rows_done and writes no row twice.
CREATE TABLE customer_import (
    id            character varying PRIMARY KEY,
    state         character varying NOT NULL DEFAULT 'queued'
                  CHECK (state IN ('queued', 'running', 'completed', 'failed')),
    on_conflict   character varying NOT NULL CHECK (on_conflict IN ('skip', 'update')),
    welcome_email boolean NOT NULL,
    columns       text[] NOT NULL,
    rows_total    integer NOT NULL DEFAULT 0,
    rows_done     integer NOT NULL DEFAULT 0,
    rows_created  integer NOT NULL DEFAULT 0,
    rows_updated  integer NOT NULL DEFAULT 0,
    rows_skipped  integer NOT NULL DEFAULT 0,
    rows_failed   integer NOT NULL DEFAULT 0,
    bytes         bigint NOT NULL DEFAULT 0,
    job_id        bigint,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    started_at    timestamptz,
    completed_at  timestamptz
);
COMMENT ON TABLE customer_import IS 'CSV imports of customers and their progress (API.md "Imports"); inspect.imports shows them with rates.';
COMMENT ON COLUMN customer_import.id IS 'cimp_ followed by a ULID.';
COMMENT ON COLUMN customer_import.state IS 'queued (stored, waiting for a worker), running, completed, failed (its job was given up; the API also reports failed when the job is discarded or gone).';
COMMENT ON COLUMN customer_import.on_conflict IS 'skip or update: what a row does whose email belongs to a live customer.';
COMMENT ON COLUMN customer_import.welcome_email IS 'Whether each customer the import creates gets the welcome email (a customer.created job).';
COMMENT ON COLUMN customer_import.columns IS 'The header of the file, in its order.';
COMMENT ON COLUMN customer_import.rows_total IS 'Data rows in the file (the header and empty lines not counted).';
COMMENT ON COLUMN customer_import.rows_done IS 'Rows processed so far, from the first: committed with the batch that processed them; a resumed run starts after them.';
COMMENT ON COLUMN customer_import.rows_created IS 'Rows that created a customer.';
COMMENT ON COLUMN customer_import.rows_updated IS 'Rows that updated a customer (on_conflict = update).';
COMMENT ON COLUMN customer_import.rows_skipped IS 'Rows whose email belonged to a live customer (on_conflict = skip).';
COMMENT ON COLUMN customer_import.rows_failed IS 'Rows refused (customer_import_error has each with its reason).';
COMMENT ON COLUMN customer_import.bytes IS 'Size of the uploaded file.';
COMMENT ON COLUMN customer_import.job_id IS 'The customer.import job that runs it (job.id; pruned with the job).';
COMMENT ON COLUMN customer_import.created_at IS 'When the file was uploaded.';
COMMENT ON COLUMN customer_import.updated_at IS 'When the progress last changed.';
COMMENT ON COLUMN customer_import.started_at IS 'When a worker first started it.';
COMMENT ON COLUMN customer_import.completed_at IS 'When its last row was processed.';
CREATE INDEX customer_import_created_at ON customer_import (created_at DESC, id DESC);
COMMENT ON INDEX customer_import_created_at IS 'GET /admin/customers/imports: newest first.';

CREATE TABLE customer_import_chunk (
    import_id  character varying NOT NULL REFERENCES customer_import (id) ON DELETE CASCADE,
    seq        integer NOT NULL,
    first_line integer NOT NULL,
    first_row  integer NOT NULL,
    row_count  integer NOT NULL,
    data       text NOT NULL,
    PRIMARY KEY (import_id, seq)
);
COMMENT ON TABLE customer_import_chunk IS 'The uploaded file of an import, in chunks of whole records (about 1 MiB each), deleted when the import completes.';
COMMENT ON COLUMN customer_import_chunk.import_id IS 'The import.';
COMMENT ON COLUMN customer_import_chunk.seq IS 'Position of the chunk in the file, from 0.';
COMMENT ON COLUMN customer_import_chunk.first_line IS 'Line number (in the file, the header is line 1) of the chunk''s first record.';
COMMENT ON COLUMN customer_import_chunk.first_row IS 'Index (from 0, among data rows) of the chunk''s first record: where a resumed run finds its row.';
COMMENT ON COLUMN customer_import_chunk.row_count IS 'Records in the chunk.';
COMMENT ON COLUMN customer_import_chunk.data IS 'The records as the file had them (UTF-8 checked), line endings included.';

CREATE TABLE customer_import_error (
    import_id character varying NOT NULL REFERENCES customer_import (id) ON DELETE CASCADE,
    line      integer NOT NULL,
    email     character varying NOT NULL,
    message   text NOT NULL,
    PRIMARY KEY (import_id, line)
);
COMMENT ON TABLE customer_import_error IS 'Rows an import refused (GET /admin/customers/imports/:id/errors), one per line.';
COMMENT ON COLUMN customer_import_error.import_id IS 'The import.';
COMMENT ON COLUMN customer_import_error.line IS 'Line of the row in the file (a record spanning lines: its first).';
COMMENT ON COLUMN customer_import_error.email IS 'The row''s email cell as the file had it (empty when it had none).';
COMMENT ON COLUMN customer_import_error.message IS 'Why, in the create route''s words (email must be an email, ...).';

-- For operators: imports with their progress, and the exports running now.
CREATE VIEW inspect.imports AS
SELECT i.id,
       CASE WHEN i.state IN ('queued', 'running') AND (j.id IS NULL OR j.state IN ('discarded', 'cancelled'))
            THEN 'failed' ELSE i.state END AS state,
       i.rows_done, i.rows_total,
       CASE WHEN i.rows_total > 0 THEN round(100.0 * i.rows_done / i.rows_total, 1) ELSE 100.0 END AS percent_done,
       i.rows_created, i.rows_updated, i.rows_skipped, i.rows_failed,
       CASE WHEN i.started_at IS NOT NULL AND coalesce(i.completed_at, i.updated_at) > i.started_at
            THEN round(i.rows_done / extract(epoch FROM coalesce(i.completed_at, i.updated_at) - i.started_at))
       END AS rows_per_second,
       i.on_conflict, i.welcome_email, pg_size_pretty(i.bytes) AS size,
       i.created_at, i.started_at, i.updated_at, i.completed_at,
       j.state AS job_state, j.attempt AS job_attempt, j.attempted_by AS worker,
       j.errors -> -1 ->> 'error' AS last_job_error
FROM customer_import i
LEFT JOIN job j ON j.id = i.job_id;
COMMENT ON VIEW inspect.imports IS 'Customer imports with their progress, rate and job: the running ones show rows_done climbing batch by batch.';
COMMENT ON COLUMN inspect.imports.id IS 'cimp_ id.';
COMMENT ON COLUMN inspect.imports.state IS 'queued, running, completed or failed (as the API reports it).';
COMMENT ON COLUMN inspect.imports.rows_done IS 'Rows processed (committed).';
COMMENT ON COLUMN inspect.imports.rows_total IS 'Rows in the file.';
COMMENT ON COLUMN inspect.imports.percent_done IS 'rows_done of rows_total, in percent.';
COMMENT ON COLUMN inspect.imports.rows_created IS 'Customers created.';
COMMENT ON COLUMN inspect.imports.rows_updated IS 'Customers updated.';
COMMENT ON COLUMN inspect.imports.rows_skipped IS 'Rows skipped (email taken).';
COMMENT ON COLUMN inspect.imports.rows_failed IS 'Rows refused (see customer_import_error).';
COMMENT ON COLUMN inspect.imports.rows_per_second IS 'Average rate since a worker started it (to completion, or to the last batch).';
COMMENT ON COLUMN inspect.imports.on_conflict IS 'skip or update.';
COMMENT ON COLUMN inspect.imports.welcome_email IS 'Whether created customers get the welcome email.';
COMMENT ON COLUMN inspect.imports.size IS 'Size of the uploaded file.';
COMMENT ON COLUMN inspect.imports.created_at IS 'When it was uploaded.';
COMMENT ON COLUMN inspect.imports.started_at IS 'When a worker started it.';
COMMENT ON COLUMN inspect.imports.updated_at IS 'Last progress.';
COMMENT ON COLUMN inspect.imports.completed_at IS 'When it completed.';
COMMENT ON COLUMN inspect.imports.job_state IS 'State of its customer.import job (null once pruned).';
COMMENT ON COLUMN inspect.imports.job_attempt IS 'Attempt of the job: above 1 after a crash or an error (it resumes where it stopped).';
COMMENT ON COLUMN inspect.imports.worker IS 'The process running (or that last ran) it: host/pid, or clientele import''s own.';
COMMENT ON COLUMN inspect.imports.last_job_error IS 'The error of the job''s last failed attempt, if any.';

CREATE VIEW inspect.exports AS
SELECT a.pid AS backend_pid,
       nullif(split_part(a.application_name, '/', 2), '') AS process_id,
       host(a.client_addr) AS client_address,
       a.xact_start AS started_at,
       now() - a.xact_start AS running_for,
       a.state
FROM pg_stat_activity a
WHERE a.datname = current_database() AND a.application_name LIKE 'clientele-export/%';
COMMENT ON VIEW inspect.exports IS 'CSV exports running now (GET /admin/customers/export, clientele export customers): each holds one connection with a cursor for its duration.';
COMMENT ON COLUMN inspect.exports.backend_pid IS 'The PostgreSQL backend serving it (pg_cancel_backend stops it).';
COMMENT ON COLUMN inspect.exports.process_id IS 'The clientele process exporting (a serve worker or the command).';
COMMENT ON COLUMN inspect.exports.client_address IS 'Where that process connects from.';
COMMENT ON COLUMN inspect.exports.started_at IS 'When the export began.';
COMMENT ON COLUMN inspect.exports.running_for IS 'How long it has run.';
COMMENT ON COLUMN inspect.exports.state IS 'active (the database is reading rows) or idle in transaction (waiting for the client to take them).';
