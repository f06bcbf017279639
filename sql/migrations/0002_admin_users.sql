-- Admin users (Medusa v1's "user" table) and what authentication keeps: sessions and failed logins.

CREATE TABLE "user" (
    id            character varying PRIMARY KEY,
    email         character varying NOT NULL,
    first_name    character varying,
    last_name     character varying,
    password_hash character varying,
    api_token     character varying,
    role          character varying NOT NULL DEFAULT 'admin' CHECK (role IN ('admin', 'member', 'developer')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at    timestamptz,
    metadata      jsonb
);
COMMENT ON TABLE "user" IS 'Admin users of the API (Medusa v1 table), created with clientele user create.';
COMMENT ON COLUMN "user".id IS 'usr_ followed by a ULID.';
COMMENT ON COLUMN "user".email IS 'Login name; unique among live users, case-insensitively.';
COMMENT ON COLUMN "user".first_name IS 'Given name.';
COMMENT ON COLUMN "user".last_name IS 'Family name.';
COMMENT ON COLUMN "user".password_hash IS 'Self-describing scrypt hash; never returned or logged.';
COMMENT ON COLUMN "user".api_token IS 'SHA-256 (hex) of the API token sent as x-medusa-access-token; the token itself is never stored.';
COMMENT ON COLUMN "user".role IS 'admin, member or developer (Medusa v1 roles).';
COMMENT ON COLUMN "user".created_at IS 'When the row was inserted.';
COMMENT ON COLUMN "user".updated_at IS 'When the row last changed.';
COMMENT ON COLUMN "user".deleted_at IS 'Soft delete: the user can no longer log in, and their sessions, JWTs and token stop working.';
COMMENT ON COLUMN "user".metadata IS 'Arbitrary JSON object.';
CREATE UNIQUE INDEX user_email_unique ON "user" (lower(email)) WHERE deleted_at IS NULL;
COMMENT ON INDEX user_email_unique IS 'One live user per email, ignoring case.';
CREATE UNIQUE INDEX user_api_token_unique ON "user" (api_token) WHERE deleted_at IS NULL AND api_token IS NOT NULL;
COMMENT ON INDEX user_api_token_unique IS 'Looks a user up by the hash of their API token.';

CREATE TABLE session (
    id_hash      character varying PRIMARY KEY,
    user_id      character varying NOT NULL REFERENCES "user" (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
COMMENT ON TABLE session IS 'Admin sessions started by POST /admin/auth (cookie clientele.sid).';
COMMENT ON COLUMN session.id_hash IS 'SHA-256 (hex) of the random 256-bit session id in the cookie; the id itself is never stored.';
COMMENT ON COLUMN session.user_id IS 'The admin user logged in.';
COMMENT ON COLUMN session.created_at IS 'When the user logged in.';
COMMENT ON COLUMN session.expires_at IS 'After this the cookie no longer works (SESSION_TTL after login).';
CREATE INDEX session_expires_at ON session (expires_at);
COMMENT ON INDEX session_expires_at IS 'For pruning expired sessions.';

CREATE TABLE login_failure (
    id         bigserial PRIMARY KEY,
    email      character varying NOT NULL,
    address    character varying NOT NULL,
    failed_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE login_failure IS 'Failed admin logins of the last 15 minutes, for throttling (429 after too many per email or per client address).';
COMMENT ON COLUMN login_failure.id IS 'Row number.';
COMMENT ON COLUMN login_failure.email IS 'The email tried, lower-cased.';
COMMENT ON COLUMN login_failure.address IS 'The client address the attempt came from.';
COMMENT ON COLUMN login_failure.failed_at IS 'When the attempt failed.';
CREATE INDEX login_failure_email ON login_failure (email, failed_at);
COMMENT ON INDEX login_failure_email IS 'Failures per email in the window.';
CREATE INDEX login_failure_address ON login_failure (address, failed_at);
COMMENT ON INDEX login_failure_address IS 'Failures per client address in the window.';
