-- Customers, their addresses and groups: Medusa v1's tables and columns, plus what Clientele adds
-- (a version for ETags, a live-row counter, a trigram search index).

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE customer (
    id                 character varying PRIMARY KEY,
    email              character varying NOT NULL,
    first_name         character varying,
    last_name          character varying,
    billing_address_id character varying,
    password_hash      character varying,
    phone              character varying,
    has_account        boolean NOT NULL DEFAULT false,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    deleted_at         timestamptz,
    metadata           jsonb,
    version            bigint NOT NULL DEFAULT 1
);
COMMENT ON TABLE customer IS 'Shop customers (Medusa v1 table). Soft-deleted rows keep deleted_at and are hidden from the API.';
COMMENT ON COLUMN customer.id IS 'cus_ followed by a 26-character ULID.';
COMMENT ON COLUMN customer.email IS 'Trimmed and lower-cased by the API.';
COMMENT ON COLUMN customer.first_name IS 'Given name.';
COMMENT ON COLUMN customer.last_name IS 'Family name.';
COMMENT ON COLUMN customer.billing_address_id IS 'The address used for billing (address.id), or null.';
COMMENT ON COLUMN customer.password_hash IS 'Self-describing scrypt hash ($scrypt$ln=..,r=..,p=..$salt$hash) or a Medusa v1 scrypt-kdf hash; never returned by the API.';
COMMENT ON COLUMN customer.phone IS 'Free-form phone number.';
COMMENT ON COLUMN customer.has_account IS 'True when the customer registered (has a password).';
COMMENT ON COLUMN customer.created_at IS 'When the row was inserted.';
COMMENT ON COLUMN customer.updated_at IS 'When the row last changed.';
COMMENT ON COLUMN customer.deleted_at IS 'Soft delete: set when deleted through the API; the email is then free again.';
COMMENT ON COLUMN customer.metadata IS 'Arbitrary JSON object of the shop; updates merge into it.';
COMMENT ON COLUMN customer.version IS 'Raised by one on every change; the API''s ETag.';

CREATE UNIQUE INDEX customer_email_has_account_unique ON customer (email, has_account) WHERE deleted_at IS NULL;
COMMENT ON INDEX customer_email_has_account_unique IS 'One live customer per (email, has_account), as in Medusa v1.';
CREATE INDEX customer_created_at_id ON customer (created_at DESC, id DESC) WHERE deleted_at IS NULL;
COMMENT ON INDEX customer_created_at_id IS 'The default list order (newest first, id breaks ties).';

