//! RCPT TO (RFC 5321 4.1.1.3): every recipient is put to the handler.

use std::borrow::Cow;

use smtp_proto::{
    RCPT_CONNEG, RCPT_NOTIFY_DELAY, RCPT_NOTIFY_FAILURE, RCPT_NOTIFY_NEVER, RCPT_NOTIFY_SUCCESS, RCPT_RRVS_CONTINUE,
    RCPT_RRVS_REJECT, RcptTo,
};

use super::session::{Session, Step};
use super::{Handler, Reply};

impl<H: Handler> Session<H> {
    pub(super) async fn rcpt(&mut self, to: &RcptTo<Cow<'_, str>>) -> Step {
        let Some(transaction) = &self.transaction else {
            self.reply(Reply::new(503, Some((5, 5, 1)), "Need MAIL command first"));
            return Ok(());
        };
        // RFC 5321 4.1.1.3: the forward-path is never empty.
        if to.address.is_empty() {
            return self.bad_command(Reply::new(501, Some((5, 1, 3)), "Empty recipient address"));
        }
        // RFC 5321 4.5.3.1.8 and RFC 3463 X.5.3: 452 past the limit; the client sends the
        // rest in another transaction.
        if transaction.rcpts.len() >= self.config.max_recipients {
            self.reply(Reply::new(452, Some((4, 5, 3)), "Too many recipients"));
            return Ok(());
        }
        if let Some(param) = unsupported_parameter(to) {
            return self.bad_command(Reply::new(
                555,
                Some((5, 5, 4)),
                format!("{param} parameter not supported"),
            ));
        }
        let from = transaction.from.clone();
        match self.handler.rcpt_to(&self.info, &from, &to.address).await {
            Ok(()) => {
                if let Some(transaction) = &mut self.transaction
                    && !transaction.rcpts.iter().any(|r| *r == to.address)
                {
                    transaction.rcpts.push(to.address.to_string());
                }
                self.reply(Reply::new(250, Some((2, 1, 5)), "Recipient OK"));
            }
            Err(reply) => self.reply(reply),
        }
        Ok(())
    }
}

/// RFC 5321 4.1.1.11: DSN (RFC 3461), RRVS (RFC 7293) and CONNEG are not advertised.
fn unsupported_parameter(to: &RcptTo<Cow<'_, str>>) -> Option<&'static str> {
    let notify = RCPT_NOTIFY_SUCCESS | RCPT_NOTIFY_FAILURE | RCPT_NOTIFY_DELAY | RCPT_NOTIFY_NEVER;
    if to.flags & notify != 0 {
        Some("NOTIFY")
    } else if to.orcpt.is_some() {
        Some("ORCPT")
    } else if to.rrvs != 0 || to.flags & (RCPT_RRVS_REJECT | RCPT_RRVS_CONTINUE) != 0 {
        Some("RRVS")
    } else if to.flags & RCPT_CONNEG != 0 {
        Some("CONNEG")
    } else {
        None
    }
}
