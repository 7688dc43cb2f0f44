//! The kinds of PEC message and how a message is classified.
//!
//! By the type headers the rules define (`X-Trasporto`, `X-Ricevuta`:
//! `../shared/docs/pec-rules.md` 3.2; RFC 6109 registers them), never by the
//! subject: subjects mislead (pec-rules.md 8 item 6, the SDI's "POSTA
//! CERTIFICATA: Notifica di mancata consegna" is an envelope).

use super::PecHeaders;
use crate::daticert::{Daticert, Tipo};

/// What a PEC message is (pec-rules.md 3.2). The names are those of the rules'
/// headers (`X-Ricevuta` values) and of the envelopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Busta di trasporto: `X-Trasporto: posta-certificata`.
    BustaTrasporto,
    /// Busta di anomalia: `X-Trasporto: errore`.
    BustaAnomalia,
    Accettazione,
    NonAccettazione,
    PresaInCarico,
    AvvenutaConsegna,
    ErroreConsegna,
    PreavvisoErroreConsegna,
    RilevazioneVirus,
}

impl Kind {
    pub fn as_str(&self) -> &'static str {
        match self {
            Kind::BustaTrasporto => "busta-trasporto",
            Kind::BustaAnomalia => "busta-anomalia",
            Kind::Accettazione => "accettazione",
            Kind::NonAccettazione => "non-accettazione",
            Kind::PresaInCarico => "presa-in-carico",
            Kind::AvvenutaConsegna => "avvenuta-consegna",
            Kind::ErroreConsegna => "errore-consegna",
            Kind::PreavvisoErroreConsegna => "preavviso-errore-consegna",
            Kind::RilevazioneVirus => "rilevazione-virus",
        }
    }

    /// A human description, Italian name first.
    pub fn describe(&self) -> &'static str {
        match self {
            Kind::BustaTrasporto => "busta di trasporto (transport envelope)",
            Kind::BustaAnomalia => "busta di anomalia (anomaly envelope)",
            Kind::Accettazione => "ricevuta di accettazione (acceptance receipt)",
            Kind::NonAccettazione => "avviso di non accettazione (non-acceptance notice)",
            Kind::PresaInCarico => "ricevuta di presa in carico (take-over receipt)",
            Kind::AvvenutaConsegna => "ricevuta di avvenuta consegna (delivery receipt)",
            Kind::ErroreConsegna => "avviso di mancata consegna (non-delivery notice)",
            Kind::PreavvisoErroreConsegna => "preavviso di mancata consegna (12-hour warning)",
            Kind::RilevazioneVirus => "avviso di rilevazione virus (virus detection notice)",
        }
    }

    /// The daticert `tipo` of this kind (none for the anomaly envelope).
    pub fn tipo(&self) -> Option<Tipo> {
        Some(match self {
            Kind::BustaTrasporto => Tipo::PostaCertificata,
            Kind::BustaAnomalia => return None,
            Kind::Accettazione => Tipo::Accettazione,
            Kind::NonAccettazione => Tipo::NonAccettazione,
            Kind::PresaInCarico => Tipo::PresaInCarico,
            Kind::AvvenutaConsegna => Tipo::AvvenutaConsegna,
            Kind::ErroreConsegna => Tipo::ErroreConsegna,
            Kind::PreavvisoErroreConsegna => Tipo::PreavvisoErroreConsegna,
            Kind::RilevazioneVirus => Tipo::RilevazioneVirus,
        })
    }

    /// Whether the kind carries the original as postacert.eml (delivery receipts
    /// depend on their type, see the checks).
    pub fn carries_original(&self) -> bool {
        matches!(self, Kind::BustaTrasporto | Kind::BustaAnomalia)
    }

    fn from_x_ricevuta(value: &str) -> Option<Kind> {
        Some(match value {
            "accettazione" => Kind::Accettazione,
            "non-accettazione" => Kind::NonAccettazione,
            "presa-in-carico" => Kind::PresaInCarico,
            "avvenuta-consegna" => Kind::AvvenutaConsegna,
            "errore-consegna" => Kind::ErroreConsegna,
            "preavviso-errore-consegna" => Kind::PreavvisoErroreConsegna,
            "rilevazione-virus" => Kind::RilevazioneVirus,
            _ => return None,
        })
    }

    fn from_tipo(tipo: &Tipo) -> Option<Kind> {
        Some(match tipo {
            Tipo::PostaCertificata => Kind::BustaTrasporto,
            Tipo::Accettazione => Kind::Accettazione,
            Tipo::NonAccettazione => Kind::NonAccettazione,
            Tipo::PresaInCarico => Kind::PresaInCarico,
            Tipo::AvvenutaConsegna => Kind::AvvenutaConsegna,
            Tipo::ErroreConsegna => Kind::ErroreConsegna,
            Tipo::PreavvisoErroreConsegna => Kind::PreavvisoErroreConsegna,
            Tipo::RilevazioneVirus => Kind::RilevazioneVirus,
            Tipo::Other(_) => return None,
        })
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kind from the type headers, else from daticert's `tipo` (pec-rules.md
/// 3.2 pairs each header value with a `tipo`), with a finding; `None` when
/// nothing marks the message as PEC.
pub(super) fn classify(h: &PecHeaders, daticert: Option<&Daticert>, findings: &mut Vec<String>) -> Option<Kind> {
    let trasporto = h.x_trasporto.as_deref().map(str::trim);
    let ricevuta = h.x_ricevuta.as_deref().map(str::trim);
    let from_headers = match (trasporto, ricevuta) {
        (Some("posta-certificata"), _) => Some(Kind::BustaTrasporto),
        (Some("errore"), _) => Some(Kind::BustaAnomalia),
        (_, Some(value)) => Kind::from_x_ricevuta(value),
        _ => None,
    };
    if let (Some(t), Some(r)) = (trasporto, ricevuta) {
        findings.push(format!(
            "both X-Trasporto ({t}) and X-Ricevuta ({r}) are present; X-Trasporto wins"
        ));
    }
    if let Some(kind) = from_headers {
        return Some(kind);
    }
    let kind = daticert.and_then(|d| Kind::from_tipo(&d.tipo))?;
    let what = match (trasporto, ricevuta) {
        (Some(t), _) => format!("X-Trasporto value {t:?} is not of the rules"),
        (_, Some(r)) => format!("X-Ricevuta value {r:?} is not of the rules"),
        _ => "no X-Trasporto or X-Ricevuta header".to_string(),
    };
    findings.push(format!("{what}; kind taken from daticert tipo"));
    Some(kind)
}

pub(super) fn not_pec_reason(h: &PecHeaders) -> String {
    match (h.x_trasporto.as_deref(), h.x_ricevuta.as_deref()) {
        (Some(t), _) => format!("X-Trasporto {t:?} is not a value of the rules and there is no daticert.xml"),
        (_, Some(r)) => format!("X-Ricevuta {r:?} is not a value of the rules and there is no daticert.xml"),
        _ => "no X-Trasporto or X-Ricevuta header and no daticert.xml: not a PEC message".to_string(),
    }
}
