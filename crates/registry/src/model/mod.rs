//! The registry's data: the Order ([`order`]), its members ([`member`]) and the
//! PEC addresses they communicated ([`pec`]). Plain data with serde, no
//! behaviour beyond what the types themselves guarantee: the codes in them are
//! parsed types ([`crate::TaxId`], [`crate::CodiceFiscale`]), valid by construction.

pub mod member;
pub mod order;
pub mod pec;

pub use member::{BirthPlace, Member, MemberStatus, PostalAddress};
pub use order::{Order, SigningDelegate};
pub use pec::{Channel, CommunicatedPec, PecEvent, PecEventKind};
