//! AUTH (RFC 4954) with the PLAIN (RFC 4616) and LOGIN (draft-murchison-sasl-login) mechanisms.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use smtp_proto::{AUTH_LOGIN, AUTH_PLAIN};

use super::session::{End, Line, Session, Step};
use super::{Handler, MAX_AUTH_FAILURES, Reply};

/// RFC 4954 4: a line of the AUTH exchange may be up to 12288 octets.
const AUTH_LINE_MAX: usize = 12288;

/// What the client sent in an AUTH exchange.
enum Credentials {
    Given {
        user: String,
        password: String,
    },
    /// The reply that ends the exchange without asking the handler.
    Refused(Reply),
}

impl<H: Handler> Session<H> {
    pub(super) async fn auth(&mut self, mechanism: u64, initial_response: &str) -> Step {
        if !self.is_submission() {
            self.reply(Reply::new(502, Some((5, 5, 1)), "AUTH not available"));
            return Ok(());
        }
        // RFC 4954 6: this exact reply when the mechanism needs an encrypted channel.
        if !self.info.tls {
            self.reply(Reply::new(
                538,
                Some((5, 7, 11)),
                "Encryption required for requested authentication mechanism",
            ));
            return Ok(());
        }
        // RFC 4954 4: one successful AUTH per session, never inside a transaction.
        if self.info.authenticated.is_some() {
            self.reply(Reply::new(503, Some((5, 5, 1)), "Already authenticated"));
            return Ok(());
        }
        if self.transaction.is_some() {
            self.reply(Reply::new(
                503,
                Some((5, 5, 1)),
                "AUTH not permitted during a mail transaction",
            ));
            return Ok(());
        }
        let credentials = match mechanism {
            AUTH_PLAIN => self.plain(initial_response).await?,
            AUTH_LOGIN => self.login(initial_response).await?,
            // RFC 4954 4: 504 for a mechanism we do not support.
            _ => {
                self.reply(Reply::new(504, Some((5, 5, 4)), "Unrecognized authentication type"));
                return Ok(());
            }
        };
        let (user, password) = match credentials {
            Credentials::Given { user, password } => (user, password),
            Credentials::Refused(reply) => return self.auth_failed(reply),
        };
        match self.handler.authenticate(&self.info, &user, &password).await {
            Ok(login) => {
                tracing::info!(peer = %self.peer(), %login, "authenticated");
                self.info.authenticated = Some(login);
                self.reply(Reply::new(235, Some((2, 7, 0)), "Authentication successful"));
                Ok(())
            }
            Err(reply) => {
                tracing::info!(peer = %self.peer(), %user, reply = %reply, "authentication failed");
                self.auth_failed(reply)
            }
        }
    }

    /// Every exchange that does not end in 235 counts against the session's allowance.
    fn auth_failed(&mut self, reply: Reply) -> Step {
        self.auth_failures += 1;
        self.reply(reply);
        if self.auth_failures >= MAX_AUTH_FAILURES {
            self.reply(Reply::new(
                421,
                Some((4, 7, 0)),
                "Too many failed authentications, closing connection",
            ));
            return Err(End::Close);
        }
        Ok(())
    }

    /// RFC 4616 2: `[authzid] NUL authcid NUL passwd`, as the initial response or after `334 `.
    async fn plain(&mut self, initial_response: &str) -> Result<Credentials, End> {
        let response = if initial_response.is_empty() {
            match self.challenge("").await? {
                Ok(response) => response,
                Err(reply) => return Ok(Credentials::Refused(reply)),
            }
        } else {
            match decode(initial_response.as_bytes()) {
                Ok(response) => response,
                Err(reply) => return Ok(Credentials::Refused(reply)),
            }
        };
        let mut fields = response.split(|&b| b == 0);
        let (Some(authzid), Some(user), Some(password), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Ok(Credentials::Refused(malformed()));
        };
        let (Ok(authzid), Ok(user), Ok(password)) = (
            std::str::from_utf8(authzid),
            std::str::from_utf8(user),
            std::str::from_utf8(password),
        ) else {
            return Ok(Credentials::Refused(malformed()));
        };
        // Acting as another user is not offered: the authorization identity, when given, must
        // be the user itself (RFC 4616 2 lets the server refuse it).
        if !authzid.is_empty() && !authzid.eq_ignore_ascii_case(user) {
            return Ok(Credentials::Refused(Reply::new(
                535,
                Some((5, 7, 8)),
                "Authorization identity not permitted",
            )));
        }
        Ok(Credentials::Given {
            user: user.to_owned(),
            password: password.to_owned(),
        })
    }

    /// LOGIN: `334 Username:` then `334 Password:`, each answered in base64. The user name may
    /// come as the initial response.
    async fn login(&mut self, initial_response: &str) -> Result<Credentials, End> {
        let user = if initial_response.is_empty() {
            self.challenge("Username:").await?
        } else {
            decode(initial_response.as_bytes())
        };
        let user = match user {
            Ok(user) => user,
            Err(reply) => return Ok(Credentials::Refused(reply)),
        };
        let password = match self.challenge("Password:").await? {
            Ok(password) => password,
            Err(reply) => return Ok(Credentials::Refused(reply)),
        };
        match (String::from_utf8(user), String::from_utf8(password)) {
            (Ok(user), Ok(password)) => Ok(Credentials::Given { user, password }),
            _ => Ok(Credentials::Refused(malformed())),
        }
    }

    /// Sends `334 <base64 challenge>` and reads the client's base64 answer.
    async fn challenge(&mut self, challenge: &str) -> Result<Result<Vec<u8>, Reply>, End> {
        self.reply(Reply::new(334, None, BASE64.encode(challenge)));
        let line = match self.read_line(AUTH_LINE_MAX, false).await? {
            Line::Complete(line) => line,
            // RFC 4954 4 and RFC 3463 X.5.6.
            Line::TooLong => {
                return Ok(Err(Reply::new(
                    500,
                    Some((5, 5, 6)),
                    "Authentication Exchange line is too long",
                )));
            }
        };
        let line = line.strip_suffix(b"\n").unwrap_or(&line);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        // RFC 4954 4: "*" cancels the exchange.
        if line == b"*" {
            return Ok(Err(Reply::new(501, Some((5, 0, 0)), "Authentication cancelled")));
        }
        Ok(decode(line))
    }
}

/// Base64 as RFC 4954 4 has it: "=" is an empty response; undecodable input gets 501 5.5.2.
fn decode(response: &[u8]) -> Result<Vec<u8>, Reply> {
    if response == b"=" {
        return Ok(Vec::new());
    }
    BASE64
        .decode(response.trim_ascii())
        .map_err(|_| Reply::new(501, Some((5, 5, 2)), "Cannot decode base64 response"))
}

fn malformed() -> Reply {
    Reply::new(501, Some((5, 5, 2)), "Malformed authentication response")
}
