//! The holder of a mailbox: who is billed, and who alone may buy a deleted
//! address again (by the same codice fiscale / partita IVA, registries.md 6.4).
//!
//! The tax code is the [`taxid`] crate's [`TaxId`], re-exported here.

use serde::{Deserialize, Serialize};

pub use taxid::{TaxId, TaxIdError};

/// Holder data, as given when buying and as printed on invoices and notices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// Stored in subscriptions as `{"kind": "codice-fiscale" | "partita-iva",
    /// "value": ...}`, the form it always had.
    #[serde(with = "taxid::tagged")]
    pub tax_id: TaxId,
    pub name: String,
    pub billing_address: String,
    /// The ordinary e-mail for notices (Aruba: "la mail di riferimento").
    pub reference_email: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Subscriptions' JSON as written before `taxid` (commit 4b03092).
    const STORED: [&str; 2] = [
        r#"{"tax_id":{"kind":"codice-fiscale","value":"RSSMRA85T10A562S"},"name":"Mario Rossi","billing_address":"Via Roma 1","reference_email":null}"#,
        r#"{"tax_id":{"kind":"partita-iva","value":"06363391001"},"name":"Mario Rossi","billing_address":"Via Roma 1","reference_email":null}"#,
    ];

    #[test]
    fn stored_holders_read_back_and_write_the_same_bytes() {
        for stored in STORED {
            let holder: Holder = serde_json::from_str(stored).unwrap();
            assert_eq!(serde_json::to_string(&holder).unwrap(), stored);
        }
        let holder: Holder = serde_json::from_str(STORED[0]).unwrap();
        assert_eq!(holder.tax_id, TaxId::parse("rssmra85t10a562s").unwrap());
    }

    #[test]
    fn a_holder_code_the_old_check_alone_accepted_stays_readable() {
        // Month letter F does not exist; the check character is right. The old
        // holder check looked at the check character only.
        let stored = r#"{"tax_id":{"kind":"codice-fiscale","value":"RSSMRA80F01H501G"},"name":"Mario Rossi","billing_address":"Via Roma 1","reference_email":null}"#;
        assert!(TaxId::parse("RSSMRA80F01H501G").is_err());
        let holder: Holder = serde_json::from_str(stored).unwrap();
        assert_eq!(serde_json::to_string(&holder).unwrap(), stored);
    }
}
