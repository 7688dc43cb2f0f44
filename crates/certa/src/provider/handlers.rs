//! The SMTP front-ends' policy: submission calls the access point, inbound calls
//! the receiving point. Protocol in `smtp`, rules in `engine`; this maps one to
//! the other.

use std::sync::Arc;

use engine::Engine;
use engine::access::{Refusal, Submission};
use engine::guard::{Channel, LoginRefused, Purpose};
use engine::receiving::{Reception, Rejection};
use smtp::Reply;
use smtp::server::{Handler, SessionInfo};

fn internal(e: engine::Error) -> Reply {
    tracing::error!("engine error: {e}");
    Reply::new(451, Some((4, 3, 0)), "temporary local problem, try again later")
}

/// Submission (RFC 6409): authenticated users send PEC.
pub struct SubmissionHandler(pub Arc<Engine>);

impl Handler for SubmissionHandler {
    async fn authenticate(&self, info: &SessionInfo, user: &str, password: &str) -> Result<String, Reply> {
        match self
            .0
            .login("smtp", user, password, info.peer.ip(), Purpose::Send, Channel::Mail)
            .await
        {
            Ok(Ok(granted)) => Ok(granted.mailbox.address),
            Ok(Err(LoginRefused::Invalid)) => {
                Err(Reply::new(535, Some((5, 7, 8)), "authentication credentials invalid"))
            }
            Ok(Err(LoginRefused::Throttled { retry_after })) => Err(Reply::new(
                454,
                Some((4, 7, 0)),
                format!(
                    "too many failed logins: try again in {} minutes",
                    retry_after.as_secs().div_ceil(60)
                ),
            )),
            Ok(Err(LoginRefused::Disabled(why))) => Err(Reply::new(535, Some((5, 7, 8)), why)),
            Err(e) => Err(internal(e)),
        }
    }

    async fn mail_from(&self, info: &SessionInfo, from: &str) -> Result<(), Reply> {
        let Some(login) = &info.authenticated else {
            return Err(Reply::new(530, Some((5, 7, 0)), "authentication required"));
        };
        match self.0.check_sender(login, from).await {
            Ok(None) => Ok(()),
            Ok(Some(refusal)) => Err(reply(&refusal)),
            Err(e) => Err(internal(e)),
        }
    }

    async fn rcpt_to(&self, _info: &SessionInfo, _from: &str, _to: &str) -> Result<(), Reply> {
        // Every recipient is accepted here; the access point checks them against the
        // message (RFC 6109 3.1.1) and answers at DATA.
        Ok(())
    }

    async fn data(&self, info: &SessionInfo, from: &str, rcpts: &[String], message: Vec<u8>) -> Reply {
        let Some(login) = &info.authenticated else {
            return Reply::new(530, Some((5, 7, 0)), "authentication required");
        };
        match self.0.submit(login, from, rcpts, &message).await {
            Ok(Submission::Accepted { identificativo }) => Reply::new(
                250,
                Some((2, 0, 0)),
                format!("accepted, identificativo {identificativo}"),
            ),
            Ok(Submission::Refused(refusal)) => reply(&refusal),
            Err(e) => internal(e),
        }
    }
}

/// The submission server's reply to each refusal of the access point (RFC 5321 4.2,
/// RFC 3463 enhanced codes).
fn reply(refusal: &Refusal) -> Reply {
    let status = match refusal {
        // RFC 3463 X.7.1: delivery not authorized.
        Refusal::SenderNotAuthenticatedMailbox { .. }
        | Refusal::MailboxCannotSend { .. }
        | Refusal::NoSuchMailbox { .. } => (5, 7, 1),
        // RFC 5321 4.2.2 552 and RFC 3463 X.3.4: message too big for the system
        // (RFC 6109 3.1.2: past the limit, error handling is left to SMTP).
        Refusal::MessageTooBig { .. } => return Reply::new(552, Some((5, 3, 4)), refusal.to_string()),
        // RFC 3463 X.6.0: other or undefined media error.
        Refusal::Unreadable(_) => (5, 6, 0),
        // The same status as the non-acceptance notice's errore-esteso.
        Refusal::NotAccepted { problems, .. } => problems.first().map_or((5, 7, 1), |p| p.status()),
    };
    Reply::new(550, Some(status), refusal.to_string())
}

/// The inbound server's reply to each refusal of the receiving point.
fn inbound_reply(rejection: &Rejection) -> Reply {
    match rejection {
        Rejection::TooBig { .. } => Reply::new(552, Some((5, 3, 4)), rejection.to_string()),
        Rejection::NotValidPec(_) => Reply::new(550, Some((5, 7, 1)), rejection.to_string()),
    }
}

/// The receiving point (other providers and the Internet).
pub struct InboundHandler(pub Arc<Engine>);

impl Handler for InboundHandler {
    async fn authenticate(&self, _info: &SessionInfo, _user: &str, _password: &str) -> Result<String, Reply> {
        Err(Reply::new(503, Some((5, 5, 1)), "no authentication on this port"))
    }

    async fn mail_from(&self, _info: &SessionInfo, _from: &str) -> Result<(), Reply> {
        Ok(())
    }

