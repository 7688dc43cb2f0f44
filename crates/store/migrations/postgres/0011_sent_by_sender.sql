-- The Sent folder's keyset pages: see the SQLite migration of the same name.
CREATE INDEX pec_messages_sender_id ON pec_messages(sender, id);
