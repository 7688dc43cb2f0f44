-- no-transaction
-- Certa storage, SQLite dialect: activation by convention code (issue 13).
--
-- A mailbox bought on the web is reserved for its holder until its first order
-- is paid: the order exists before any subscription, so `orders.subscription_id`
-- becomes optional and `orders.kind` tells an activation from a renewal. SQLite
-- cannot drop a NOT NULL, so the table is rebuilt as SQLite documents it
-- (https://www.sqlite.org/lang_altertable.html): foreign keys off, outside a
-- transaction, then one transaction.

PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

CREATE TABLE orders_new (
    id               TEXT PRIMARY KEY,
    subscription_id  INTEGER REFERENCES subscriptions(id),
    mailbox          TEXT NOT NULL,
    plan             TEXT NOT NULL,
    renews_expiry    TEXT NOT NULL,
    net_cents        INTEGER NOT NULL,
    vat_basis_points INTEGER NOT NULL,
    amount_cents     INTEGER NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('open', 'paid', 'cancelled')),
    created_at       INTEGER NOT NULL,
    paid_at          INTEGER,
    payment_id       TEXT,
    kind             TEXT NOT NULL DEFAULT 'renewal' CHECK (kind IN ('renewal', 'activation'))
);
INSERT INTO orders_new (id, subscription_id, mailbox, plan, renews_expiry, net_cents, vat_basis_points,
                        amount_cents, state, created_at, paid_at, payment_id)
    SELECT id, subscription_id, mailbox, plan, renews_expiry, net_cents, vat_basis_points,
           amount_cents, state, created_at, paid_at, payment_id FROM orders;
DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;
CREATE UNIQUE INDEX orders_open_per_expiry ON orders(subscription_id, renews_expiry) WHERE state <> 'cancelled';
CREATE INDEX orders_mailbox ON orders(mailbox, created_at);

-- A mailbox reserved by a member who activated it by convention code, until
-- its order (`order_id`, kind 'activation') is paid or `reserved_until` passes.
-- `holder` is the lifecycle crate's Holder as JSON; `password_hash` is the
-- argon2id hash the mailbox gets when it is created.
CREATE TABLE activations (
    order_id        TEXT PRIMARY KEY REFERENCES orders(id),
    mailbox         TEXT NOT NULL,
    convention      TEXT NOT NULL,
    plan            TEXT NOT NULL,
    pricing         TEXT NOT NULL,
    tax_id          TEXT NOT NULL,
    holder          TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    reserved_until  INTEGER NOT NULL,
    state           TEXT NOT NULL DEFAULT 'reserved' CHECK (state IN ('reserved', 'activated', 'lapsed')),
    created_at      INTEGER NOT NULL
);
-- One reservation at a time per address: a lapsed one is marked before another is made.
CREATE UNIQUE INDEX activations_reserved ON activations(mailbox) WHERE state = 'reserved';

COMMIT;
PRAGMA foreign_keys = ON;
