-- The people who work in the consoles (office::staff): the provider's operators
-- (all of one installation) and Orders' secretariats (the Orders granted in
-- staff_orders). Passwords are argon2id hashes; the TOTP secret, mandatory for
-- every staff account, is sealed by the office (AES-256-GCM under the data
-- directory's second-factor.key); `totp_step` is the last time step used, so a
-- code is good once.
CREATE TABLE staff_accounts (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    login          TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('operator', 'secretariat')),
    password_hash  TEXT NOT NULL,
    totp_secret    TEXT NOT NULL,
    totp_step      INTEGER NOT NULL DEFAULT 0,
    disabled_at    INTEGER,
    created_at     INTEGER NOT NULL
);

-- The Orders a secretariat account works for (its tenants).
CREATE TABLE staff_orders (
    account_id  INTEGER NOT NULL REFERENCES staff_accounts(id),
    order_code  TEXT NOT NULL,
    PRIMARY KEY (account_id, order_code)
);

-- The consoles' sessions, apart from the webmail's and the reserved area's,
-- under the SHA-256 of their token, each with its own token against cross-site requests.
CREATE TABLE staff_sessions (
    id_hash       TEXT PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES staff_accounts(id),
    csrf          TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL
);
CREATE INDEX staff_sessions_account ON staff_sessions(account_id);

-- The audit trail: every action a staff account (or an API key acting for
-- one) takes, with who and when; `order_code` is the tenant, when the action
-- concerns one Order. Appended only.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    role        TEXT NOT NULL,
    via         TEXT NOT NULL,
    action      TEXT NOT NULL,
    order_code  TEXT,
    subject     TEXT NOT NULL,
    detail      TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_order ON audit_log(order_code, at);
