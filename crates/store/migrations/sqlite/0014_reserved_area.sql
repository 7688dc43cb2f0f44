-- The Order's reserved area for members (office::registry::reserved).
--
-- One-time tokens the Order issues to a member, under the SHA-256 of the token
-- (what the e-mail carries never reaches the database): `login` opens a
-- member session; `confirm` proves that the member holds `address`, a mailbox
-- of this installation they communicated. Used once (`used_at`), until
-- `expires_at`.
CREATE TABLE registry_member_tokens (
    token_hash  TEXT PRIMARY KEY,
    purpose     TEXT NOT NULL CHECK (purpose IN ('login', 'confirm')),
    member_id   INTEGER NOT NULL REFERENCES registry_members(id),
    address     TEXT,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);
CREATE INDEX registry_member_tokens_member ON registry_member_tokens(member_id, purpose);

-- A member's sessions in the reserved area, apart from the webmail's, under
-- the SHA-256 of their token, each with its own token against cross-site requests.
CREATE TABLE registry_member_sessions (
    id_hash       TEXT PRIMARY KEY,
    member_id     INTEGER NOT NULL REFERENCES registry_members(id),
    csrf          TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL
);
CREATE INDEX registry_member_sessions_member ON registry_member_sessions(member_id);
