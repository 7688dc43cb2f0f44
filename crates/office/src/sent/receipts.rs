//! What a receipt or notice in the holder's mailbox says about the message it
//! certifies: its daticert (pec-rules.md 4) read for the kind, the recipient
//! (`<consegna>`), the legal time, the issuing gestore and, for a
//! non-delivery, why.

use chrono::{DateTime, FixedOffset};
use pec::daticert::{DestinatarioTipo, Errore, Tipo};
use store::messages::StoredMessage;

use super::{EventKind, Reason, Why, legal_ms};
use crate::{Error, Office, Result};

/// The receipt kinds that tell a message's story, as stored (`messages.pec_kind`).
pub(super) fn receipt_kind(stored: &str) -> Option<Tipo> {
    let tipo = Tipo::parse(stored);
    matches!(
        tipo,
        Tipo::Accettazione
            | Tipo::NonAccettazione
            | Tipo::PresaInCarico
            | Tipo::AvvenutaConsegna
            | Tipo::ErroreConsegna
            | Tipo::PreavvisoErroreConsegna
            | Tipo::RilevazioneVirus
    )
    .then_some(tipo)
}

/// What one receipt in the mailbox says.
pub(super) struct Fact {
    pub kind: EventKind,
    /// The recipient it is about (`<consegna>`), none for acceptance.
    pub rcpt: Option<String>,
    pub at: DateTime<FixedOffset>,
    pub receipt: i64,
    pub issued_by: Option<String>,
    pub why: Option<Why>,
    /// Every recipient it lists (`<destinatari>`, certified or not): a non-acceptance's.
    pub destinatari: Vec<(String, bool)>,
}

/// Reads a receipt's daticert (on the blocking pool: a completa receipt carries
/// the whole original). A receipt whose daticert cannot be read, or is about
/// another message, tells nothing.
pub(super) async fn read_receipt(office: &Office, m: &StoredMessage, identificativo: &str) -> Result<Option<Fact>> {
    let raw = office.store().blobs().get(&m.blob).await?;
    let daticert = tokio::task::spawn_blocking(move || match pec::parse(&raw, None) {
        pec::Parsed::Pec(p) => p.daticert,
        pec::Parsed::NotPec(_) => None,
    })
    .await
    .map_err(|e| Error::corrupt(format!("reading a receipt stopped: {e}")))?;
    let Some(d) = daticert else {
        return Ok(None);
    };
    if d.identificativo.trim() != identificativo {
        return Ok(None);
    }
    let at = d.time().map_or_else(|| legal_ms(m.internal_date), |t| t.local());
    let rcpt = d.consegna.as_ref().map(|c| c.trim().to_ascii_lowercase());
    let esteso = d.errore_esteso.as_deref();
    let (kind, why) = match d.tipo {
        Tipo::Accettazione => (EventKind::Accepted, None),
        Tipo::NonAccettazione => (EventKind::NotAccepted, None),
        Tipo::PresaInCarico => (EventKind::TakenOver, None),
        Tipo::AvvenutaConsegna => (EventKind::Delivered, None),
        Tipo::PreavvisoErroreConsegna => (EventKind::Warning12h, None),
        Tipo::ErroreConsegna | Tipo::RilevazioneVirus => {
            let why = Why::from_daticert(&d.errore, esteso);
            let kind = if why.reason == Reason::Timeout && d.errore != Errore::Virus {
                EventKind::Timeout24h
            } else {
                EventKind::NotDelivered
            };
            (kind, Some(why))
        }
        _ => return Ok(None),
    };
    let why = match (kind, why) {
        (EventKind::NotAccepted, _) => Some(Why::from_text(esteso.unwrap_or_default())),
        (_, why) => why,
    };
    Ok(Some(Fact {
        kind,
        rcpt,
        at,
        receipt: m.id,
        issued_by: Some(d.gestore_emittente.trim().to_string()).filter(|g| !g.is_empty()),
        why,
        destinatari: d
            .destinatari
            .iter()
            .map(|x| (x.address.to_ascii_lowercase(), x.tipo == DestinatarioTipo::Certificato))
            .collect(),
    }))
}