    async fn rcpt_to(&self, _info: &SessionInfo, _from: &str, to: &str) -> Result<(), Reply> {
        match self.0.accepts_recipient(to).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(Reply::new(
                550,
                Some((5, 7, 1)),
                format!("relay to <{to}> denied: not a domain of this provider"),
            )),
            Err(e) => Err(internal(e)),
        }
    }

    async fn data(&self, _info: &SessionInfo, from: &str, rcpts: &[String], message: Vec<u8>) -> Reply {
        match self.0.receive(from, rcpts, &message).await {
            Ok(Reception::Queued) => Reply::new(250, Some((2, 0, 0)), "queued"),
            Ok(Reception::Refused(rejection)) => inbound_reply(&rejection),
            Err(e) => internal(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use engine::access::FormalProblem;
    use engine::receiving::Invalidity;
    use pec::original::OriginalError;
    use store::mailboxes::Status;

    use super::*;

    fn not_accepted(problems: Vec<FormalProblem>) -> Refusal {
        Refusal::NotAccepted {
            identificativo: "certa.1@pec.example.it".into(),
            problems,
        }
    }

    /// The replies the servers gave when the engine still chose them, byte for byte.
    #[test]
    fn every_verdict_keeps_its_smtp_reply() {
        let (a, b) = ("a@pec.example.it".to_string(), "b@pec.example.it".to_string());
        let cases = [
            (
                Refusal::SenderNotAuthenticatedMailbox {
                    mail_from: b.clone(),
                    login: a.clone(),
                },
                Reply::new(
                    550,
                    Some((5, 7, 1)),
                    "sender <b@pec.example.it> is not the authenticated mailbox <a@pec.example.it>",
                ),
            ),
            (
                Refusal::MailboxCannotSend {
                    login: a.clone(),
                    status: Status::ReceiveOnly,
                },
                Reply::new(
                    550,
                    Some((5, 7, 1)),
                    "mailbox <a@pec.example.it> is receive-only: it cannot send",
                ),
            ),
            (
                Refusal::NoSuchMailbox { login: a.clone() },
                Reply::new(550, Some((5, 7, 1)), "no mailbox <a@pec.example.it> here"),
            ),
            (
                Refusal::MessageTooBig { size: 10, limit: 5 },
                Reply::new(552, Some((5, 3, 4)), "message too big for this provider"),
            ),
            (
                Refusal::Unreadable(OriginalError::Unreadable),
                Reply::new(
                    550,
                    Some((5, 6, 0)),
                    "the message cannot be read: the message has no header section that can be read",
                ),
            ),
            (
                not_accepted(vec![
                    FormalProblem::InvalidAddress { address: "x".into() },
                    FormalProblem::Bcc,
                ]),
                Reply::new(
                    550,
                    Some((5, 1, 3)),
                    "message not accepted: \"x\" non è un indirizzo valido; \
                     la posta certificata non ammette destinatari in copia nascosta (Bcc)",
                ),
            ),
            (
                not_accepted(vec![FormalProblem::NoFrom, FormalProblem::NoTo]),
                Reply::new(
                    550,
                    Some((5, 6, 0)),
                    "message not accepted: il messaggio non ha il campo From; \
                     il messaggio non ha destinatari nel campo To",
                ),
            ),
            (
                not_accepted(vec![FormalProblem::TooManyRecipients { count: 600, max: 500 }]),
                Reply::new(
                    550,
                    Some((5, 5, 3)),
                    "message not accepted: troppi destinatari: 600 (massimo 500)",
                ),
            ),
            (
                not_accepted(vec![FormalProblem::TooBigForRecipients {
                    recipients: 2,
                    size: 100,
                    max: 150,
                }]),
                Reply::new(
                    550,
                    Some((5, 3, 4)),
                    "message not accepted: dimensione per numero di destinatari oltre il limite: \
                     2 x 100 byte (massimo 150 byte)",
                ),
            ),
            (
                not_accepted(vec![FormalProblem::FromNotReversePath {
                    from: a.clone(),
                    mail_from: b.clone(),
                }]),
                Reply::new(
                    550,
                    Some((5, 7, 1)),
                    "message not accepted: il mittente a@pec.example.it non coincide con il reverse-path \
                     b@pec.example.it",
                ),
            ),
        ];
        for (refusal, expected) in cases {
            assert_eq!(reply(&refusal), expected, "{refusal:?}");
        }
        assert_eq!(
            inbound_reply(&Rejection::TooBig { size: 10, limit: 5 }),
            Reply::new(552, Some((5, 3, 4)), "message too big")
        );
        assert_eq!(
            inbound_reply(&Rejection::NotValidPec(Invalidity::AnomalyEnvelope)),
            Reply::new(
                550,
                Some((5, 7, 1)),
                "not a valid PEC message: it is itself a busta di anomalia"
            )
        );
        assert_eq!(
            inbound_reply(&Rejection::NotValidPec(Invalidity::ForeignDomain {
                from: "x@y.it".into(),
                provider: "Certa Sud".into(),
            })),
            Reply::new(
                550,
                Some((5, 7, 1)),
                "not a valid PEC message: sent from \"x@y.it\", not a domain of Certa Sud"
            )
        );
    }
}
