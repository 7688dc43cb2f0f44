-- The webmail's sessions: see the SQLite migration of the same name.
CREATE TABLE web_sessions (
    id_hash TEXT PRIMARY KEY,
    mailbox_id BIGINT NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    stage TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX web_sessions_mailbox ON web_sessions(mailbox_id);
