//! EHLO and HELO (RFC 5321 4.1.1.1) and the extensions we offer.

use super::session::{Session, Step};
use super::{Handler, Reply};

impl<H: Handler> Session<H> {
    pub(super) fn ehlo(&mut self, host: &str) -> Step {
        // RFC 5321 4.1.4: EHLO resets the session as RSET does.
        self.reset();
        self.info.helo = Some(host.to_owned());
        let mut lines = vec![format!("{} greets {host}", self.config.hostname)];
        lines.extend(self.extensions());
        // RFC 2034 3: no enhanced status code on the EHLO reply.
        self.reply(Reply::new(250, None, lines.join("\n")));
        Ok(())
    }

    pub(super) fn helo(&mut self, host: &str) -> Step {
        self.reset();
        self.info.helo = Some(host.to_owned());
        self.reply(Reply::new(250, None, self.config.hostname.clone()));
        Ok(())
    }

    fn extensions(&self) -> Vec<String> {
        let mut ext = vec![
            // RFC 2920
            "PIPELINING".to_owned(),
            // RFC 1870: the fixed maximum, also enforced on the data.
            format!("SIZE {}", self.config.max_message_size),
            // RFC 6152
            "8BITMIME".to_owned(),
            // RFC 2034
            "ENHANCEDSTATUSCODES".to_owned(),
        ];
        // RFC 3207 4.2: not offered again once TLS is on.
        if self.config.tls.is_some() && !self.info.tls {
            ext.push("STARTTLS".to_owned());
        }
        if self.auth_offered() {
            // RFC 4954 4; LOGIN for the clients that know nothing else.
            ext.push("AUTH PLAIN LOGIN".to_owned());
        }
        ext
    }

    /// AUTH on submission only (RFC 6409 4.3), never in clear text: PLAIN and LOGIN send the
    /// password as is (RFC 4954 14), so submission always requires TLS for it.
    pub(super) fn auth_offered(&self) -> bool {
        self.is_submission() && self.info.tls && self.info.authenticated.is_none()
    }
}
