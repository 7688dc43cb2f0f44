//! The Orders' registries (`../shared/docs/registries.md`): the Orders this
//! installation serves, their rolls, the PEC duty of DL 185/2008 art. 16 c.7-bis
//! and the files for the national registers INI-PEC and ReGIndE.
//!
//! The rules are the `registry` crate's (pure: no I/O, no clock); the tables are
//! the store's (`store::registry`). Here they meet: each operation reads what
//! the rules need, in the transaction they need, and writes back what came out;
//! what only the gestore does (sending a diffida or the ReGIndE file as a PEC
//! from the Order's mailbox) goes through the engine.
//!
//! | module | the operation |
//! | --- | --- |
//! | [`orders`] | add an Order (its codes checked), list them with their members' count, show one with its delegate |
//! | [`import`] | import a roll (CSV or .xlsx), every row reported, all or nothing, progress through a callback |
//! | [`members`] | show a member (PEC history, steps, compliance), list them, record a communicated PEC |
//! | [`pec_checker`] | the checks of a communicated address against this installation and the provider index |
//! | [`compliance`] | the report, the members past the 30 days (`due`), what became of the diffide sent by PEC |
//! | [`campaign`] | the diffida campaign (`warn`): by PEC through the engine, resumable, or as texts; letters |
//! | [`inipec`] | the day's INI-PEC delta |
//! | [`reginde`] | ReGIndE's `ComunicazioniSoggetti.xml`, whole or incremental, signed and sent |
//! | [`esiti`] | ReGIndE's `Esiti.xml` answer recorded |
//! | [`history`] | what was exported when |
//! | [`reserved`] | the Order's reserved area: a member's one-time link, session, record, and the PEC they communicate (confirmed first when it is a mailbox here) |

pub mod campaign;
pub mod compliance;
mod diffida;
pub mod esiti;
pub mod history;
pub mod import;
pub mod inipec;
pub mod members;
pub mod orders;
pub mod pec_checker;
pub mod reginde;
pub mod reserved;
mod roll;
mod send;
pub mod stored;
