//! IDLE (RFC 2177): the selected folder is re-read every `idle_poll` and what changed (new PEC
//! messages and receipts delivered by the engine, other sessions' flags and expunges) is sent at
//! once, until the client says DONE.

use imap_types::core::Tag;
use tokio::io::AsyncReadExt;
use tokio::time::Instant;

use super::{End, READ_CHUNK, Session, Step};
use crate::Auth;
use crate::wire::{Event, Expect};

impl<A: Auth> Session<A> {
    pub(super) async fn idle(&mut self, tag: &Tag<'_>) -> Step {
        self.out.continuation("idling");
        self.receiver.expect(Expect::IdleDone);
        let end = self.idle_loop().await;
        self.receiver.expect(Expect::Command);
        match end? {
            IdleEnd::Done => {
                self.refresh(true).await;
                self.out.ok(tag, None, "IDLE terminated");
            }
            IdleEnd::Bad(text) => {
                self.out.bad(tag, &text);
            }
        }
        Ok(())
    }

    async fn idle_loop(&mut self) -> Result<IdleEnd, End> {
        let mut last_input = Instant::now();
        let mut buf = vec![0u8; READ_CHUNK];
        loop {
            if let Some(event) = self.receiver.event() {
                match event {
                    Event::IdleDone => return Ok(IdleEnd::Done),
                    Event::Close(text) => {
                        self.out.bye(None, text);
                        return Err(End::Close);
                    }
                    Event::Refused(r) => return Ok(IdleEnd::Bad(r.text)),
                    _ => return Ok(IdleEnd::Bad("Expected DONE".into())),
                }
            }
            self.flush().await?;
            // RFC 3501 5.4 allows the autologout timer to run during IDLE (clients re-issue
            // IDLE every 29 minutes, RFC 2177 3).
            let deadline = last_input + self.config.idle_timeout;
            let poll = tokio::time::sleep(self.config.idle_poll);
            let woke = tokio::select! {
                biased;
                () = self.shutdown.cancelled() => return Err(End::Shutdown),
                () = tokio::time::sleep_until(deadline) => return Err(End::Timeout),
                read = self.stream.read(&mut buf) => Some(read),
                () = poll => None,
            };
            match woke {
                Some(Ok(0)) => return Err(End::Lost),
                Some(Ok(n)) => {
                    last_input = Instant::now();
                    self.receiver.feed(buf.get(..n).unwrap_or_default());
                }
                Some(Err(e)) => {
                    tracing::debug!(peer = %self.peer, error = %e, "read failed");
                    return Err(End::Lost);
                }
                None => self.refresh(true).await,
            }
        }
    }
}

enum IdleEnd {
    Done,
    Bad(String),
}
