//! One sample of every message a gestore generates, about one sample submission:
//! for `certa samples`, demonstrations and other programs' interoperability tests.

use super::{BuildError, Built, Certified, Gestore, NonAcceptanceReason, NonDeliveryReason};
use crate::daticert::{Destinatario, ReceiptKind};
use crate::original::Original;
use crate::parse::Kind;
use crate::time::LegalTime;

/// The other gestore of the samples (recipients there are certified).
pub const OTHER_DOMAIN: &str = "pec.altro-gestore.it";
/// The certified recipient every per-recipient sample is about.
pub const RECIPIENT: &str = "avv.bianchi@pec.altro-gestore.it";

/// A sample submission from `mario.rossi@<domain>`: To a certified recipient at
/// another gestore and an ordinary address, Cc a colleague on the same domain,
/// a text body and a PDF attachment.
pub fn submission(domain: &str, subject: &str) -> Vec<u8> {
    format!(
        "From: Mario Rossi <mario.rossi@{domain}>\r\n\
         To: {RECIPIENT}, \"Studio Verdi\" <info@studioverdi.example.com>\r\n\
         Cc: segreteria@{domain}\r\n\
         Subject: {subject}\r\n\
         Message-ID: <client-1234@mua.example>\r\n\
         Date: Mon, 02 Mar 2026 10:30:00 +0100\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n\
         \r\n\
         --XYZ\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         \r\n\
         Buongiorno, in allegato la fattura.\r\n\
         --XYZ\r\n\
         Content-Type: application/pdf; name=\"fattura.pdf\"\r\n\
         Content-Disposition: attachment; filename=\"fattura.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\
         \r\n\
         JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PC9UeXBlL0NhdGFsb2c+PgplbmRvYmoK\r\n\
         --XYZ--\r\n"
    )
    .into_bytes()
}

/// One sample of a kind: a file-name-friendly label, the kind it parses as, the message.
pub struct Sample {
    pub label: &'static str,
    pub kind: Kind,
    pub built: Built,
}

/// Every message kind `g` generates about [`submission`] with `subject`, at `at`.
pub fn every_kind(g: &Gestore, subject: &str, at: LegalTime) -> Result<Vec<Sample>, BuildError> {
    let raw = submission(g.domain(), subject);
    let original = Original::parse(&raw).map_err(|e| BuildError::Input(e.to_string()))?;
    let recipients = original
        .recipients()
        .into_iter()
        .map(|a| {
            if a.ends_with(".example.com") {
                Destinatario::esterno(a)
            } else {
                Destinatario::certificato(a)
            }
        })
        .collect();
    let c = Certified {
        identificativo: g.new_identificativo(at),
        msgid: original.msgid.clone(),
        sender: format!("mario.rossi@{}", g.domain()),
        recipients,
        reply_to: format!("mario.rossi@{}", g.domain()),
        subject: original.subject.clone(),
        receipt_kind: ReceiptKind::Completa,
    };
    let postacert = original.certified_copy(&c.identificativo);
    let with = |k: ReceiptKind| Certified {
        receipt_kind: k,
        ..c.clone()
    };
    let other_gestore = format!("posta-certificata@{OTHER_DOMAIN}");
    let virus = "Eicar-Test-Signature";
    let formal = NonAcceptanceReason::Formal {
        code: "5.7.1".into(),
        text: "il mittente non coincide con l'utente autenticato".into(),
    };
    let s = |label, kind, built| Sample { label, kind, built };
    Ok(vec![
        s(
            "busta-trasporto",
            Kind::BustaTrasporto,
            g.transport_envelope(&c, &original, at)?,
        ),
        s("accettazione", Kind::Accettazione, g.acceptance(&c, at)?),
        s(
            "non-accettazione",
            Kind::NonAccettazione,
            g.non_acceptance(&c, &formal, at)?,
        ),
        s(
            "non-accettazione-virus",
            Kind::NonAccettazione,
            g.non_acceptance(&c, &NonAcceptanceReason::Virus { text: virus.into() }, at)?,
        ),
        s(
            "presa-in-carico",
            Kind::PresaInCarico,
            g.presa_in_carico(&c, &other_gestore, at)?,
        ),
        s(
            "consegna-completa",
            Kind::AvvenutaConsegna,
            g.delivery_receipt(&c, RECIPIENT, &postacert, at)?,
        ),
        s(
            "consegna-breve",
            Kind::AvvenutaConsegna,
            g.delivery_receipt(&with(ReceiptKind::Breve), RECIPIENT, &postacert, at)?,
        ),
        s(
            "consegna-sintetica",
            Kind::AvvenutaConsegna,
            g.delivery_receipt(&with(ReceiptKind::Sintetica), RECIPIENT, &postacert, at)?,
        ),
        s(
            "mancata-consegna-no-dest",
            Kind::ErroreConsegna,
            g.non_delivery(&c, RECIPIENT, &NonDeliveryReason::unknown_mailbox(), at)?,
        ),
        s(
            "mancata-consegna-no-dominio",
            Kind::ErroreConsegna,
            g.non_delivery(&c, RECIPIENT, &NonDeliveryReason::unknown_domain(), at)?,
        ),
        s(
            "mancata-consegna-altro",
            Kind::ErroreConsegna,
            g.non_delivery(&c, RECIPIENT, &NonDeliveryReason::mailbox_full(), at)?,
        ),
        s(
            "preavviso-12-ore",
            Kind::PreavvisoErroreConsegna,
            g.timeout_warning(&c, RECIPIENT, at)?,
        ),
        s(
            "mancata-consegna-24-ore",
            Kind::ErroreConsegna,
            g.timeout_failure(&c, RECIPIENT, at)?,
        ),
        s(
            "rilevazione-virus",
            Kind::RilevazioneVirus,
            g.virus_detection(&c, RECIPIENT, virus, &other_gestore, at)?,
        ),
        s(
            "mancata-consegna-virus",
            Kind::ErroreConsegna,
            g.non_delivery_virus(&c, RECIPIENT, virus, at)?,
        ),
        s(
            "busta-anomalia",
            Kind::BustaAnomalia,
            g.anomaly_envelope(
                &raw,
                Some("mario.rossi@example.com"),
                "messaggio di posta ordinaria",
                at,
            )?,
        ),
    ])
}
