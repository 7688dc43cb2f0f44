-- Receipts kept while the message they prove is kept (store::receipts): a
-- mailbox's copy of a sent message is found by the accepted original's blob.
CREATE INDEX messages_blob ON messages(blob);
