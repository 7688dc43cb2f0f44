-- Two-factor login (TOTP, RFC 6238) and app passwords (store::two_factor).
-- A mailbox's TOTP secret is kept sealed (AES-256-GCM under a key file of the
-- data directory, by the office), never bare. `enabled` is 0 while enrolment
-- awaits its first code; `last_step` is the time step of the last code
-- accepted, so no code is accepted twice (RFC 6238 5.2).
CREATE TABLE mailbox_totp (
    mailbox_id INTEGER PRIMARY KEY REFERENCES mailboxes(id) ON DELETE CASCADE,
    sealed_secret TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 0,
    last_step INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    enabled_at INTEGER
);
-- Recovery codes, argon2id hashes, each usable once.
CREATE TABLE recovery_codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at INTEGER
);
CREATE INDEX recovery_codes_mailbox ON recovery_codes(mailbox_id);
-- App passwords for IMAP, POP3 and SMTP: argon2id hashes; revoking deletes the row.
CREATE TABLE app_passwords (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER
);
CREATE INDEX app_passwords_mailbox ON app_passwords(mailbox_id);
