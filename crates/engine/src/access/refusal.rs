//! What the access point answers when it does not accept a submission, in PEC
//! terms. A front end turns each case into its own answer (the SMTP submission
//! server into a reply code, a web form into a message); `Display` is the text
//! every front end shows.

use pec::original::OriginalError;
use store::mailboxes::Status;

/// Why a submission is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// RFC 6109 5.2: the reverse-path must be the authenticated mailbox.
    #[error("sender <{mail_from}> is not the authenticated mailbox <{login}>")]
    SenderNotAuthenticatedMailbox { mail_from: String, login: String },
    /// Only an active mailbox sends: a suspended, receive-only or closed one cannot.
    #[error("mailbox <{login}> is {}: it cannot send", .status.as_str())]
    MailboxCannotSend { login: String, status: Status },
    /// The authenticated login has no mailbox (any more).
    #[error("no mailbox <{login}> here")]
    NoSuchMailbox { login: String },
    /// RFC 6109 3.1.2: past the provider's size limit error handling is left to the
    /// submission protocol; no non-acceptance notice is issued.
    #[error("message too big for this provider")]
    MessageTooBig { size: usize, limit: usize },
    /// The message has no header section that can be read.
    #[error("the message cannot be read: {0}")]
    Unreadable(OriginalError),
    /// RFC 6109 3.1.1-3.1.2: formal checks failed; the sender's mailbox got an avviso
    /// di non accettazione (identified by `identificativo`) listing `problems`.
    #[error("message not accepted: {}", joined(.problems))]
    NotAccepted {
        identificativo: String,
        problems: Vec<FormalProblem>,
    },
}

/// One failed formal check (RFC 6109 3.1.1 and 5.2, DM 2/11/2005 art. 12).
/// `Display` is the Italian text of the non-acceptance notice.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormalProblem {
    /// RFC 6109 3.1.1: a From with one address.
    #[error("il messaggio non ha il campo From")]
    NoFrom,
    #[error("il campo From contiene più di un indirizzo")]
    SeveralFrom,
    /// RFC 6109 5.2: the sender is the authenticated user.
    #[error("il mittente {from} non coincide con l'utente autenticato {login}")]
    FromNotAuthenticated { from: String, login: String },
    /// RFC 6109 3.1.1: the reverse-path equals the From address.
    #[error("il mittente {from} non coincide con il reverse-path {mail_from}")]
    FromNotReversePath { from: String, mail_from: String },
    /// RFC 6109 3.1.1: a To with one or more addresses.
    #[error("il messaggio non ha destinatari nel campo To")]
    NoTo,
    /// RFC 6109 3.1.1: every address is an RFC 5322 one.
    #[error("{address:?} non è un indirizzo valido")]
    InvalidAddress { address: String },
    /// A header field that is not what its syntax says (as the reader reports it).
    #[error("{0}")]
    MalformedHeader(String),
    /// RFC 6109 3.1.1: Bcc holds no value.
    #[error("la posta certificata non ammette destinatari in copia nascosta (Bcc)")]
    Bcc,
    /// RFC 6109 3.1.1: the forward-paths are the To and Cc addresses (lower case,
    /// sorted, without duplicates).
    #[error("i destinatari della busta SMTP non coincidono con quelli dei campi To e Cc")]
    RecipientsMismatch { header: Vec<String>, envelope: Vec<String> },
    /// DM art. 12 c. 1: the provider's limit on recipients (at least 50, c. 2).
    #[error("troppi destinatari: {count} (massimo {max})")]
    TooManyRecipients { count: usize, max: usize },
    /// RFC 6109 3.1.1, DM art. 12 c. 2: size x recipients within the provider's limit
    /// (at least 30 MB).
    #[error("dimensione per numero di destinatari oltre il limite: {recipients} x {size} byte (massimo {max} byte)")]
    TooBigForRecipients { recipients: usize, size: usize, max: usize },
}

impl FormalProblem {
    /// The RFC 3463 enhanced status of the problem. The non-acceptance notice's
    /// `errore-esteso` starts with it (the `<code> - <gestore> - <text>` form of
    /// non-delivery notices, pec-rules.md 3.8), so a front end that has status codes
    /// of its own can give the same one.
    pub fn status(&self) -> (u8, u16, u16) {
        match self {
            FormalProblem::NoFrom | FormalProblem::SeveralFrom | FormalProblem::NoTo => (5, 6, 0),
            FormalProblem::MalformedHeader(_) => (5, 6, 0),
            FormalProblem::FromNotAuthenticated { .. }
            | FormalProblem::FromNotReversePath { .. }
            | FormalProblem::Bcc
            | FormalProblem::RecipientsMismatch { .. } => (5, 7, 1),
            FormalProblem::InvalidAddress { .. } => (5, 1, 3),
            FormalProblem::TooManyRecipients { .. } => (5, 5, 3),
            FormalProblem::TooBigForRecipients { .. } => (5, 3, 4),
        }
    }

    /// [`FormalProblem::status`] as text, e.g. `5.7.1`.
    pub fn code(&self) -> String {
        let (class, subject, detail) = self.status();
        format!("{class}.{subject}.{detail}")
    }
}

/// The problems as one sentence, in the order found (the first one's status leads).
pub(crate) fn joined(problems: &[FormalProblem]) -> String {
    problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}
