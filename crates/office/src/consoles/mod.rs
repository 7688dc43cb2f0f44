//! The consoles' operations: what an Order's secretariat (`order`) and the
//! provider's operators (`provider`) do in their consoles and through the
//! JSON API. Each function takes the [`crate::staff::Actor`] who acts, checks
//! that what it names is the actor's (another tenant's is "not found"), does
//! the work through the office's own modules, and records itself in the audit
//! trail. The web pages and the API call these same functions.

pub mod order;
pub mod provider;
