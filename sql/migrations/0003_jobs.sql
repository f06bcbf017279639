-- The job queue (events recorded in the transaction of a change, run by clientele worker) and the record
-- of emails sent.

CREATE TABLE job (
    id               bigserial PRIMARY KEY,
    kind             character varying NOT NULL,
    args             jsonb NOT NULL DEFAULT '{}'::jsonb,
    state            character varying NOT NULL DEFAULT 'available'
                     CHECK (state IN ('available', 'scheduled', 'running', 'retryable', 'completed', 'discarded', 'cancelled')),
    priority         smallint NOT NULL DEFAULT 1,
    attempt          integer NOT NULL DEFAULT 0,
    max_attempts     integer NOT NULL DEFAULT 20,
    scheduled_at     timestamptz NOT NULL DEFAULT now(),
    attempted_at     timestamptz,
    attempted_by     character varying,
    lease_expires_at timestamptz,
    errors           jsonb NOT NULL DEFAULT '[]'::jsonb,
    unique_key       character varying,
    created_at       timestamptz NOT NULL DEFAULT now(),
    finalized_at     timestamptz
);
COMMENT ON TABLE job IS 'Async work, one row per job. Inserted in the transaction of the change that causes it, so a job exists if and only if its change committed.';
COMMENT ON COLUMN job.id IS 'Queue order among equal priority and schedule.';
COMMENT ON COLUMN job.kind IS 'What to run: customer.created, customer.updated, customer.deleted, noop, ...';
COMMENT ON COLUMN job.args IS 'The handler''s input, e.g. {"customer_id": "cus_..."}.';
COMMENT ON COLUMN job.state IS 'available (ready), scheduled (later), running (leased by a worker), retryable (failed, will run again), completed, discarded (gave up), cancelled.';
COMMENT ON COLUMN job.priority IS 'Lower runs first.';
COMMENT ON COLUMN job.attempt IS 'Attempts started so far.';
COMMENT ON COLUMN job.max_attempts IS 'After this many failed attempts the job is discarded.';
COMMENT ON COLUMN job.scheduled_at IS 'Not run before this time (backoff of retries).';
COMMENT ON COLUMN job.attempted_at IS 'When the current or last attempt started.';
COMMENT ON COLUMN job.attempted_by IS 'Which worker process ran it last (host/pid).';
COMMENT ON COLUMN job.lease_expires_at IS 'A running job whose lease passed this time belongs to a dead worker and is rescued.';
COMMENT ON COLUMN job.errors IS 'One entry per failed attempt: {"at", "attempt", "error"}.';
COMMENT ON COLUMN job.unique_key IS 'Optional: at most one unfinished job per key.';
COMMENT ON COLUMN job.created_at IS 'When the job was enqueued.';
COMMENT ON COLUMN job.finalized_at IS 'When it was completed, discarded or cancelled.';
CREATE INDEX job_claimable ON job (priority, scheduled_at, id) WHERE state IN ('available', 'retryable', 'scheduled');
COMMENT ON INDEX job_claimable IS 'What a worker claims next.';
CREATE INDEX job_running_lease ON job (lease_expires_at) WHERE state = 'running';
COMMENT ON INDEX job_running_lease IS 'What the rescuer looks at.';
CREATE INDEX job_finalized ON job (state, finalized_at) WHERE state IN ('completed', 'discarded', 'cancelled');
COMMENT ON INDEX job_finalized IS 'What the pruner deletes.';
CREATE UNIQUE INDEX job_unique_key ON job (unique_key) WHERE unique_key IS NOT NULL AND state NOT IN ('completed', 'discarded', 'cancelled');
COMMENT ON INDEX job_unique_key IS 'At most one unfinished job per unique_key.';

CREATE TABLE email_delivery (
    id              bigserial PRIMARY KEY,
    customer_id     character varying NOT NULL,
    template        character varying NOT NULL,
    recipient       character varying NOT NULL,
    status          character varying NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    idempotency_key character varying NOT NULL UNIQUE,
    message_id      character varying NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    UNIQUE (customer_id, template)
);
COMMENT ON TABLE email_delivery IS 'One row per (customer, template): an email is sent at most once even when its job is retried.';
COMMENT ON COLUMN email_delivery.id IS 'Row number.';
COMMENT ON COLUMN email_delivery.customer_id IS 'The customer written to.';
COMMENT ON COLUMN email_delivery.template IS 'Which email (welcome, ...).';
COMMENT ON COLUMN email_delivery.recipient IS 'The address it was sent to.';
COMMENT ON COLUMN email_delivery.status IS 'pending (not yet accepted by the mail server), sent, failed (permanently refused).';
COMMENT ON COLUMN email_delivery.idempotency_key IS 'template/customer id, also sent as the Idempotency-Key header.';
COMMENT ON COLUMN email_delivery.message_id IS 'The Message-ID header, derived from the idempotency key, so a duplicate can be dropped by receivers.';
COMMENT ON COLUMN email_delivery.attempts IS 'Delivery attempts so far.';
COMMENT ON COLUMN email_delivery.last_error IS 'What the mail server or transport said last time it failed.';
COMMENT ON COLUMN email_delivery.created_at IS 'When the delivery was first attempted.';
COMMENT ON COLUMN email_delivery.sent_at IS 'When the mail server accepted the message.';
