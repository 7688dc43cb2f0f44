-- Certa storage, SQLite dialect: the Orders' registries (crates/registry).
--
-- The store knows no registry rule: a member is the registry crate's Member as
-- JSON, with the columns queries need beside it. Dates are `YYYY-MM-DD` text,
-- times milliseconds since the epoch. Tables are prefixed `registry_`: `orders`
-- holds the lifecycle's renewal orders.

-- An Order (Ordine professionale); `code_key` is the code in upper case.
CREATE TABLE registry_orders (
    code         TEXT PRIMARY KEY,
    code_key     TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    tax_id       TEXT NOT NULL,
    codice_ente  TEXT NOT NULL,
    pec          TEXT NOT NULL,
    -- The registry crate's SigningDelegate as JSON, when registered.
    delegate     TEXT,
    created_at   INTEGER NOT NULL
);

-- A member of an Order's roll.
CREATE TABLE registry_members (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    order_code      TEXT NOT NULL REFERENCES registry_orders(code),
    codice_fiscale  TEXT NOT NULL,
    surname         TEXT NOT NULL,
    status          TEXT NOT NULL,
    ctu             INTEGER NOT NULL,
    data            TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (order_code, codice_fiscale)
);
CREATE INDEX registry_members_status ON registry_members(order_code, status);
CREATE INDEX registry_members_ctu ON registry_members(order_code, ctu);
CREATE INDEX registry_members_surname ON registry_members(order_code, surname);

-- Every PEC address a member communicated; exactly one official at a time.
CREATE TABLE registry_pec (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    member_id        INTEGER NOT NULL REFERENCES registry_members(id),
    address          TEXT NOT NULL,
    communicated_on  TEXT NOT NULL,
    channel          TEXT NOT NULL,
    official         INTEGER NOT NULL,
    superseded_on    TEXT,
    -- 0 when found bounced, inactive or full, or refused by the Order.
    valid            INTEGER NOT NULL DEFAULT 1,
    -- The registry crate's PecWarnings at the time, as JSON.
    warnings         TEXT NOT NULL DEFAULT '[]',
    recorded_at      INTEGER NOT NULL
);
CREATE INDEX registry_pec_member ON registry_pec(member_id);
CREATE INDEX registry_pec_address ON registry_pec(address);
CREATE UNIQUE INDEX registry_pec_official ON registry_pec(member_id) WHERE official = 1;

-- The compliance cycle (DL 185/2008 art. 16 c.7-bis), every step dated and kept.
CREATE TABLE registry_compliance (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    member_id    INTEGER NOT NULL REFERENCES registry_members(id),
    kind         TEXT NOT NULL CHECK (kind IN ('warned', 'letter', 'deadline', 'suspension-listed', 'suspended', 'restored')),
    on_date      TEXT NOT NULL,
    detail       TEXT NOT NULL DEFAULT '',
    recorded_at  INTEGER NOT NULL
);
CREATE INDEX registry_compliance_member ON registry_compliance(member_id, on_date);

-- INI-PEC uploads, one per Order and day: the file, or "no changes"; `state`
-- is what INI-PEC holds after it (the next day's delta starts from it).
CREATE TABLE registry_inipec_exports (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    order_code  TEXT NOT NULL REFERENCES registry_orders(code),
    day         TEXT NOT NULL,
    no_changes  INTEGER NOT NULL,
    row_count   INTEGER NOT NULL,
    file        BLOB,
    state       TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (order_code, day)
);

-- ReGIndE communications: the XML and the subjects it leaves ReGIndE with.
CREATE TABLE registry_reginde_exports (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    order_code  TEXT NOT NULL REFERENCES registry_orders(code),
    month       TEXT NOT NULL,
    whole       INTEGER NOT NULL,
    xml         TEXT NOT NULL,
    subjects    TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX registry_reginde_exports_order ON registry_reginde_exports(order_code, id);

-- Outcomes read from an Esiti.xml answer: one row per subject, or one for the whole file.
CREATE TABLE registry_esiti (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    order_code      TEXT NOT NULL REFERENCES registry_orders(code),
    message_id      TEXT,
    codice_fiscale  TEXT,
    code            TEXT NOT NULL,
    severity        TEXT NOT NULL,
    description     TEXT,
    recorded_at     INTEGER NOT NULL
);
CREATE INDEX registry_esiti_order ON registry_esiti(order_code, codice_fiscale);
