//! One builder per message kind of the rules (pec-rules.md 3.2-3.9).

use std::borrow::Cow;

use mail_builder::headers::HeaderType;
use mail_builder::headers::address::Address;
use mail_builder::headers::raw::Raw;

use super::text::{self, Facts};
use super::{Assembly, BuildError, Built, Certified, Gestore, hash_attachments};
use crate::daticert::{Errore, ReceiptKind, Tipo};
use crate::original::{Mailbox, Original};
use crate::time::LegalTime;

/// Why a submission was not accepted (RFC 6109 3.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NonAcceptanceReason {
    /// A formal check failed; `code` is the RFC 3463 enhanced status (e.g. `5.7.1`).
    Formal { code: String, text: String },
    /// The antivirus found `text` (the virus name or the scanner's verdict).
    Virus { text: String },
}

/// Why a recipient could not be delivered to (NOTA 12: `<code> - <gestore> - <text>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NonDeliveryReason {
    pub errore: Errore,
    /// RFC 3463 enhanced status code, e.g. `5.1.1`.
    pub code: String,
    pub text: String,
}

impl NonDeliveryReason {
    /// NOTA 12 events 1-3: the user or mailbox does not exist.
    pub fn unknown_mailbox() -> Self {
        Self::new(Errore::NoDest, "5.1.1", "indirizzo non valido")
    }

    /// The recipient's domain is not a PEC domain of the recipient's gestore.
    pub fn unknown_domain() -> Self {
        Self::new(Errore::NoDominio, "5.1.2", "dominio non valido")
    }

    /// NOTA 12 event 5: the mailbox exists but is temporarily disabled (suspended).
    pub fn mailbox_disabled() -> Self {
        Self::new(Errore::Altro, "5.2.1", "casella disattivata")
    }

    /// NOTA 12 event 7: the mailbox is full.
    pub fn mailbox_full() -> Self {
        Self::new(Errore::Altro, "5.2.2", "casella piena")
    }

    pub fn new(errore: Errore, code: &str, text: &str) -> Self {
        NonDeliveryReason {
            errore,
            code: code.to_string(),
            text: text.to_string(),
        }
    }

    /// `5.1.1 - Certa PEC S.p.A. - indirizzo non valido`.
    pub fn errore_esteso(&self, gestore: &str) -> String {
        format!("{} - {} - {}", self.code, gestore, self.text)
    }
}

const SUBJECT_POSTA_CERTIFICATA: &str = "POSTA CERTIFICATA: ";
const SUBJECT_ANOMALIA: &str = "ANOMALIA MESSAGGIO: ";
const SUBJECT_ACCETTAZIONE: &str = "ACCETTAZIONE: ";
const SUBJECT_NON_ACCETTAZIONE: &str = "AVVISO DI NON ACCETTAZIONE: ";
const SUBJECT_NON_ACCETTAZIONE_VIRUS: &str = "AVVISO DI NON ACCETTAZIONE PER VIRUS: ";
const SUBJECT_PRESA_IN_CARICO: &str = "PRESA IN CARICO: ";
const SUBJECT_CONSEGNA: &str = "CONSEGNA: ";
const SUBJECT_MANCATA_CONSEGNA: &str = "AVVISO DI MANCATA CONSEGNA: ";
const SUBJECT_MANCATA_CONSEGNA_VIRUS: &str = "AVVISO DI MANCATA CONSEGNA PER VIRUS: ";
const SUBJECT_TEMPO_MASSIMO: &str = "AVVISO DI MANCATA CONSEGNA PER SUP. TEMPO MASSIMO: ";
const SUBJECT_PROBLEMA_SICUREZZA: &str = "PROBLEMA DI SICUREZZA: ";

/// Where a receipt or notice goes and what marks it.
struct Receipt<'a> {
    to: &'a str,
    subject_prefix: &'static str,
    x_ricevuta: &'static str,
    extra: Vec<(&'static str, HeaderType<'a>)>,
}

