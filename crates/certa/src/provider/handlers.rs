//! The SMTP front-ends' policy: submission calls the access point, inbound calls
//! the receiving point. Protocol in `smtp`, rules in `engine`; this maps one to
//! the other.

use std::sync::Arc;

use engine::Engine;
use engine::access::Submission;
use engine::guard::{LoginRefused, Purpose};
use engine::receiving::Reception;
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
            .login("smtp", user, password, info.peer.ip(), Purpose::Send)
            .await
        {
            Ok(Ok(mailbox)) => Ok(mailbox.address),
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
            Ok(Some(refusal)) => Err(refused(refusal)),
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
            Ok(refusal) => refused(refusal),
            Err(e) => internal(e),
        }
    }
}

fn refused(s: Submission) -> Reply {
    match s {
        Submission::Refused { code, status, text } => Reply::new(code, Some(status), text),
        Submission::Accepted { .. } => Reply::ok(),
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
            Ok(Reception::Refused { code, status, text }) => Reply::new(code, Some(status), text),
            Err(e) => internal(e),
        }
    }
}
