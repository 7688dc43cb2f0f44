-- The original Reply-To of an accepted message and the submitted order of its
-- recipients: see the SQLite migration of the same name.
ALTER TABLE pec_messages ADD COLUMN reply_to TEXT;

ALTER TABLE pec_recipients ADD COLUMN position BIGINT;
