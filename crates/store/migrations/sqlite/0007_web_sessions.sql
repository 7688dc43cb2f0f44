-- The webmail's sessions, in the store so that several nodes on one database
-- share them. A session is known by the SHA-256 of its token (the cookie's
-- value never reaches the database); `stage` is 'password' while a second
-- factor is awaited, then 'full'.
CREATE TABLE web_sessions (
    id_hash TEXT PRIMARY KEY,
    mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    stage TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);
CREATE INDEX web_sessions_mailbox ON web_sessions(mailbox_id);
