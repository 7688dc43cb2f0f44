//! The human-readable Italian texts of receipts, notices and envelopes.
//!
//! The wording follows the opec providers' messages (pec-rules.md 3.3-3.9); the
//! rules do not make it normative, and parsers never read it (they read daticert).

use std::fmt::Write as _;

use crate::daticert::{Destinatario, DestinatarioTipo};
use crate::time::LegalTime;

/// The facts every text names.
pub(crate) struct Facts<'a> {
    pub at: LegalTime,
    pub subject: &'a str,
    pub sender: &'a str,
    pub identificativo: &'a str,
}

fn kind_label(d: &Destinatario) -> &'static str {
    match d.tipo {
        DestinatarioTipo::Esterno => "posta ordinaria",
        _ => "posta certificata",
    }
}

fn recipients_list(recipients: &[Destinatario]) -> String {
    let mut s = String::new();
    for d in recipients {
        let _ = writeln!(s, "{} (\"{}\")", d.address, kind_label(d));
    }
    s
}

pub(crate) fn transport_envelope(f: &Facts<'_>, recipients: &[Destinatario]) -> String {
    let list: String = recipients.iter().map(|d| format!("{}\n", d.address)).collect();
    format!(
        "Messaggio di posta certificata\n\n\
         {} il messaggio\n\"{}\" è stato inviato da \"{}\"\nindirizzato a:\n{}\
         Il messaggio originale è incluso in allegato.\n\
         Identificativo messaggio: {}\n",
        f.at.phrase(),
        f.subject,
        f.sender,
        list,
        f.identificativo
    )
}

pub(crate) fn acceptance(f: &Facts<'_>, recipients: &[Destinatario]) -> String {
    format!(
        "Ricevuta di accettazione\n\n\
         {} il messaggio\n\"{}\" proveniente da \"{}\"\ned indirizzato a:\n{}\
         Il messaggio è stato accettato dal sistema ed inoltrato.\n\
         Identificativo messaggio: {}\n\n\
         L'allegato daticert.xml contiene informazioni di servizio sulla trasmissione.\n",
        f.at.phrase(),
        f.subject,
        f.sender,
        recipients_list(recipients),
        f.identificativo
    )
}

pub(crate) fn non_acceptance(f: &Facts<'_>, reason: &str, virus: bool) -> String {
    let (title, what) = if virus {
        (
            "Avviso di non accettazione per virus",
            "è stato rilevato un virus informatico",
        )
    } else {
        ("Avviso di non accettazione", "è stato rilevato un problema")
    };
    format!(
        "{title}\n\n\
         {} nel messaggio\n\"{}\" proveniente da \"{}\"\n{what}:\n{reason}\n\
         Il messaggio non è stato accettato e non è stato inoltrato ai destinatari.\n\
         Identificativo messaggio: {}\n",
        f.at.phrase(),
        f.subject,
        f.sender,
        f.identificativo
    )
}

pub(crate) fn presa_in_carico(f: &Facts<'_>, recipients: &[Destinatario]) -> String {
    format!(
        "Ricevuta di presa in carico\n\n\
         {} il messaggio\n\"{}\" proveniente da \"{}\"\ned indirizzato a:\n{}\
         è stato accettato dal sistema.\n\
         Identificativo messaggio: {}\n",
        f.at.phrase(),
        f.subject,
        f.sender,
        recipients_list(recipients),
        f.identificativo
    )
}

pub(crate) fn delivery(f: &Facts<'_>, recipient: &str, original: Option<&str>) -> String {
    let mut s = format!(
        "Ricevuta di avvenuta consegna\n\n\
         {} il messaggio\n\"{}\" proveniente da \"{}\"\ned indirizzato a \"{}\"\n\
         è stato correttamente consegnato al destinatario.\n\
         Identificativo messaggio: {}\n",
        f.at.phrase(),
        f.subject,
        f.sender,
        recipient,
        f.identificativo
    );
    if let Some(note) = original {
        s.push('\n');
        s.push_str(note);
        s.push('\n');
    }
    s
}

pub(crate) const ORIGINAL_ATTACHED: &str = "Il messaggio originale è incluso in allegato (file \"postacert.eml\").";
pub(crate) const ORIGINAL_HASHED: &str = "Il messaggio originale è incluso in allegato (file \"postacert.eml\"); \
     ogni suo allegato è sostituito dall'impronta SHA-256 del contenuto (ricevuta breve): \
     conservare gli originali per poterne dimostrare il contenuto.";

pub(crate) fn non_delivery(f: &Facts<'_>, recipient: &str, error: &str, title: &str) -> String {
    format!(
        "{title}\n\n\
         {} nel messaggio\n\"{}\" proveniente da \"{}\"\ne destinato all'utente \"{}\"\n\
         è stato rilevato il seguente errore:\n{error}\n\
         Il messaggio non è stato consegnato.\n\
         Identificativo messaggio: {}\n",
        f.at.phrase(),
        f.subject,
        f.sender,
        recipient,
        f.identificativo
    )
}

pub(crate) fn timeout_warning(f: &Facts<'_>, recipient: &str) -> String {
    format!(
        "Avviso di mancata consegna per superamento dei tempi massimi (preavviso)\n\n\
         {} il messaggio\n\"{}\" proveniente da \"{}\"\ned indirizzato a \"{}\"\n\
         non risulta ancora consegnato: entro 12 ore dall'invio non è pervenuta la ricevuta \
         di presa in carico o di avvenuta consegna dal gestore del destinatario.\n\
         Il gestore del destinatario potrebbe non essere in grado di consegnarlo. \
         Se entro 24 ore dall'invio non perverrà la ricevuta di avvenuta consegna, \
         sarà emesso un avviso definitivo di mancata consegna.\n\
         Identificativo messaggio: {}\n",
        f.at.phrase(),
        f.subject,
        f.sender,
        recipient,
        f.identificativo
    )
}

pub(crate) fn timeout_failure(f: &Facts<'_>, recipient: &str, error: &str) -> String {
    format!(
        "Avviso di mancata consegna per superamento dei tempi massimi\n\n\
         {} il messaggio\n\"{}\" proveniente da \"{}\"\ned indirizzato a \"{}\"\n\
         non è stato consegnato: entro 24 ore dall'invio non è pervenuta la ricevuta \
         di avvenuta consegna dal gestore del destinatario.\n{error}\n\
         Identificativo messaggio: {}\n",
        f.at.phrase(),
        f.subject,
        f.sender,
        recipient,
        f.identificativo
    )
}

pub(crate) fn virus_detection(f: &Facts<'_>, recipient: &str, reason: &str) -> String {
    format!(
        "Avviso di rilevazione virus\n\n\
         {} nel messaggio\n\"{}\" proveniente da \"{}\"\ne destinato all'utente \"{}\"\n\
         è stato rilevato un virus informatico:\n{reason}\n\
         Il messaggio non è stato consegnato ed è conservato dal gestore.\n\
         Identificativo messaggio: {}\n",
        f.at.phrase(),
        f.subject,
        f.sender,
        recipient,
        f.identificativo
    )
}

pub(crate) fn anomaly(at: LegalTime, subject: &str, sender: &str, reason: &str) -> String {
    format!(
        "Anomalia nel messaggio\n\n\
         {} è stato ricevuto\nil messaggio \"{}\" proveniente da \"{}\".\n\
         Il messaggio non è un messaggio di posta certificata valido:\n{reason}\n\
         I dati di certificazione non sono stati certificati e il messaggio non ha valore legale.\n\
         Il messaggio originale è incluso in allegato.\n",
        at.phrase(),
        subject,
        sender
    )
}
