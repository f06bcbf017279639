-- 64 slots per has_account instead of 16: concurrent creates (each its own short transaction) then rarely
-- wait for one another's row lock on the counter. Counts are summed over slots, so nothing else changes.
CREATE OR REPLACE FUNCTION customer_counter_add(has_account boolean, delta bigint) RETURNS void LANGUAGE sql AS $$
    INSERT INTO customer_counter AS c (has_account, slot, live)
    VALUES (has_account, floor(random() * 64)::smallint, delta)
    ON CONFLICT ON CONSTRAINT customer_counter_pkey DO UPDATE SET live = c.live + EXCLUDED.live
$$;
COMMENT ON FUNCTION customer_counter_add(boolean, bigint) IS 'Adds delta to one of 64 random slots of customer_counter.';
COMMENT ON COLUMN customer_counter.slot IS 'One of 64 rows per has_account; writers pick one at random to avoid lock contention.';
