-- What the webmail's lists and search show of a message, read once from its
-- header when it is stored (pec::summary, store::messages::Summary). Rows
-- stored before this migration have summarised NULL; the office fills them
-- lazily (office::mail::backfill: at startup, and for the rows of a page shown).
ALTER TABLE messages ADD COLUMN summarised INTEGER;
ALTER TABLE messages ADD COLUMN from_address TEXT;
ALTER TABLE messages ADD COLUMN from_name TEXT;
-- To and Cc addresses in lower case, each between spaces (` a@x.it b@y.it `),
-- so a search for one is a LIKE on ` address `.
ALTER TABLE messages ADD COLUMN recipients TEXT;
ALTER TABLE messages ADD COLUMN subject TEXT;
ALTER TABLE messages ADD COLUMN sent_date INTEGER;
ALTER TABLE messages ADD COLUMN message_id TEXT;
ALTER TABLE messages ADD COLUMN has_attachments INTEGER NOT NULL DEFAULT 0;
-- A transport or anomaly envelope's original (postacert.eml).
ALTER TABLE messages ADD COLUMN inner_from_address TEXT;
ALTER TABLE messages ADD COLUMN inner_from_name TEXT;
ALTER TABLE messages ADD COLUMN inner_subject TEXT;
-- A folder's list, newest first, a page at a time from the last row shown
-- (keyset: internal_date, id), never an OFFSET over the folder.
CREATE INDEX messages_folder_newest ON messages(folder_id, internal_date, id);
-- Search by Message-ID (by identificativo: messages_identificativo).
CREATE INDEX messages_message_id ON messages(message_id);
-- The rows still to summarise.
CREATE INDEX messages_unsummarised ON messages(id) WHERE summarised IS NULL;
