-- Certa storage, PostgreSQL dialect. Times are milliseconds since the Unix epoch (UTC).

CREATE TABLE domains (
    name        TEXT PRIMARY KEY,
    created_at  BIGINT NOT NULL
);

CREATE TABLE mailboxes (
    id             BIGSERIAL PRIMARY KEY,
    address        TEXT NOT NULL UNIQUE,
    domain         TEXT NOT NULL REFERENCES domains(name),
    password_hash  TEXT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'closed')),
    quota_bytes    BIGINT NOT NULL,
    used_bytes     BIGINT NOT NULL DEFAULT 0,
    warned_percent BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL
);

CREATE TABLE folders (
    id             BIGSERIAL PRIMARY KEY,
    mailbox_id     BIGINT NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    special_use    TEXT,
    subscribed     BIGINT NOT NULL DEFAULT 1,
    uidvalidity    BIGINT NOT NULL,
    uidnext        BIGINT NOT NULL DEFAULT 1,
    highestmodseq  BIGINT NOT NULL DEFAULT 1,
    UNIQUE (mailbox_id, name)
);

CREATE TABLE blobs (
    sha256      TEXT PRIMARY KEY,
    size        BIGINT NOT NULL,
    refcount    BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL
);

CREATE TABLE messages (
    id              BIGSERIAL PRIMARY KEY,
    folder_id       BIGINT NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    uid             BIGINT NOT NULL,
    modseq          BIGINT NOT NULL,
    blob            TEXT NOT NULL REFERENCES blobs(sha256),
    size            BIGINT NOT NULL,
    internal_date   BIGINT NOT NULL,
    flags           TEXT NOT NULL DEFAULT '',
    pec_kind        TEXT,
    identificativo  TEXT,
    UNIQUE (folder_id, uid)
);
CREATE INDEX messages_identificativo ON messages(identificativo);

CREATE TABLE pec_messages (
    id              BIGSERIAL PRIMARY KEY,
    identificativo  TEXT NOT NULL UNIQUE,
    msgid           TEXT,
    sender          TEXT NOT NULL,
    subject         TEXT NOT NULL,
    receipt_kind    TEXT NOT NULL,
    original_blob   TEXT NOT NULL REFERENCES blobs(sha256),
    envelope_blob   TEXT REFERENCES blobs(sha256),
    accepted_at     BIGINT NOT NULL
);

CREATE TABLE pec_recipients (
    pec_message_id  BIGINT NOT NULL REFERENCES pec_messages(id) ON DELETE CASCADE,
    address         TEXT NOT NULL,
    certified       BIGINT NOT NULL,
    local           BIGINT NOT NULL,
    state           TEXT NOT NULL,
    detail          TEXT,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (pec_message_id, address)
);

CREATE TABLE jobs (
    id               BIGSERIAL PRIMARY KEY,
    kind             TEXT NOT NULL,
    payload          TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL UNIQUE,
    state            TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'done', 'dead', 'cancelled')),
    due_at           BIGINT NOT NULL,
    lease_owner      TEXT,
    lease_until      BIGINT,
    attempts         BIGINT NOT NULL DEFAULT 0,
    last_error       TEXT,
    created_at       BIGINT NOT NULL,
    finished_at      BIGINT
);
CREATE INDEX jobs_due ON jobs(state, due_at);

CREATE TABLE provider_log (
    id              BIGSERIAL PRIMARY KEY,
    at              BIGINT NOT NULL,
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
    at   BIGINT NOT NULL
);
