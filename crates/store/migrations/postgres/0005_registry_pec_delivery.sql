-- The registry and this installation's own PEC: see the SQLite migration of
-- the same name for what each change is for.
ALTER TABLE registry_compliance DROP CONSTRAINT registry_compliance_kind_check;
ALTER TABLE registry_compliance ADD CONSTRAINT registry_compliance_kind_check
    CHECK (kind IN ('warned', 'letter', 'deadline', 'suspension-listed', 'suspended', 'restored', 'received', 'undelivered'));
ALTER TABLE registry_compliance ADD COLUMN message TEXT;
CREATE INDEX registry_compliance_message ON registry_compliance(message);

ALTER TABLE registry_pec ADD COLUMN flag TEXT;

ALTER TABLE registry_reginde_exports ADD COLUMN message TEXT;

-- A sender finds a message it sent by its Message-ID (store::pec::sent_with_msgid).
CREATE INDEX pec_messages_sender_msgid ON pec_messages(sender, msgid);
