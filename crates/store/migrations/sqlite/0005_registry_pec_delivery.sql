-- The registry and this installation's own PEC (crates/engine, crates/certa):
--
-- - a diffida sent as a PEC through the engine names the message that carried
--   it (`message`, the identificativo), and what became of it is a step of its
--   own: `received` (the delivery receipt's day, from which the 30 days run)
--   or `undelivered` (a non-delivery notice: the diffida is void, the next
--   one goes by letter);
-- - an address found unusable is flagged with why (`flag`): a mailbox of this
--   installation closed or ended at expiry, a diffida not delivered;
-- - a ReGIndE communication sent as a PEC names that message.
--
-- SQLite cannot change a CHECK constraint: registry_compliance is rebuilt
-- (no table refers to it, so this runs in the migration's transaction).
CREATE TABLE registry_compliance_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    member_id    INTEGER NOT NULL REFERENCES registry_members(id),
    kind         TEXT NOT NULL CHECK (kind IN ('warned', 'letter', 'deadline', 'suspension-listed', 'suspended', 'restored', 'received', 'undelivered')),
    on_date      TEXT NOT NULL,
    detail       TEXT NOT NULL DEFAULT '',
    message      TEXT,
    recorded_at  INTEGER NOT NULL
);
INSERT INTO registry_compliance_new (id, member_id, kind, on_date, detail, recorded_at)
    SELECT id, member_id, kind, on_date, detail, recorded_at FROM registry_compliance;
DROP TABLE registry_compliance;
ALTER TABLE registry_compliance_new RENAME TO registry_compliance;
CREATE INDEX registry_compliance_member ON registry_compliance(member_id, on_date);
CREATE INDEX registry_compliance_message ON registry_compliance(message);

ALTER TABLE registry_pec ADD COLUMN flag TEXT;

ALTER TABLE registry_reginde_exports ADD COLUMN message TEXT;

-- A sender finds a message it sent by its Message-ID (store::pec::sent_with_msgid).
CREATE INDEX pec_messages_sender_msgid ON pec_messages(sender, msgid);
