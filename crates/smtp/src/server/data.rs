//! DATA (RFC 5321 4.1.1.4): the message, dot-unstuffed (RFC 5321 4.5.2), handed to the handler.

use smtp_proto::request::receiver::{DataReceiver, DummyDataReceiver};

use super::mail::too_big;
use super::session::{End, Session, Step, Transaction};
use super::{Handler, Reply};

impl<H: Handler> Session<H> {
    pub(super) async fn data(&mut self) -> Step {
        let Some(transaction) = &self.transaction else {
            self.reply(Reply::new(503, Some((5, 5, 1)), "Need MAIL command first"));
            return Ok(());
        };
        // RFC 5321 3.3: DATA without any accepted recipient gets 554 (or 503).
        if transaction.rcpts.is_empty() {
            self.reply(Reply::new(554, Some((5, 5, 1)), "No valid recipients"));
            return Ok(());
        }
        self.reply(Reply::new(354, None, "Start mail input; end with <CRLF>.<CRLF>"));
        let received = self.receive().await?;
        // RFC 5321 4.1.1.4: the end of data ends the transaction, whatever the reply.
        let Some(Transaction { from, rcpts }) = self.transaction.take() else {
            return Ok(());
        };
        let Some(message) = received else {
            // RFC 1870 6.2: too much data is refused once it has all been read.
            self.reply(too_big());
            return Ok(());
        };
        tracing::debug!(peer = %self.peer(), %from, rcpts = rcpts.len(), bytes = message.len(), "message received");
        let reply = self.handler.data(&self.info, &from, &rcpts, message).await;
        self.reply(reply);
        Ok(())
    }

    /// Reads up to the `<CRLF>.<CRLF>` terminator. `None` when the message exceeded the size
    /// limit: the rest was read and dropped.
    async fn receive(&mut self) -> Result<Option<Vec<u8>>, End> {
        let max = self.config.max_message_size;
        let mut message = Vec::new();
        let mut receiver = DataReceiver::new();
        // smtp-proto sees a line start only after a CRLF it has been given, so it would keep
        // the stuffed dot of a first line and miss "." right after DATA. The CRLF that ended
        // the DATA command is that line start (RFC 5321 4.1.1.4).
        receiver.ingest(&mut b"\r\n".iter(), &mut message);
        message.clear();
        let mut discard: Option<DummyDataReceiver> = None;
        loop {
            let mut bytes = self.input.iter();
            let done = match &mut discard {
                Some(discard) => discard.ingest(&mut bytes),
                None => receiver.ingest(&mut bytes, &mut message),
            };
            let consumed = self.input.len() - bytes.len();
            self.input.drain(..consumed);
            if discard.is_none() && message.len() > max {
                discard = Some(DummyDataReceiver::new_data(&receiver));
                message = Vec::new();
            }
            if done {
                return Ok(discard.is_none().then_some(message));
            }
            self.fill(false).await?;
        }
    }

    /// BDAT (RFC 3030) without CHUNKING offered: the chunk that follows the command is skipped,
    /// so that it is never read as commands.
    pub(super) async fn bdat(&mut self, chunk_size: usize) -> Step {
        if chunk_size > self.config.max_message_size {
            self.reply(Reply::new(
                421,
                Some((4, 7, 0)),
                "BDAT is not offered and the chunk is too big to skip",
            ));
            return Err(End::Close);
        }
        let mut left = chunk_size;
        loop {
            let n = left.min(self.input.len());
            self.input.drain(..n);
            left -= n;
            if left == 0 {
                break;
            }
            self.fill(false).await?;
        }
        self.reset();
        self.bad_command(Reply::new(502, Some((5, 5, 1)), "CHUNKING not offered, use DATA"))
    }
}
