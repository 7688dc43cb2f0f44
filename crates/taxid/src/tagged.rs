//! The tagged serde form of a [`TaxId`]:
//! `{"kind": "codice-fiscale" | "partita-iva", "value": "RSSMRA85T10A562S"}`.
//!
//! Mailbox subscriptions store their holder's tax code this way (the form
//! `lifecycle`'s own `TaxId` had before this crate), so `lifecycle::holder::Holder`
//! keeps it with `#[serde(with = "taxid::tagged")]`. Reading accepts either
//! form, as [`TaxId`]'s own `Deserialize` does.
//!
//! ```
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct Holder {
//!     #[serde(with = "taxid::tagged")]
//!     tax_id: taxid::TaxId,
//! }
//!
//! let holder = Holder { tax_id: "rssmra85t10a562s".parse()? };
//! let json = serde_json::to_string(&holder)?;
//! assert_eq!(json, r#"{"tax_id":{"kind":"codice-fiscale","value":"RSSMRA85T10A562S"}}"#);
//! let back: Holder = serde_json::from_str(r#"{"tax_id":"RSSMRA85T10A562S"}"#)?;
//! assert_eq!(back.tax_id, holder.tax_id);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serializer};

use crate::TaxId;

/// Writes `{"kind": ..., "value": ...}`, the two fields in that order.
pub fn serialize<S: Serializer>(tax_id: &TaxId, serializer: S) -> Result<S::Ok, S::Error> {
    // The layout serde's derive gave an adjacently tagged enum named `TaxId`.
    let mut map = serializer.serialize_struct("TaxId", 2)?;
    map.serialize_field("kind", tax_id.kind().name())?;
    map.serialize_field("value", tax_id.as_str())?;
    map.end()
}

/// Reads either form.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<TaxId, D::Error> {
    TaxId::deserialize(deserializer)
}