impl Gestore {
    fn facts<'a>(&self, c: &'a Certified, at: LegalTime) -> Facts<'a> {
        Facts {
            at,
            subject: &c.subject,
            sender: &c.sender,
            identificativo: c.identificativo.as_str(),
        }
    }

    /// Headers of a receipt or notice (pec-rules.md 3.4-3.8): From the gestore, To one
    /// address, the kind in `X-Ricevuta`, the original msgid in `X-Riferimento-Message-ID`.
    fn receipt_headers<'a>(
        &self,
        c: &'a Certified,
        r: Receipt<'a>,
        at: LegalTime,
    ) -> Vec<(&'static str, HeaderType<'a>)> {
        let mut h: Vec<(&'static str, HeaderType<'a>)> = vec![
            ("Date", Raw::new(at.rfc5322()).into()),
            ("From", Raw::new(self.address()).into()),
            ("To", Raw::new(r.to).into()),
            ("X-Ricevuta", Raw::new(r.x_ricevuta).into()),
        ];
        if let Some(msgid) = &c.msgid {
            h.push(("X-Riferimento-Message-ID", Raw::new(msgid.as_str()).into()));
        }
        h.extend(r.extra);
        h
    }

    /// Busta di trasporto (pec-rules.md 3.3): the signed envelope carrying the
    /// certified copy of `original` to every recipient.
    pub fn transport_envelope(&self, c: &Certified, original: &Original, at: LegalTime) -> Result<Built, BuildError> {
        let mut headers: Vec<(&'static str, HeaderType<'_>)> = vec![
            ("X-Trasporto", Raw::new("posta-certificata").into()),
            ("Date", Raw::new(at.rfc5322()).into()),
            ("From", on_behalf_of(&c.sender, &self.address())),
            ("Reply-To", Raw::new(c.reply_to.as_str()).into()),
        ];
        push_address_list(&mut headers, "To", &original.to);
        push_address_list(&mut headers, "Cc", &original.cc);
        if let Some(msgid) = &c.msgid {
            headers.push(("X-Riferimento-Message-ID", Raw::new(msgid.as_str()).into()));
        }
        headers.push(("X-TipoRicevuta", Raw::new(c.receipt_kind.as_str()).into()));
        let mut d = self.daticert(Tipo::PostaCertificata, Errore::Nessuno, c, at);
        d.ricevuta = Some(c.receipt_kind.clone());
        self.assemble(Assembly {
            headers,
            subject: (SUBJECT_POSTA_CERTIFICATA, c.subject.clone()),
            message_id: c.identificativo.as_message_id(),
            text: text::transport_envelope(&self.facts(c, at), &c.recipients),
            daticert: Some(d),
            postacert: Some(Cow::Owned(original.certified_copy(&c.identificativo))),
        })
    }

    /// Ricevuta di accettazione (pec-rules.md 3.4), to the sender.
    pub fn acceptance(&self, c: &Certified, at: LegalTime) -> Result<Built, BuildError> {
        let r = Receipt {
            to: &c.sender,
            subject_prefix: SUBJECT_ACCETTAZIONE,
            x_ricevuta: "accettazione",
            extra: vec![],
        };
        self.receipt(
            c,
            r,
            at,
            self.daticert(Tipo::Accettazione, Errore::Nessuno, c, at),
            text::acceptance(&self.facts(c, at), &c.recipients),
            None,
        )
    }

    /// Avviso di non accettazione, formal or for virus (pec-rules.md 3.5), to the sender.
    pub fn non_acceptance(
        &self,
        c: &Certified,
        reason: &NonAcceptanceReason,
        at: LegalTime,
    ) -> Result<Built, BuildError> {
        let facts = self.facts(c, at);
        let (r, errore, esteso, body) = match reason {
            NonAcceptanceReason::Formal { code, text: why } => (
                Receipt {
                    to: &c.sender,
                    subject_prefix: SUBJECT_NON_ACCETTAZIONE,
                    x_ricevuta: "non-accettazione",
                    extra: vec![],
                },
                Errore::Altro,
                format!("{code} - {} - {why}", self.name),
                text::non_acceptance(&facts, why, false),
            ),
            NonAcceptanceReason::Virus { text: why } => (
                Receipt {
                    to: &c.sender,
                    subject_prefix: SUBJECT_NON_ACCETTAZIONE_VIRUS,
                    x_ricevuta: "non-accettazione",
                    extra: vec![("X-VerificaSicurezza", Raw::new("errore").into())],
                },
                Errore::Virus,
                format!("5.7.1 - {} - virus rilevato: {why}", self.name),
                text::non_acceptance(&facts, why, true),
            ),
        };
        let mut d = self.daticert(Tipo::NonAccettazione, errore, c, at);
        d.errore_esteso = Some(esteso);
        self.receipt(c, r, at, d, body, None)
    }

    /// Ricevuta di presa in carico (pec-rules.md 3.6): from the recipient's gestore to
    /// the sender's gestore (`to`: its receipts address from the provider index).
    pub fn presa_in_carico(&self, c: &Certified, to: &str, at: LegalTime) -> Result<Built, BuildError> {
        let r = Receipt {
            to,
            subject_prefix: SUBJECT_PRESA_IN_CARICO,
            x_ricevuta: "presa-in-carico",
            extra: vec![],
        };
        self.receipt(
            c,
            r,
            at,
            self.daticert(Tipo::PresaInCarico, Errore::Nessuno, c, at),
            text::presa_in_carico(&self.facts(c, at), &c.recipients),
            None,
        )
    }

    /// Ricevuta di avvenuta consegna (pec-rules.md 3.7) for one `recipient`, of the kind
    /// the sender asked for: `completa` attaches `postacert` (the certified copy as
    /// received in the envelope), `breve` attaches it with each attachment replaced by
    /// its SHA-256 ([`hash_attachments`]), `sintetica` attaches nothing.
    pub fn delivery_receipt(
        &self,
        c: &Certified,
        recipient: &str,
        postacert: &[u8],
        at: LegalTime,
    ) -> Result<Built, BuildError> {
        let r = Receipt {
            to: &c.sender,
            subject_prefix: SUBJECT_CONSEGNA,
            x_ricevuta: "avvenuta-consegna",
            extra: vec![("X-TipoRicevuta", Raw::new(c.receipt_kind.as_str()).into())],
        };
        let mut d = self.daticert(Tipo::AvvenutaConsegna, Errore::Nessuno, c, at);
        d.ricevuta = Some(c.receipt_kind.clone());
        d.consegna = Some(recipient.to_string());
        let (attached, note) = match c.receipt_kind {
            ReceiptKind::Breve => (
                Some(Cow::Owned(hash_attachments(postacert))),
                Some(text::ORIGINAL_HASHED),
            ),
            ReceiptKind::Sintetica => (None, None),
            // Completa, and any value outside the rules (the default applies).
            _ => (Some(Cow::Borrowed(postacert)), Some(text::ORIGINAL_ATTACHED)),
        };
        self.receipt(
            c,
            r,
            at,
            d,
            text::delivery(&self.facts(c, at), recipient, note),
            attached,
        )
    }

    /// Avviso di mancata consegna (pec-rules.md 3.8) for one `recipient`, from its gestore.
    pub fn non_delivery(
        &self,
        c: &Certified,
        recipient: &str,
        reason: &NonDeliveryReason,
        at: LegalTime,
    ) -> Result<Built, BuildError> {
        let r = Receipt {
            to: &c.sender,
            subject_prefix: SUBJECT_MANCATA_CONSEGNA,
            x_ricevuta: "errore-consegna",
            extra: vec![],
        };
        let esteso = reason.errore_esteso(&self.name);
        let body = text::non_delivery(&self.facts(c, at), recipient, &esteso, "Avviso di mancata consegna");
        self.failure(
            c,
            r,
            reason.errore.clone(),
            Tipo::ErroreConsegna,
            recipient,
            esteso,
            body,
            at,
        )
    }

    /// Preavviso di mancata consegna (12 hours, pec-rules.md 1.4), from the sender's
    /// gestore when neither presa in carico nor consegna arrived for `recipient`.
    pub fn timeout_warning(&self, c: &Certified, recipient: &str, at: LegalTime) -> Result<Built, BuildError> {
        let r = Receipt {
            to: &c.sender,
            subject_prefix: SUBJECT_TEMPO_MASSIMO,
            x_ricevuta: "preavviso-errore-consegna",
            extra: vec![],
        };
        let esteso = format!("4.4.7 - {} - consegna non confermata entro 12 ore", self.name);
        let body = text::timeout_warning(&self.facts(c, at), recipient);
        self.failure(
            c,
            r,
            Errore::Altro,
            Tipo::PreavvisoErroreConsegna,
            recipient,
            esteso,
            body,
            at,
        )
    }

    /// Avviso di mancata consegna per superamento dei tempi massimi (24 hours).
    pub fn timeout_failure(&self, c: &Certified, recipient: &str, at: LegalTime) -> Result<Built, BuildError> {
        let r = Receipt {
            to: &c.sender,
            subject_prefix: SUBJECT_TEMPO_MASSIMO,
            x_ricevuta: "errore-consegna",
            extra: vec![],
        };
        let esteso = format!("5.4.7 - {} - tempo massimo di consegna superato", self.name);
        let body = text::timeout_failure(&self.facts(c, at), recipient, &esteso);
        self.failure(c, r, Errore::Altro, Tipo::ErroreConsegna, recipient, esteso, body, at)
    }

    /// Avviso di rilevazione virus (PROBLEMA DI SICUREZZA, pec-rules.md 3.8): from the
    /// recipient's gestore to the sender's gestore (`to`: its receipts address).
    pub fn virus_detection(
        &self,
        c: &Certified,
        recipient: &str,
        virus: &str,
        to: &str,
        at: LegalTime,
    ) -> Result<Built, BuildError> {
        let r = Receipt {
            to,
            subject_prefix: SUBJECT_PROBLEMA_SICUREZZA,
            x_ricevuta: "rilevazione-virus",
            extra: vec![("X-Mittente", Raw::new(c.sender.as_str()).into())],
        };
        let esteso = format!("5.7.1 - {} - virus rilevato: {virus}", self.name);
        let body = text::virus_detection(&self.facts(c, at), recipient, virus);
        // Format 2.1 (ULib notes): the affected recipient is in <consegna>.
        self.failure(c, r, Errore::Virus, Tipo::RilevazioneVirus, recipient, esteso, body, at)
    }

    /// Avviso di mancata consegna per virus: from the sender's gestore to the sender,
    /// after a rilevazione virus about `recipient`.
    pub fn non_delivery_virus(
        &self,
        c: &Certified,
        recipient: &str,
        virus: &str,
        at: LegalTime,
    ) -> Result<Built, BuildError> {
        let r = Receipt {
            to: &c.sender,
            subject_prefix: SUBJECT_MANCATA_CONSEGNA_VIRUS,
            x_ricevuta: "errore-consegna",
            extra: vec![("X-VerificaSicurezza", Raw::new("errore").into())],
        };
        let esteso = format!("5.7.1 - {} - virus rilevato: {virus}", self.name);
        let body = text::non_delivery(
            &self.facts(c, at),
            recipient,
            &esteso,
            "Avviso di mancata consegna per virus",
        );
        self.failure(c, r, Errore::Virus, Tipo::ErroreConsegna, recipient, esteso, body, at)
    }

    /// Busta di anomalia (pec-rules.md 3.9): wraps `received`, which is not a valid PEC
    /// object, for the recipient. `reverse_path` names the sender when From is missing.
    pub fn anomaly_envelope(
        &self,
        received: &[u8],
        reverse_path: Option<&str>,
        reason: &str,
        at: LegalTime,
    ) -> Result<Built, BuildError> {
        let original = Original::parse(received).ok();
        let sender = original
            .as_ref()
            .and_then(|o| o.sender().map(str::to_string))
            .or_else(|| reverse_path.map(str::to_string))
            .unwrap_or_else(|| "mittente sconosciuto".to_string());
        let reply_to = original
            .as_ref()
            .and_then(|o| o.reply_address().map(str::to_string))
            .unwrap_or_else(|| sender.clone());
        let subject = original.as_ref().map(|o| o.subject.clone()).unwrap_or_default();
        let mut headers: Vec<(&'static str, HeaderType<'_>)> = vec![
            ("X-Trasporto", Raw::new("errore").into()),
            ("Date", Raw::new(at.rfc5322()).into()),
            ("From", on_behalf_of(&sender, &self.address())),
            ("Reply-To", Raw::new(reply_to).into()),
        ];
        if let Some(o) = &original {
            push_address_list(&mut headers, "To", &o.to);
            push_address_list(&mut headers, "Cc", &o.cc);
            if let Some(msgid) = &o.msgid {
                headers.push(("X-Riferimento-Message-ID", Raw::new(msgid.as_str().to_string()).into()));
            }
        }
        let body = text::anomaly(at, &subject, &sender, reason);
        self.assemble(Assembly {
            headers,
            subject: (SUBJECT_ANOMALIA, subject),
            message_id: self.ids.message_id(at),
            text: body,
            daticert: None,
            postacert: Some(crate::mime::to_crlf(received)),
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn failure<'a>(
        &self,
        c: &'a Certified,
        r: Receipt<'a>,
        errore: Errore,
        tipo: Tipo,
        recipient: &str,
        esteso: String,
        body: String,
        at: LegalTime,
    ) -> Result<Built, BuildError> {
        let mut d = self.daticert(tipo, errore, c, at);
        d.consegna = Some(recipient.to_string());
        d.errore_esteso = Some(esteso);
        self.receipt(c, r, at, d, body, None)
    }

    fn receipt<'a>(
        &self,
        c: &'a Certified,
        r: Receipt<'a>,
        at: LegalTime,
        daticert: crate::daticert::Daticert,
        body: String,
        postacert: Option<Cow<'a, [u8]>>,
    ) -> Result<Built, BuildError> {
        self.assemble(Assembly {
            subject: (r.subject_prefix, c.subject.clone()),
            headers: self.receipt_headers(c, r, at),
            message_id: self.ids.message_id(at),
            text: body,
            daticert: Some(daticert),
            postacert,
        })
    }
}

/// `"Per conto di: <sender>" <posta-certificata@domain>` (pec-rules.md 3.1).
fn on_behalf_of<'a>(sender: &str, provider: &str) -> HeaderType<'a> {
    Address::new_address(Some(format!("Per conto di: {sender}")), provider.to_string()).into()
}

fn push_address_list<'a>(headers: &mut Vec<(&'static str, HeaderType<'a>)>, name: &'static str, boxes: &[Mailbox]) {
    if boxes.is_empty() {
        return;
    }
    let list = boxes
        .iter()
        .map(|m| Address::new_address(m.name.clone(), m.address.clone()))
        .collect();
    headers.push((name, Address::new_list(list).into()));
}
