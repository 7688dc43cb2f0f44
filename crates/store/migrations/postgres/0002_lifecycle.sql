-- Certa storage, PostgreSQL dialect: the mailbox lifecycle.

ALTER TABLE mailboxes DROP CONSTRAINT mailboxes_status_check;
ALTER TABLE mailboxes ADD CONSTRAINT mailboxes_status_check
    CHECK (status IN ('active', 'suspended', 'receive-only', 'closed'));

-- When a blob's last reference went: its file is deleted a grace period later
-- (see store::blobs::collect_garbage).
ALTER TABLE blobs ADD COLUMN released_at BIGINT;

-- Conventions, as the TOML text the operator gave (parsed and validated by the
-- lifecycle crate); `code_key` is the code in upper case, for lookups.
CREATE TABLE conventions (
    code        TEXT PRIMARY KEY,
    code_key    TEXT NOT NULL UNIQUE,
    source      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- A mailbox's subscription under a convention. `data` is the lifecycle crate's
-- Subscription as JSON; the other columns repeat what queries need. At most one
-- subscription per address is live (not deleted): a deleted address may be
-- bought again, by the same holder only, as a new subscription.
CREATE TABLE subscriptions (
    id            BIGSERIAL PRIMARY KEY,
    mailbox       TEXT NOT NULL,
    convention    TEXT NOT NULL,
    tax_id        TEXT NOT NULL,
    state         TEXT NOT NULL,
    expiry        TEXT NOT NULL,
    cancelled_at  BIGINT,
    data          TEXT NOT NULL,
    version       BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX subscriptions_live ON subscriptions(mailbox) WHERE state <> 'deleted';
CREATE INDEX subscriptions_tax_id ON subscriptions(tax_id);

-- What the daily machine already did for a subscription (a notice, a
-- transition): one row each, so nothing happens twice across restarts and nodes.
CREATE TABLE lifecycle_done (
    subscription_id  BIGINT NOT NULL REFERENCES subscriptions(id),
    done_key         TEXT NOT NULL,
    at               BIGINT NOT NULL,
    PRIMARY KEY (subscription_id, done_key)
);

-- Renewal orders: the ID goes in the bank transfer's reference.
CREATE TABLE orders (
    id               TEXT PRIMARY KEY,
    subscription_id  BIGINT NOT NULL REFERENCES subscriptions(id),
    mailbox          TEXT NOT NULL,
    plan             TEXT NOT NULL,
    renews_expiry    TEXT NOT NULL,
    net_cents        BIGINT NOT NULL,
    vat_basis_points BIGINT NOT NULL,
    amount_cents     BIGINT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('open', 'paid', 'cancelled')),
    created_at       BIGINT NOT NULL,
    paid_at          BIGINT,
    payment_id       TEXT
);
CREATE UNIQUE INDEX orders_open_per_expiry ON orders(subscription_id, renews_expiry) WHERE state <> 'cancelled';

-- The last order number given per year (CRT-YYYY-NNNNNN).
CREATE TABLE order_numbers (
    year  BIGINT PRIMARY KEY,
    last  BIGINT NOT NULL
);

-- Payments applied, keyed by the payment's own id (the bank's transaction id,
-- the card provider's event id, or the operator's): never applied twice.
CREATE TABLE payments (
    payment_id    TEXT PRIMARY KEY,
    order_id      TEXT NOT NULL REFERENCES orders(id),
    source        TEXT NOT NULL,
    amount_cents  BIGINT NOT NULL,
    paid_at       BIGINT NOT NULL,
    detail        TEXT,
    recorded_at   BIGINT NOT NULL
);

-- Every lifecycle transition, notice, order, payment and cancellation, kept.
CREATE TABLE lifecycle_log (
    id               BIGSERIAL PRIMARY KEY,
    at               BIGINT NOT NULL,
    subscription_id  BIGINT,
    mailbox          TEXT NOT NULL,
    event            TEXT NOT NULL,
    detail           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX lifecycle_log_mailbox ON lifecycle_log(mailbox, at);
