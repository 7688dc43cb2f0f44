//! `daticert.xml`: the certification data attached to every receipt, notice and
//! transport envelope (DM 2/11/2005 allegato tecnico, "schema dei dati di
//! certificazione"; RFC 6109 4.4; reconstructed DTD in `pec-rules.md` 4.1).
//!
//! The model keeps every value it reads, even one outside the rules' sets
//! (`Other(..)`): a receiving gestore must report what another provider wrote,
//! not reject it. [`write`] produces the layout real providers emit (opec:
//! 4-space indentation, LF line ends, `<ricevuta tipo="..." />`), so a daticert
//! read from Aruba is written back byte for byte.

mod read;
mod write;

pub use read::{ReadError, read};
pub use write::write;

use crate::time::LegalTime;

/// Declares a value set of the rules with a tolerant `Other(String)` for anything else.
macro_rules! protocol_values {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant,)+
            /// A value outside the rules' set, kept as written.
            Other(String),
        }

        impl $name {
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)+
                    $name::Other(s) => s,
                }
            }

            /// Reads a value; anything outside the set becomes `Other`.
            pub fn parse(text: &str) -> Self {
                match text.trim() {
                    $($text => $name::$variant,)+
                    other => $name::Other(other.to_string()),
                }
            }

            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Other(_))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

protocol_values! {
    /// `postacert/@tipo`: what the document certifies.
    Tipo {
        Accettazione => "accettazione",
        NonAccettazione => "non-accettazione",
        PresaInCarico => "presa-in-carico",
        AvvenutaConsegna => "avvenuta-consegna",
        PostaCertificata => "posta-certificata",
        ErroreConsegna => "errore-consegna",
        PreavvisoErroreConsegna => "preavviso-errore-consegna",
        RilevazioneVirus => "rilevazione-virus",
    }
}

protocol_values! {
    /// `postacert/@errore` (DTD default `nessuno`).
    Errore {
        Nessuno => "nessuno",
        NoDominio => "no-dominio",
        NoDest => "no-dest",
        Virus => "virus",
        Altro => "altro",
    }
}

protocol_values! {
    /// `destinatari/@tipo`: a PEC recipient (`certificato`) or an ordinary one (`esterno`).
    DestinatarioTipo {
        Certificato => "certificato",
        Esterno => "esterno",
    }
}

protocol_values! {
    /// `ricevuta/@tipo` and `X-TipoRicevuta`: the delivery receipt the sender asked for.
    ReceiptKind {
        Completa => "completa",
        Breve => "breve",
        Sintetica => "sintetica",
    }
}

impl Default for ReceiptKind {
    /// RFC 6109 / DM: without a request the receipt is `completa`.
    fn default() -> Self {
        ReceiptKind::Completa
    }
}

/// One `<destinatari>` entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Destinatario {
    pub address: String,
    pub tipo: DestinatarioTipo,
}

impl Destinatario {
    pub fn certificato(address: impl Into<String>) -> Self {
        Destinatario {
            address: address.into(),
            tipo: DestinatarioTipo::Certificato,
        }
    }

    pub fn esterno(address: impl Into<String>) -> Self {
        Destinatario {
            address: address.into(),
            tipo: DestinatarioTipo::Esterno,
        }
    }
}

/// `<data zona="+0100"><giorno>dd/mm/yyyy</giorno><ora>hh:mm:ss</ora></data>`, kept as
/// written so that a received daticert is reported exactly; [`Data::time`] reads it.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Data {
    pub zona: String,
    pub giorno: String,
    pub ora: String,
}

impl Data {
    pub fn time(&self) -> Option<LegalTime> {
        LegalTime::from_daticert(&self.giorno, &self.ora, &self.zona)
    }
}

impl From<LegalTime> for Data {
    fn from(t: LegalTime) -> Self {
        Data {
            zona: t.zona(),
            giorno: t.giorno(),
            ora: t.ora(),
        }
    }
}

/// The certification data of one PEC document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Daticert {
    pub tipo: Tipo,
    pub errore: Errore,
    // <intestazione>
    pub mittente: String,
    pub destinatari: Vec<Destinatario>,
    pub risposte: String,
    pub oggetto: Option<String>,
    // <dati>
    pub gestore_emittente: String,
    pub data: Data,
    /// The identificativo of the certified message (not of this receipt), without brackets.
    pub identificativo: String,
    /// The original client Message-ID with its angle brackets; Poste omits it.
    pub msgid: Option<String>,
    pub ricevuta: Option<ReceiptKind>,
    /// The recipient delivered to (avvenuta-consegna) or failing (errore-consegna). Kept
    /// as text: anonymised providers' files put non-addresses here.
    pub consegna: Option<String>,
    pub ricezione: Vec<String>,
    /// `<enhanced status> - <gestore> - <text>` (NOTA 12, from 01/04/2016).
    pub errore_esteso: Option<String>,
}

impl Daticert {
    /// The legal time of the document, when `<data>` is well formed.
    pub fn time(&self) -> Option<LegalTime> {
        self.data.time()
    }
}

#[cfg(test)]
mod tests;
