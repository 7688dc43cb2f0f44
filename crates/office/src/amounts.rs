//! How amounts and VAT rates appear in the reports' serde form: an amount as its
//! plain decimal text (`"7.93"`: what a bank reference, a URL or a script
//! reads), a rate as the Italian percentage (`"22 %"`). The typed values stay in
//! the reports for front ends that print them their own way (`7,93 €`).

use lifecycle::money::{Money, VatRate};
use serde::Serializer;

pub(crate) fn plain<S: Serializer>(amount: &Money, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&amount.plain())
}

pub(crate) fn plain_opt<S: Serializer>(amount: &Option<Money>, s: S) -> Result<S::Ok, S::Error> {
    match amount {
        Some(a) => s.serialize_str(&a.plain()),
        None => s.serialize_none(),
    }
}

pub(crate) fn percent<S: Serializer>(rate: &VatRate, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(rate)
}
