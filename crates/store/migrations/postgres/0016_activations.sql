-- Certa storage, PostgreSQL dialect: activation by convention code (issue 13).
-- See the SQLite migration of the same number.

ALTER TABLE orders ALTER COLUMN subscription_id DROP NOT NULL;
ALTER TABLE orders ADD COLUMN kind TEXT NOT NULL DEFAULT 'renewal' CHECK (kind IN ('renewal', 'activation'));
CREATE INDEX orders_mailbox ON orders(mailbox, created_at);

CREATE TABLE activations (
    order_id        TEXT PRIMARY KEY REFERENCES orders(id),
    mailbox         TEXT NOT NULL,
    convention      TEXT NOT NULL,
    plan            TEXT NOT NULL,
    pricing         TEXT NOT NULL,
    tax_id          TEXT NOT NULL,
    holder          TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    reserved_until  BIGINT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'reserved' CHECK (state IN ('reserved', 'activated', 'lapsed')),
    created_at      BIGINT NOT NULL
);
-- One reservation at a time per address: a lapsed one is marked before another is made.
CREATE UNIQUE INDEX activations_reserved ON activations(mailbox) WHERE state = 'reserved';
