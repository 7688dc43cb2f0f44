//! What can go wrong with an operation, in terms a front end can answer with.
//!
//! An error about the request names the input at fault by the operation's own
//! name for it (`field`, e.g. `tax_id`, `order`, `amount`): the command line shows
//! it as its option (`--tax-id`), a web form beside its control, the JSON API in
//! its problem document. The reason never repeats the field's name.

use std::path::{Path, PathBuf};

/// An operation's failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value given is not acceptable (a malformed amount, an empty name, a
    /// codice fiscale whose check character is wrong).
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// What the request names is not on this installation (an Order, a member,
    /// a mailbox, an order ID).
    #[error("{field}: {reason}")]
    NotFound { field: &'static str, reason: String },
    /// The request is understood, but what is stored does not allow it now (the
    /// order is cancelled, a later day was already exported, the Order's mailbox
    /// cannot send). `field` names the input that would change the answer, if one does.
    #[error("{}", with_field(*.field, .reason))]
    Refused {
        field: Option<&'static str>,
        reason: String,
    },
    /// A file the operation reads or writes.
    #[error("{}: {reason}", .path.display())]
    File { path: PathBuf, reason: String },
    /// Something stored that cannot be read back (damaged data, a hand edit).
    #[error("{0}")]
    Corrupt(String),
    /// A failure while writing one item of a larger operation (a row of a roll),
    /// named by where it is (`line 42 (RSSMRA80A01H501U)`); the operation kept
    /// nothing. The front end shows the place before the failure.
    #[error("{place}: {error}")]
    At { place: String, error: Box<Error> },
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error(transparent)]
    Engine(#[from] engine::Error),
}

fn with_field(field: Option<&str>, reason: &str) -> String {
    match field {
        Some(f) => format!("{f}: {reason}"),
        None => reason.to_owned(),
    }
}

impl From<store::sqlx::Error> for Error {
    fn from(e: store::sqlx::Error) -> Self {
        Error::Store(store::Error::Db(e))
    }
}

impl Error {
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Error {
        Error::Invalid {
            field,
            reason: reason.into(),
        }
    }

    pub fn not_found(field: &'static str, reason: impl Into<String>) -> Error {
        Error::NotFound {
            field,
            reason: reason.into(),
        }
    }

    pub fn refused(reason: impl Into<String>) -> Error {
        Error::Refused {
            field: None,
            reason: reason.into(),
        }
    }

    pub fn refused_on(field: &'static str, reason: impl Into<String>) -> Error {
        Error::Refused {
            field: Some(field),
            reason: reason.into(),
        }
    }

    pub fn file(path: &Path, reason: impl std::fmt::Display) -> Error {
        Error::File {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        }
    }

    pub fn corrupt(what: impl Into<String>) -> Error {
        Error::Corrupt(what.into())
    }

    /// `error`, at one item of a larger operation.
    pub fn at(place: impl Into<String>, error: impl Into<Error>) -> Error {
        Error::At {
            place: place.into(),
            error: Box::new(error.into()),
        }
    }

    /// The input at fault, when the request is.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Error::Invalid { field, .. } | Error::NotFound { field, .. } => Some(field),
            Error::Refused { field, .. } => *field,
            Error::At { error, .. } => error.field(),
            _ => None,
        }
    }

    /// The message without the field's name (for a front end that shows the
    /// field its own way).
    pub fn reason(&self) -> String {
        match self {
            Error::Invalid { reason, .. } | Error::NotFound { reason, .. } | Error::Refused { reason, .. } => {
                reason.clone()
            }
            Error::At { place, error } => format!("{place}: {}", error.reason()),
            other => other.to_string(),
        }
    }

    /// Whether the request was at fault (the person can fix it), rather than the
    /// installation (a front end answers 4xx for these, 5xx for the others).
    pub fn is_request_error(&self) -> bool {
        match self {
            Error::Invalid { .. } | Error::NotFound { .. } | Error::Refused { .. } => true,
            Error::At { error, .. } => error.is_request_error(),
            _ => false,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
