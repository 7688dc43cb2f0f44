//! The details of the INI-PEC file that the public sources leave open
//! (registries.md 1.3 and open question 1): the *Stato* codes of the row's
//! operation (DM 19/3/2013 art. 4 c.5), the date format, the encoding, the
//! header row. The defaults
//! are provisional, **until the official values are confirmed**; `inipec.md`
//! (the [`crate::inipec`] module's documentation) gives the reason for each.

use serde::{Deserialize, Serialize};

/// How to write the upload file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct IniPecFormat {
    /// `;`, confirmed by the portal page ("Come mandare i dati in 3 mosse",
    /// registries.md 1.3), kept even around empty fields.
    pub separator: char,
    /// A first row naming the fields. Default: yes (provisional).
    pub header: bool,
    /// A chrono format for Data Iscrizione and Data Cancellazione. Default:
    /// `%d/%m/%Y` (provisional).
    pub date_format: String,
    /// Default: ISO-8859-1 (provisional).
    pub encoding: IniPecEncoding,
    /// Default: CRLF.
    pub line_ending: String,
    /// The *Stato* values. Default: 1 update, 2 insert, 3 delete (provisional).
    pub codes: OperationCodes,
}

/// The literal *Stato* of each operation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OperationCodes {
    pub update: String,
    pub insert: String,
    pub delete: String,
}

/// The character encoding of the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IniPecEncoding {
    Utf8,
    /// ISO-8859-1: characters outside it are an error, never replaced.
    Latin1,
}

impl Default for OperationCodes {
    /// The portal page lists the values as "1. update, 2. insert, 3. delete".
    fn default() -> Self {
        OperationCodes {
            update: "1".into(),
            insert: "2".into(),
            delete: "3".into(),
        }
    }
}

impl Default for IniPecFormat {
    fn default() -> Self {
        IniPecFormat {
            separator: ';',
            header: true,
            date_format: "%d/%m/%Y".into(),
            encoding: IniPecEncoding::Latin1,
            line_ending: "\r\n".into(),
            codes: OperationCodes::default(),
        }
    }
}

/// The field names of the header row, as the portal page names the fields.
pub const HEADER: [&str; 8] = [
    "Indirizzo PEC",
    "Nome",
    "Cognome",
    "Numero Iscrizione",
    "Codice Fiscale",
    "Stato",
    "Data Iscrizione",
    "Data Cancellazione",
];