-- What `q` searches: email, "first last" (which covers first and last name alone) and phone, lower-cased,
-- separated by newlines so that no match spans two fields.
CREATE FUNCTION customer_search_text(email text, first_name text, last_name text, phone text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT lower(coalesce(email, '') || E'\n' || coalesce(first_name, '') || ' ' || coalesce(last_name, '')
                 || E'\n' || coalesce(phone, ''))
$$;
COMMENT ON FUNCTION customer_search_text(text, text, text, text) IS 'The text the customer list''s q parameter matches (LIKE), indexed by customer_search_trgm.';
CREATE INDEX customer_search_trgm ON customer
    USING gin (customer_search_text(email, first_name, last_name, phone) gin_trgm_ops) WHERE deleted_at IS NULL;
COMMENT ON INDEX customer_search_trgm IS 'Trigram index for substring search (q) at millions of rows.';

-- Exact count of live customers without scanning the table. Kept by statement-level triggers, so every
-- writer (the API, clientele seed, a bulk COPY, psql) keeps it right; spread over slots so that concurrent
-- inserts do not queue on one row.
CREATE TABLE customer_counter (
    has_account boolean NOT NULL,
    slot        smallint NOT NULL,
    live        bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (has_account, slot)
);
COMMENT ON TABLE customer_counter IS 'Live (not deleted) customers by has_account, summed over slots: SELECT has_account, sum(live) FROM customer_counter GROUP BY 1.';
COMMENT ON COLUMN customer_counter.has_account IS 'Which customers this slot counts.';
COMMENT ON COLUMN customer_counter.slot IS 'One of 16 rows per has_account; writers pick one at random to avoid lock contention.';
COMMENT ON COLUMN customer_counter.live IS 'Change in the number of live customers recorded in this slot.';

-- Transition tables differ per operation (an INSERT trigger has no old rows), so one function each.
CREATE FUNCTION customer_counter_add(has_account boolean, delta bigint) RETURNS void LANGUAGE sql AS $$
    INSERT INTO customer_counter AS c (has_account, slot, live)
    VALUES (has_account, floor(random() * 16)::smallint, delta)
    ON CONFLICT ON CONSTRAINT customer_counter_pkey DO UPDATE SET live = c.live + EXCLUDED.live
$$;
COMMENT ON FUNCTION customer_counter_add(boolean, bigint) IS 'Adds delta to a random slot of customer_counter.';

CREATE FUNCTION customer_counter_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM customer_counter_add(has_account, count(*)) FROM new_rows WHERE deleted_at IS NULL GROUP BY has_account;
    RETURN NULL;
END
$$;
CREATE FUNCTION customer_counter_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM customer_counter_add(has_account, -count(*)) FROM old_rows WHERE deleted_at IS NULL GROUP BY has_account;
    RETURN NULL;
END
$$;
CREATE FUNCTION customer_counter_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM customer_counter_add(has_account, sum(delta)::bigint)
    FROM (SELECT has_account, 1 AS delta FROM new_rows WHERE deleted_at IS NULL
          UNION ALL
          SELECT has_account, -1 FROM old_rows WHERE deleted_at IS NULL) AS changes
    GROUP BY has_account HAVING sum(delta) <> 0;
    RETURN NULL;
END
$$;
CREATE FUNCTION customer_counter_on_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM customer_counter;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION customer_counter_on_insert() IS 'Counts inserted live customers into customer_counter.';
COMMENT ON FUNCTION customer_counter_on_delete() IS 'Uncounts deleted live customers.';
COMMENT ON FUNCTION customer_counter_on_update() IS 'Moves counts when deleted_at or has_account change.';
COMMENT ON FUNCTION customer_counter_on_truncate() IS 'Empties customer_counter with the table.';

CREATE TRIGGER customer_counter_insert AFTER INSERT ON customer
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION customer_counter_on_insert();
CREATE TRIGGER customer_counter_delete AFTER DELETE ON customer
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION customer_counter_on_delete();
CREATE TRIGGER customer_counter_update AFTER UPDATE ON customer
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION customer_counter_on_update();
CREATE TRIGGER customer_counter_truncate AFTER TRUNCATE ON customer
    FOR EACH STATEMENT EXECUTE FUNCTION customer_counter_on_truncate();

CREATE TABLE address (
    id           character varying PRIMARY KEY,
    customer_id  character varying REFERENCES customer (id),
    company      character varying,
    first_name   character varying,
    last_name    character varying,
    address_1    character varying,
    address_2    character varying,
    city         character varying,
    country_code character varying,
    province     character varying,
    postal_code  character varying,
    phone        character varying,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    deleted_at   timestamptz,
    metadata     jsonb
);
COMMENT ON TABLE address IS 'Customers'' addresses (Medusa v1 table); a customer''s shipping_addresses are its live rows here.';
COMMENT ON COLUMN address.id IS 'addr_ followed by a ULID.';
COMMENT ON COLUMN address.customer_id IS 'The customer the address belongs to.';
COMMENT ON COLUMN address.company IS 'Company name.';
COMMENT ON COLUMN address.first_name IS 'Recipient''s given name.';
COMMENT ON COLUMN address.last_name IS 'Recipient''s family name.';
COMMENT ON COLUMN address.address_1 IS 'First address line.';
COMMENT ON COLUMN address.address_2 IS 'Second address line.';
COMMENT ON COLUMN address.city IS 'City.';
COMMENT ON COLUMN address.country_code IS 'ISO 3166-1 alpha-2 code, lower case.';
COMMENT ON COLUMN address.province IS 'Province or state.';
COMMENT ON COLUMN address.postal_code IS 'Postal code.';
COMMENT ON COLUMN address.phone IS 'Phone number for delivery.';
COMMENT ON COLUMN address.created_at IS 'When the row was inserted.';
COMMENT ON COLUMN address.updated_at IS 'When the row last changed.';
COMMENT ON COLUMN address.deleted_at IS 'Soft delete.';
COMMENT ON COLUMN address.metadata IS 'Arbitrary JSON object.';
CREATE INDEX address_customer_id ON address (customer_id, created_at, id) WHERE deleted_at IS NULL;
COMMENT ON INDEX address_customer_id IS 'A customer''s live addresses, oldest first.';

ALTER TABLE customer ADD CONSTRAINT customer_billing_address_fk
    FOREIGN KEY (billing_address_id) REFERENCES address (id) ON DELETE SET NULL;

CREATE TABLE customer_group (
    id         character varying PRIMARY KEY,
    name       character varying NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz,
    metadata   jsonb
);
COMMENT ON TABLE customer_group IS 'Named groups of customers (Medusa v1 table).';
COMMENT ON COLUMN customer_group.id IS 'cgrp_ followed by a ULID.';
COMMENT ON COLUMN customer_group.name IS 'Unique among live groups.';
COMMENT ON COLUMN customer_group.created_at IS 'When the row was inserted.';
COMMENT ON COLUMN customer_group.updated_at IS 'When the row last changed.';
COMMENT ON COLUMN customer_group.deleted_at IS 'Soft delete.';
COMMENT ON COLUMN customer_group.metadata IS 'Arbitrary JSON object.';
CREATE UNIQUE INDEX customer_group_name_unique ON customer_group (name) WHERE deleted_at IS NULL;
COMMENT ON INDEX customer_group_name_unique IS 'One live group per name.';

CREATE TABLE customer_group_customers (
    customer_group_id character varying NOT NULL REFERENCES customer_group (id) ON DELETE CASCADE,
    customer_id       character varying NOT NULL REFERENCES customer (id) ON DELETE CASCADE,
    PRIMARY KEY (customer_group_id, customer_id)
);
COMMENT ON TABLE customer_group_customers IS 'Membership: which customers are in which groups (Medusa v1 table).';
COMMENT ON COLUMN customer_group_customers.customer_group_id IS 'The group.';
COMMENT ON COLUMN customer_group_customers.customer_id IS 'The customer.';
CREATE INDEX customer_group_customers_customer ON customer_group_customers (customer_id);
COMMENT ON INDEX customer_group_customers_customer IS 'A customer''s groups.';
