//! An Order (Ordine professionale) as the registry needs it: who it is for the
//! tax office, for ReGIndE, and which mailbox and delegate act for it
//! (`../shared/docs/registries.md` 2.2).

use serde::{Deserialize, Serialize};

use crate::{CodiceFiscale, TaxId};

/// One Order. A Certa installation may serve several.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// "Ordine dei Medici Chirurghi e degli Odontoiatri della Provincia di Firenze".
    pub name: String,
    /// The Order's codice fiscale (11 digits, a public body) or partita IVA.
    pub tax_id: TaxId,
    /// The sending body's code inside ReGIndE files ("ente mittente"): lawyers'
    /// Orders use `COA` + ISTAT code, every other body its partita IVA
    /// ([ReGIndE-v1] §2.5, registries.md 2.4). Assigned at the censimento.
    pub codice_ente: String,
    /// The Order's own PEC, the registered sender of ReGIndE rolls.
    pub pec: String,
    /// Who signs the ReGIndE roll (registries.md 2.2, matched by codice fiscale).
    pub signing_delegate: SigningDelegate,
}

/// The person registered with the Ministry to sign the ReGIndE roll.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningDelegate {
    pub surname: String,
    pub name: String,
    pub codice_fiscale: CodiceFiscale,
}
