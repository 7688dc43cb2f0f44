//! The holder's data the holder may change: the billing address and the
//! reference e-mail (where the notices on the ordinary e-mail channel go).
//! The codice fiscale or partita IVA and the name identify the holder: only
//! the operator changes them, with a document.

use engine::lifecycle::Encoded;
use serde::Serialize;
use store::lifecycle as lc;

use super::{live, readable};
use crate::{Error, Office, Result};

/// The longest billing address or e-mail accepted (an invoice's line, RFC 5321 4.5.3.1.3).
const MAX_FIELD: usize = 254;

/// What changed.
#[derive(Debug, Clone, Serialize)]
pub struct HolderChange {
    pub billing_address: String,
    pub reference_email: Option<String>,
    /// Whether anything differed from what was stored.
    pub changed: bool,
}

/// Sets the billing address and the reference e-mail (empty: none) of the
/// session's mailbox's subscription, each checked and named when refused;
/// the change is in the lifecycle log.
pub async fn update_holder(
    office: &Office,
    mailbox_id: i64,
    billing_address: &str,
    reference_email: &str,
) -> Result<HolderChange> {
    let billing_address = one_line("billing_address", billing_address)?;
    if billing_address.is_empty() {
        return Err(Error::invalid(
            "billing_address",
            "empty: the invoices need the holder's address",
        ));
    }
    let email = one_line("email", reference_email)?;
    let email = if email.is_empty() {
        None
    } else {
        Some(checked_email(&email)?)
    };
    let mut tx = office.store().begin().await?;
    let row = live(&mut tx, mailbox_id).await?;
    let mut sub = readable(&row)?;
    let changed = sub.holder.billing_address != billing_address || sub.holder.reference_email != email;
    if changed {
        let detail = format!(
            "billing address {:?} -> {billing_address:?}; reference e-mail {} -> {}",
            sub.holder.billing_address,
            sub.holder.reference_email.as_deref().unwrap_or("none"),
            email.as_deref().unwrap_or("none")
        );
        sub.holder.billing_address = billing_address.clone();
        sub.holder.reference_email = email.clone();
        let encoded = Encoded::of(&sub)?;
        lc::update_subscription(&mut tx, row.id, row.version, &encoded.row(&sub), office.now_ms())
            .await
            .map_err(|e| match e {
                store::Error::Conflict(reason) => Error::refused(reason),
                other => other.into(),
            })?;
        lc::log(
            &mut tx,
            office.now_ms(),
            Some(row.id),
            &row.mailbox,
            "holder-changed",
            &format!("by the holder from the webmail: {detail}"),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(HolderChange {
        billing_address,
        reference_email: email,
        changed,
    })
}

/// A field trimmed, on one line and not too long.
fn one_line(field: &'static str, text: &str) -> Result<String> {
    let text = text.trim();
    if text.chars().any(char::is_control) {
        return Err(Error::invalid(field, "it must be on one line"));
    }
    if text.len() > MAX_FIELD {
        return Err(Error::invalid(
            field,
            format!("{} characters: at most {MAX_FIELD}", text.chars().count()),
        ));
    }
    Ok(text.to_string())
}

/// An ordinary e-mail address: one `@`, a local part, a domain with a dot and
/// no spaces (RFC 5321 4.1.2, loosely: what a person types).
fn checked_email(text: &str) -> Result<String> {
    let bad = || Error::invalid("email", format!("{text:?} is not an e-mail address"));
    let (local, domain) = text.split_once('@').ok_or_else(bad)?;
    let valid = !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.contains(char::is_whitespace)
        && !text.contains(['<', '>', ',', ';']);
    if !valid {
        return Err(bad());
    }
    Ok(format!("{local}@{}", domain.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_is_one_address_as_typed() {
        assert_eq!(checked_email("Mario@Example.COM").unwrap(), "Mario@example.com");
        for bad in [
            "mario",
            "mario@",
            "@example.com",
            "mario@example",
            "a b@example.com",
            "a@b@example.com",
            "a@example.com, b@example.com",
            "a@.com",
        ] {
            let e = checked_email(bad).unwrap_err();
            assert_eq!(e.field(), Some("email"), "{bad}");
        }
    }

    #[test]
    fn a_field_is_one_line_not_too_long() {
        assert_eq!(one_line("billing_address", "  Via Roma 1  ").unwrap(), "Via Roma 1");
        assert!(one_line("billing_address", "Via Roma 1\nX").is_err());
        assert!(one_line("billing_address", &"x".repeat(255)).is_err());
    }
}
