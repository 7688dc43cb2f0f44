//! MAIL FROM (RFC 5321 4.1.1.2): opens a transaction.

use std::borrow::Cow;

use smtp_proto::{
    MAIL_BODY_BINARYMIME, MAIL_BY_NOTIFY, MAIL_BY_RETURN, MAIL_BY_TRACE, MAIL_CONPERM, MAIL_REQUIRETLS, MAIL_RET_FULL,
    MAIL_RET_HDRS, MAIL_SMTPUTF8, MailFrom,
};

use super::session::{Session, Step, Transaction};
use super::{Handler, Reply};

impl<H: Handler> Session<H> {
    pub(super) async fn mail(&mut self, from: &MailFrom<Cow<'_, str>>) -> Step {
        // RFC 5321 4.1.4: a session starts with EHLO or HELO.
        if self.info.helo.is_none() {
            self.reply(Reply::new(503, Some((5, 5, 1)), "Send EHLO first"));
            return Ok(());
        }
        // RFC 6409 4.3 / RFC 4954 6: submission only after AUTH.
        if self.is_submission() && self.info.authenticated.is_none() {
            self.reply(Reply::new(530, Some((5, 7, 0)), "Authentication required"));
            return Ok(());
        }
        if self.transaction.is_some() {
            self.reply(Reply::new(503, Some((5, 5, 1)), "Nested MAIL command"));
            return Ok(());
        }
        // RFC 1870 6.1: a declared size over our fixed maximum is refused now.
        if from.size > self.config.max_message_size {
            self.reply(too_big());
            return Ok(());
        }
        if let Some(param) = unsupported_parameter(from) {
            return self.bad_command(Reply::new(
                555,
                Some((5, 5, 4)),
                format!("{param} parameter not supported"),
            ));
        }
        match self.handler.mail_from(&self.info, &from.address).await {
            Ok(()) => {
                self.transaction = Some(Transaction {
                    from: from.address.to_string(),
                    rcpts: Vec::new(),
                });
                self.reply(Reply::new(250, Some((2, 1, 0)), "Sender OK"));
            }
            Err(reply) => self.reply(reply),
        }
        Ok(())
    }
}

/// RFC 1870 6.1 and RFC 3463 X.3.4.
pub(super) fn too_big() -> Reply {
    Reply::new(552, Some((5, 3, 4)), "Message size exceeds fixed maximum message size")
}

/// RFC 5321 4.1.1.11: parameters of extensions we do not advertise get 555. smtp-proto parses
/// all registered ones; SIZE, BODY=7BIT/8BITMIME and AUTH= (RFC 4954 5) are ours.
fn unsupported_parameter(from: &MailFrom<Cow<'_, str>>) -> Option<&'static str> {
    let flag = |bits: u64| from.flags & bits != 0;
    [
        (flag(MAIL_BODY_BINARYMIME), "BODY=BINARYMIME"),
        (flag(MAIL_SMTPUTF8), "SMTPUTF8"),
        (flag(MAIL_REQUIRETLS), "REQUIRETLS"),
        (flag(MAIL_RET_FULL | MAIL_RET_HDRS), "RET"),
        (from.env_id.is_some(), "ENVID"),
        (
            from.by != 0 || flag(MAIL_BY_NOTIFY | MAIL_BY_RETURN | MAIL_BY_TRACE),
            "BY",
        ),
        (from.hold_for != 0, "HOLDFOR"),
        (from.hold_until != 0, "HOLDUNTIL"),
        (from.mt_priority != 0, "MT-PRIORITY"),
        (from.mtrk.is_some(), "MTRK"),
        (from.solicit.is_some(), "SOLICIT"),
        (from.trans_id.is_some(), "TRANSID"),
        (flag(MAIL_CONPERM), "CONPERM"),
    ]
    .into_iter()
    .find_map(|(present, name)| present.then_some(name))
}
