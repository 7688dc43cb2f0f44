//! POP3 without I/O: the command parser ([`parse`]), the replies ([`Reply`],
//! [`message`] for RETR and TOP) and the session state machine ([`Session`]) over a
//! snapshot of the maildrop ([`Maildrop`]). The server ([`crate::spawn`]) drives it;
//! the fuzz target drives it with arbitrary bytes.

mod command;
mod maildrop;
mod reply;
mod session;
#[cfg(test)]
mod tests;

pub use command::{Command, ParseError, parse};
pub use maildrop::{Maildrop, Message, NumberError};
pub use reply::{Reply, message};
pub use session::{
    Action, COMMAND_LINE_MAX, MAX_AUTH_FAILURES, MAX_BAD_COMMANDS, SASL_LINE_MAX, Session, greeting, removed,
};
