-- The webmail's Sent folder lists what a mailbox sent from the provider's own
-- records, newest first, a page at a time from the last one shown (keyset
-- paging: store::sent::page). The sender's messages in id order, without
-- sorting all of them for each page.
CREATE INDEX pec_messages_sender_id ON pec_messages(sender, id);
