-- The webmail's message summaries: see the SQLite migration of the same name.
ALTER TABLE messages ADD COLUMN summarised BIGINT;
ALTER TABLE messages ADD COLUMN from_address TEXT;
ALTER TABLE messages ADD COLUMN from_name TEXT;
-- To and Cc addresses in lower case, each between spaces (` a@x.it b@y.it `),
-- so a search for one is a LIKE on ` address `.
ALTER TABLE messages ADD COLUMN recipients TEXT;
ALTER TABLE messages ADD COLUMN subject TEXT;
ALTER TABLE messages ADD COLUMN sent_date BIGINT;
ALTER TABLE messages ADD COLUMN message_id TEXT;
ALTER TABLE messages ADD COLUMN has_attachments BIGINT NOT NULL DEFAULT 0;
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
