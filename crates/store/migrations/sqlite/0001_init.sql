-- Certa storage, SQLite dialect. Times are milliseconds since the Unix epoch (UTC).

CREATE TABLE domains (
    name        TEXT PRIMARY KEY,
    created_at  INTEGER NOT NULL
);

CREATE TABLE mailboxes (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    address        TEXT NOT NULL UNIQUE,
    domain         TEXT NOT NULL REFERENCES domains(name),
    password_hash  TEXT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'closed')),
    quota_bytes    INTEGER NOT NULL,
    used_bytes     INTEGER NOT NULL DEFAULT 0,
    warned_percent INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL
);

CREATE TABLE folders (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    mailbox_id     INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    special_use    TEXT,
    subscribed     INTEGER NOT NULL DEFAULT 1,
    uidvalidity    INTEGER NOT NULL,
    uidnext        INTEGER NOT NULL DEFAULT 1,
    highestmodseq  INTEGER NOT NULL DEFAULT 1,
    UNIQUE (mailbox_id, name)
);

CREATE TABLE blobs (
    sha256      TEXT PRIMARY KEY,
    size        INTEGER NOT NULL,
    refcount    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    folder_id       INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    uid             INTEGER NOT NULL,
    modseq          INTEGER NOT NULL,
    blob            TEXT NOT NULL REFERENCES blobs(sha256),
    size            INTEGER NOT NULL,
    internal_date   INTEGER NOT NULL,
    flags           TEXT NOT NULL DEFAULT '',
    pec_kind        TEXT,
    identificativo  TEXT,
    UNIQUE (folder_id, uid)
);
CREATE INDEX messages_identificativo ON messages(identificativo);

CREATE TABLE pec_messages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    identificativo  TEXT NOT NULL UNIQUE,
    msgid           TEXT,
    sender          TEXT NOT NULL,
    subject         TEXT NOT NULL,
    receipt_kind    TEXT NOT NULL,
    original_blob   TEXT NOT NULL REFERENCES blobs(sha256),
    envelope_blob   TEXT REFERENCES blobs(sha256),
    accepted_at     INTEGER NOT NULL
);

CREATE TABLE pec_recipients (
    pec_message_id  INTEGER NOT NULL REFERENCES pec_messages(id) ON DELETE CASCADE,
    address         TEXT NOT NULL,
    certified       INTEGER NOT NULL,
    local           INTEGER NOT NULL,
    state           TEXT NOT NULL,
    detail          TEXT,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (pec_message_id, address)
);

CREATE TABLE jobs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    kind             TEXT NOT NULL,
    payload          TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL UNIQUE,
    state            TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'done', 'dead', 'cancelled')),
    due_at           INTEGER NOT NULL,
    lease_owner      TEXT,
    lease_until      INTEGER,
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    finished_at      INTEGER
);
CREATE INDEX jobs_due ON jobs(state, due_at);

CREATE TABLE provider_log (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    at              INTEGER NOT NULL,
    event           TEXT NOT NULL,
    identificativo  TEXT,
    msgid           TEXT,
    sender          TEXT,
    recipients      TEXT NOT NULL DEFAULT '',
    subject         TEXT,
    detail          TEXT
);
CREATE INDEX provider_log_at ON provider_log(at);
CREATE INDEX provider_log_identificativo ON provider_log(identificativo);
CREATE INDEX provider_log_msgid ON provider_log(msgid);

-- Received PEC objects already processed, per recipient: a replayed or resent
-- envelope or receipt is recognised and not delivered twice.
CREATE TABLE seen (
    key  TEXT PRIMARY KEY,
    at   INTEGER NOT NULL
);
