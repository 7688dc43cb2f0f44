-- no-transaction
-- Certa storage, SQLite dialect: the mailbox lifecycle.
--
-- A mailbox gets the status 'receive-only' (receives, cannot send). SQLite cannot
-- change a CHECK constraint, so the table is rebuilt as SQLite documents it
-- (https://www.sqlite.org/lang_altertable.html, "other kinds of table schema
-- changes"): foreign keys off, outside a transaction, then one transaction.

PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

CREATE TABLE mailboxes_new (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    address        TEXT NOT NULL UNIQUE,
    domain         TEXT NOT NULL REFERENCES domains(name),
    password_hash  TEXT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'receive-only', 'closed')),
    quota_bytes    INTEGER NOT NULL,
    used_bytes     INTEGER NOT NULL DEFAULT 0,
    warned_percent INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL
);
INSERT INTO mailboxes_new (id, address, domain, password_hash, status, quota_bytes, used_bytes, warned_percent, created_at)
    SELECT id, address, domain, password_hash, status, quota_bytes, used_bytes, warned_percent, created_at FROM mailboxes;
DROP TABLE mailboxes;
ALTER TABLE mailboxes_new RENAME TO mailboxes;

-- When a blob's last reference went: its file is deleted a grace period later
-- (see store::blobs::collect_garbage).
ALTER TABLE blobs ADD COLUMN released_at INTEGER;

-- Conventions, as the TOML text the operator gave (parsed and validated by the
-- lifecycle crate); `code_key` is the code in upper case, for lookups.
CREATE TABLE conventions (
    code        TEXT PRIMARY KEY,
    code_key    TEXT NOT NULL UNIQUE,
    source      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- A mailbox's subscription under a convention. `data` is the lifecycle crate's
-- Subscription as JSON; the other columns repeat what queries need. At most one
-- subscription per address is live (not deleted): a deleted address may be
-- bought again, by the same holder only, as a new subscription.
CREATE TABLE subscriptions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    mailbox       TEXT NOT NULL,
    convention    TEXT NOT NULL,
    tax_id        TEXT NOT NULL,
    state         TEXT NOT NULL,
    expiry        TEXT NOT NULL,
    cancelled_at  INTEGER,
    data          TEXT NOT NULL,
    version       INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX subscriptions_live ON subscriptions(mailbox) WHERE state <> 'deleted';
CREATE INDEX subscriptions_tax_id ON subscriptions(tax_id);

-- What the daily machine already did for a subscription (a notice, a
-- transition): one row each, so nothing happens twice across restarts and nodes.
CREATE TABLE lifecycle_done (
    subscription_id  INTEGER NOT NULL REFERENCES subscriptions(id),
    done_key         TEXT NOT NULL,
    at               INTEGER NOT NULL,
    PRIMARY KEY (subscription_id, done_key)
);

-- Renewal orders: the ID goes in the bank transfer's reference.
CREATE TABLE orders (
    id               TEXT PRIMARY KEY,
    subscription_id  INTEGER NOT NULL REFERENCES subscriptions(id),
    mailbox          TEXT NOT NULL,
    plan             TEXT NOT NULL,
    renews_expiry    TEXT NOT NULL,
    net_cents        INTEGER NOT NULL,
    vat_basis_points INTEGER NOT NULL,
    amount_cents     INTEGER NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('open', 'paid', 'cancelled')),
    created_at       INTEGER NOT NULL,
    paid_at          INTEGER,
    payment_id       TEXT
);
CREATE UNIQUE INDEX orders_open_per_expiry ON orders(subscription_id, renews_expiry) WHERE state <> 'cancelled';

-- The last order number given per year (CRT-YYYY-NNNNNN).
CREATE TABLE order_numbers (
    year  INTEGER PRIMARY KEY,
    last  INTEGER NOT NULL
);

-- Payments applied, keyed by the payment's own id (the bank's transaction id,
-- the card provider's event id, or the operator's): never applied twice.
CREATE TABLE payments (
    payment_id    TEXT PRIMARY KEY,
    order_id      TEXT NOT NULL REFERENCES orders(id),
    source        TEXT NOT NULL,
    amount_cents  INTEGER NOT NULL,
    paid_at       INTEGER NOT NULL,
    detail        TEXT,
    recorded_at   INTEGER NOT NULL
);

-- Every lifecycle transition, notice, order, payment and cancellation, kept.
CREATE TABLE lifecycle_log (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    at               INTEGER NOT NULL,
    subscription_id  INTEGER,
    mailbox          TEXT NOT NULL,
    event            TEXT NOT NULL,
    detail           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX lifecycle_log_mailbox ON lifecycle_log(mailbox, at);

COMMIT;
PRAGMA foreign_keys = ON;
