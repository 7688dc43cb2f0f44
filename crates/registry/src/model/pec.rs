//! The PEC addresses a member communicated to the Order: when, how, whether
//! it is the official one (the domicilio digitale, `../shared/docs/lifecycle.md`:
//! "only the one communicated to the Order is used"), and what happened to it.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// One address a member communicated. A member may have several; exactly one
/// is official at a time (the caller keeps that invariant across records).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommunicatedPec {
    pub address: String,
    /// The day the Order received the communication.
    pub communicated_on: NaiveDate,
    pub channel: Channel,
    /// The member's domicilio digitale, sent to INI-PEC and ReGIndE.
    pub official: bool,
    /// Every dated event of this address, oldest first.
    pub history: Vec<PecEvent>,
}

/// How the member communicated the address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Channel {
    /// The Order's reserved area (members update it themselves).
    ReservedArea,
    /// A PEC message to the Order.
    Pec,
    /// A letter or a form on paper.
    Paper,
    /// Loaded from a roll file.
    Import,
}

/// Something that happened to a communicated address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PecEvent {
    pub date: NaiveDate,
    pub kind: PecEventKind,
    /// Free text: who, a protocol number, the bounce text.
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum PecEventKind {
    Communicated,
    MadeOfficial,
    /// Another address became official.
    Replaced,
    /// Found not valid: bounced, inactive, full (registries.md 5.1, the CNDCEC
    /// 2025 position), or a warning of [`crate::pec_checks`] confirmed by the Order.
    Invalidated {
        reason: String,
    },
    /// Valid again after an invalidation.
    Revalidated,
    /// The mailbox is on this installation and was closed or expired.
    MailboxClosed,
    Withdrawn,
}
