//! What was exported when: the INI-PEC days and the ReGIndE communications,
//! with the PEC that carried each one sent from this installation.

use serde::Serialize;
use store::registry::{self as reg, IniPecExport, RegindeExport};

use super::stored;
use crate::{Office, Result};

#[derive(Debug, Clone, Serialize)]
pub struct History {
    /// By day.
    pub inipec: Vec<IniPecExport>,
    /// In the order made.
    pub reginde: Vec<RegindeExport>,
}

pub async fn history(office: &Office, order: &str) -> Result<History> {
    let mut c = office.store().conn().await?;
    let order = stored::order(&mut c, order).await?;
    Ok(History {
        inipec: reg::inipec_exports(&mut c, &order.code).await?,
        reginde: reg::reginde_exports(&mut c, &order.code).await?,
    })
}
