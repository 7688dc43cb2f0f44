//! Why a recipient was not delivered to, read from what the rules write: a
//! non-delivery notice's daticert (`errore` and `errore-esteso`, NOTA 12's
//! `<RFC 3463 code> - <gestore> - <text>`, pec-rules.md 3.8 and 4.2), or the
//! provider's own record of the recipient (the same text, an SMTP reply, or
//! the 24-hour timeout). Front ends say the [`Reason`] in their own words and
//! may show the provider's text beside it.

use pec::daticert::Errore;
use serde::Serialize;

/// The reasons a front end can put in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// NOTA 12 events 1-3 (RFC 3463 5.1.1): no such user or mailbox.
    UnknownRecipient,
    /// RFC 3463 5.1.2, daticert `no-dominio`: not a domain of the recipient's gestore.
    UnknownDomain,
    /// NOTA 12 event 5 (5.2.1): the mailbox exists but is disabled.
    MailboxDisabled,
    /// NOTA 12 event 4 (5.1.6): the mailbox was closed.
    MailboxClosed,
    /// NOTA 12 event 7 (5.2.2): the mailbox is full.
    MailboxFull,
    /// pec-rules.md 1.4 (5.4.7): no delivery receipt within 24 hours.
    Timeout,
    /// pec-rules.md 3.8: the recipient's gestore found a virus.
    Virus,
    /// The recipient's mail server refused the message in the SMTP dialogue.
    RefusedByServer,
    /// Anything else: the provider's text says it.
    Other,
}

/// A reason with what the provider wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Why {
    pub reason: Reason,
    /// The RFC 3463 enhanced status, when given (`5.1.1`).
    pub code: Option<String>,
    /// The gestore that wrote it, when said.
    pub gestore: Option<String>,
    /// The provider's text, as written (`indirizzo non valido`).
    pub text: String,
}

impl Why {
    /// From a notice's daticert: its `errore` and `errore-esteso`.
    pub fn from_daticert(errore: &Errore, esteso: Option<&str>) -> Why {
        let mut why = Why::from_text(esteso.unwrap_or_default());
        match errore {
            Errore::Virus => why.reason = Reason::Virus,
            Errore::NoDominio if why.reason == Reason::Other => why.reason = Reason::UnknownDomain,
            Errore::NoDest if why.reason == Reason::Other => why.reason = Reason::UnknownRecipient,
            _ => {}
        }
        why
    }

    /// From the provider's record of the recipient (`pec_recipients.detail`) or an
    /// `errore-esteso` alone.
    pub fn from_text(text: &str) -> Why {
        let text = text.trim();
        let (code, gestore, said) = split_esteso(text);
        let lower = said.to_lowercase();
        let by_code = code.as_deref().and_then(|c| match c {
            "5.1.1" | "5.1.0" | "5.1.3" => Some(Reason::UnknownRecipient),
            "5.1.2" => Some(Reason::UnknownDomain),
            "5.1.6" => Some(Reason::MailboxClosed),
            "5.2.1" => Some(Reason::MailboxDisabled),
            "5.2.2" => Some(Reason::MailboxFull),
            "5.4.7" => Some(Reason::Timeout),
            _ => None,
        });
        // Other providers' words for the same events (NOTA 12), and the engine's own
        // records: the 24-hour timeout, an ordinary server's SMTP reply.
        let reason = if lower.contains("virus") {
            Reason::Virus
        } else if let Some(r) = by_code {
            r
        } else if lower.contains("tempo massimo") {
            Reason::Timeout
        } else if lower.contains("casella piena") || lower.contains("mailbox full") {
            Reason::MailboxFull
        } else if lower.contains("inesistente") || lower.contains("non valido") || lower.contains("sconosciut") {
            Reason::UnknownRecipient
        } else if lower.starts_with("rifiutato da") || smtp_reply(&said) {
            Reason::RefusedByServer
        } else {
            Reason::Other
        };
        Why {
            reason,
            code,
            gestore,
            text: said,
        }
    }
}

/// `5.1.1 - Gestore S.p.A. - indirizzo non valido` into its three parts; any other
/// text is all `text`.
fn split_esteso(text: &str) -> (Option<String>, Option<String>, String) {
    let mut parts = text.splitn(3, " - ");
    match (parts.next(), parts.next(), parts.next()) {
        (Some(code), Some(gestore), Some(said)) if is_status_code(code.trim()) => (
            Some(code.trim().to_string()),
            Some(gestore.trim().to_string()),
            said.trim().to_string(),
        ),
        (Some(code), Some(said), None) if is_status_code(code.trim()) => {
            (Some(code.trim().to_string()), None, said.trim().to_string())
        }
        _ => (None, None, text.to_string()),
    }
}

/// RFC 3463 2: `class.subject.detail`, digits.
fn is_status_code(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() == 3
        && matches!(parts[0], "2" | "4" | "5")
        && parts[1..]
            .iter()
            .all(|p| (1..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_digit()))
}

/// An SMTP reply as the relay records it (`550 5.1.1 no such user`).
fn smtp_reply(text: &str) -> bool {
    let code = text.split_whitespace().next().unwrap_or_default();
    code.len() == 3 && code.starts_with(['4', '5']) && code.chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nota_12_form_is_read_part_by_part() {
        let why = Why::from_text("5.1.1 - ARUBA PEC S.p.A. - indirizzo non valido");
        assert_eq!(why.reason, Reason::UnknownRecipient);
        assert_eq!(why.code.as_deref(), Some("5.1.1"));
        assert_eq!(why.gestore.as_deref(), Some("ARUBA PEC S.p.A."));
        assert_eq!(why.text, "indirizzo non valido");
        assert_eq!(
            Why::from_text("5.2.2 - Certa - casella piena").reason,
            Reason::MailboxFull
        );
        assert_eq!(
            Why::from_text("5.2.1 - Certa - casella disattivata").reason,
            Reason::MailboxDisabled
        );
        assert_eq!(
            Why::from_text("5.1.6 - Certa - casella chiusa").reason,
            Reason::MailboxClosed
        );
        assert_eq!(
            Why::from_text("5.4.7 - Certa - tempo massimo di consegna superato").reason,
            Reason::Timeout
        );
    }

    #[test]
    fn the_engines_own_records_are_read_too() {
        assert_eq!(
            Why::from_text("tempo massimo di consegna superato").reason,
            Reason::Timeout
        );
        assert_eq!(Why::from_text("550 5.7.1 relay denied").reason, Reason::RefusedByServer);
        assert_eq!(
            Why::from_text("5.0.0 - Certa Nord - rifiutato da Sud: 554 no").reason,
            Reason::RefusedByServer
        );
        assert_eq!(Why::from_text("qualcosa di nuovo").reason, Reason::Other);
        assert_eq!(Why::from_text("").reason, Reason::Other);
    }

    #[test]
    fn daticert_errore_decides_virus_and_fills_in_when_the_text_does_not_say() {
        let virus = Why::from_daticert(&Errore::Virus, Some("5.7.1 - Certa - virus rilevato: EICAR"));
        assert_eq!(virus.reason, Reason::Virus);
        assert_eq!(
            Why::from_daticert(&Errore::NoDominio, Some("5.0.0 - X - boh")).reason,
            Reason::UnknownDomain
        );
        // Aruba writes errore="altro" for a missing mailbox; the code says which.
        assert_eq!(
            Why::from_daticert(&Errore::Altro, Some("5.1.1 - ARUBA PEC S.p.A. - indirizzo non valido")).reason,
            Reason::UnknownRecipient
        );
    }
}
