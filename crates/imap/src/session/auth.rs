//! LOGIN (RFC 3501 6.2.3) and AUTHENTICATE (RFC 3501 6.2.2) with PLAIN (RFC 4616, initial
//! response per RFC 4959) and LOGIN (draft-murchison-sasl-login). Both only under TLS, which
//! `Request::admit` has checked. The decision is the [`Auth`]'s, read-only sessions included;
//! refusals carry RFC 5530 codes.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use imap_types::auth::AuthenticateData;
use imap_types::core::Tag;

use super::{End, MAX_AUTH_FAILURES, Session, Step, User};
use crate::request::{Mechanism, Reply};
use crate::wire::{Event, Expect, code};
use crate::{Auth, LoginError};

impl<A: Auth> Session<A> {
    pub(super) async fn login(&mut self, tag: &Tag<'_>, user: &str, password: &str) -> Step {
        match self.auth.login(user, password, self.peer.ip()).await {
            Ok(login) => {
                tracing::info!(peer = %self.peer, address = %login.address, read_only = login.read_only.is_some(), "IMAP login");
                self.user = Some(User {
                    mailbox_id: login.mailbox_id,
                    read_only: login.read_only,
                });
                self.receiver.logged_in(self.config.max_literal);
                // RFC 3501 6.2.3 suggests the new capabilities in the tagged OK.
                let ok = format!("{} OK [CAPABILITY {}] Logged in", tag.as_ref(), self.capabilities());
                self.out.line(&ok);
                Ok(())
            }
            Err(e) => {
                tracing::info!(peer = %self.peer, %user, error = ?e, "IMAP login refused");
                let reply = match e {
                    LoginError::Invalid => Reply::no(Some(code("AUTHENTICATIONFAILED")), "Invalid credentials"),
                    LoginError::Throttled(text) => Reply::no(Some(code("UNAVAILABLE")), text),
                    LoginError::Disabled(text) => Reply::no(Some(code("CONTACTADMIN")), text),
                    LoginError::Internal(text) => {
                        tracing::warn!(peer = %self.peer, error = %text, "login check failed");
                        Reply::no(Some(code("UNAVAILABLE")), "Temporary failure, please try again later")
                    }
                };
                self.auth_failed(tag, reply)
            }
        }
    }

    pub(super) async fn authenticate(&mut self, tag: &Tag<'_>, mechanism: Mechanism, initial: Option<Vec<u8>>) -> Step {
        let credentials = match mechanism {
            Mechanism::Plain => match initial {
                Some(response) => plain(&response),
                None => match self.challenge("").await? {
                    Ok(response) => plain(&response),
                    Err(reply) => Err(reply),
                },
            },
            Mechanism::Login => self.sasl_login(initial).await?,
        };
        match credentials {
            Ok((user, password)) => self.login(tag, &user, &password).await,
            Err(reply) => self.auth_failed(tag, reply),
        }
    }

    /// LOGIN: `+ VXNlcm5hbWU6` ("Username:") then `+ UGFzc3dvcmQ6` ("Password:"); the user
    /// name may come as the initial response.
    async fn sasl_login(&mut self, initial: Option<Vec<u8>>) -> Result<Result<(String, String), Reply>, End> {
        let user = match initial {
            Some(user) => user,
            None => match self.challenge("Username:").await? {
                Ok(user) => user,
                Err(reply) => return Ok(Err(reply)),
            },
        };
        let password = match self.challenge("Password:").await? {
            Ok(password) => password,
            Err(reply) => return Ok(Err(reply)),
        };
        Ok(match (String::from_utf8(user), String::from_utf8(password)) {
            (Ok(user), Ok(password)) => Ok((user, password)),
            _ => Err(malformed()),
        })
    }

    /// Sends a challenge and reads the client's answer (already base64-decoded); `*` cancels
    /// (RFC 3501 6.2.2).
    async fn challenge(&mut self, challenge: &str) -> Result<Result<Vec<u8>, Reply>, End> {
        self.out.challenge(&BASE64.encode(challenge));
        self.receiver.expect(Expect::AuthenticateData);
        let event = self.next_event().await;
        self.receiver.expect(Expect::Command);
        match event? {
            Event::AuthenticateData(AuthenticateData::Continue(data)) => Ok(Ok(data.declassify().to_vec())),
            Event::AuthenticateData(AuthenticateData::Cancel) => Ok(Err(Reply::bad("Authentication cancelled"))),
            Event::Close(text) => {
                self.out.bye(None, text);
                Err(End::Close)
            }
            _ => Ok(Err(malformed())),
        }
    }

    /// Every failed exchange counts against the session's allowance.
    fn auth_failed(&mut self, tag: &Tag<'_>, reply: Reply) -> Step {
        self.auth_failures += 1;
        self.out.tagged(tag, reply.kind, reply.code, &reply.text);
        if self.auth_failures >= MAX_AUTH_FAILURES {
            self.out.bye(None, "Too many failed logins");
            return Err(End::Close);
        }
        Ok(())
    }
}

/// RFC 4616 2: `[authzid] NUL authcid NUL passwd`. Acting as another user is not offered: the
/// authorization identity, when given, must be the user itself.
fn plain(response: &[u8]) -> Result<(String, String), Reply> {
    let mut fields = response.split(|&b| b == 0);
    let (Some(authzid), Some(user), Some(password), None) =
        (fields.next(), fields.next(), fields.next(), fields.next())
    else {
        return Err(malformed());
    };
    let (Ok(authzid), Ok(user), Ok(password)) = (
        std::str::from_utf8(authzid),
        std::str::from_utf8(user),
        std::str::from_utf8(password),
    ) else {
        return Err(malformed());
    };
    if !authzid.is_empty() && !authzid.eq_ignore_ascii_case(user) {
        return Err(Reply::no(
            Some(code("AUTHORIZATIONFAILED")),
            "Authorization identity not permitted",
        ));
    }
    Ok((user.to_string(), password.to_string()))
}

fn malformed() -> Reply {
    Reply::bad("Malformed authentication response")
}
