-- What the access point read from the original and the builders need again after
-- acceptance (pec-rules.md 3.3, 4.2): the original Reply-To, which the transport
-- envelope's Reply-To and every daticert's <risposte> carry. NULL for messages
-- accepted before this column: they fall back to the sender.
ALTER TABLE pec_messages ADD COLUMN reply_to TEXT;

-- The order of the recipients as submitted, which the daticert <destinatari> and
-- the receipts' texts follow. NULL for older rows: they are listed by address.
ALTER TABLE pec_recipients ADD COLUMN position INTEGER;
