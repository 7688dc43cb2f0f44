-- The Order's reserved area for members: see the SQLite migration of the same name.
CREATE TABLE registry_member_tokens (
    token_hash  TEXT PRIMARY KEY,
    purpose     TEXT NOT NULL CHECK (purpose IN ('login', 'confirm')),
    member_id   BIGINT NOT NULL REFERENCES registry_members(id),
    address     TEXT,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX registry_member_tokens_member ON registry_member_tokens(member_id, purpose);

CREATE TABLE registry_member_sessions (
    id_hash       TEXT PRIMARY KEY,
    member_id     BIGINT NOT NULL REFERENCES registry_members(id),
    csrf          TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL
);
CREATE INDEX registry_member_sessions_member ON registry_member_sessions(member_id);
