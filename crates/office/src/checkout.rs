//! Paying an order by card (issue 13, item 3): the member is sent to a payment
//! provider's hosted checkout, and the provider tells Certa the outcome through
//! the signed payment webhook (`web::webhook`), which applies the payment like
//! every other ([`crate::payments::record`]). Certa never sees a card number.
//!
//! A provider is reached through [`PaymentProvider`]: it turns an order into
//! the address of its checkout. [`HostedCheckout`] is the real integration, a
//! checkout address with the order's fields put in (`[payments] checkout_url`);
//! the web front end has a built-in test provider for `certa demo` and the
//! tests (`web::test_payment`), which calls the same webhook.

use lifecycle::money::Money;
use serde::Serialize;
use store::lifecycle as lc;

use crate::{Error, Office, Result};

/// An order to pay, as a checkout needs it.
#[derive(Debug, Clone)]
pub struct ToPay<'a> {
    /// `CRT-YYYY-NNNNNN`: the provider sends it back in the webhook's `order_id`.
    pub order_id: &'a str,
    /// VAT included.
    pub amount: Money,
    /// One line for the payer ("Rinnovo casella PEC mario.rossi@...").
    pub description: &'a str,
    /// The order's page, where the payer comes back to.
    pub return_url: &'a str,
    /// The order page's link token (the built-in test page opens the order by it).
    pub token: &'a str,
}

/// A card payment provider.
pub trait PaymentProvider: Send + Sync {
    /// Shown beside the pay button ("carta di credito", "pagamento di prova").
    fn label(&self) -> &str;
    /// Where the payer goes to pay `order`.
    fn checkout_url(&self, order: &ToPay<'_>) -> Result<String>;
    /// Whether this is a test provider: no money moves (pages say so).
    fn is_test(&self) -> bool {
        false
    }
}

/// A hosted checkout reached by an address in which `{order}`, `{amount}`
/// (euros with a dot, `12.20`), `{cents}`, `{description}` and `{return}` are
/// replaced, URL-encoded.
#[derive(Debug, Clone)]
pub struct HostedCheckout {
    template: String,
    label: String,
}

impl HostedCheckout {
    /// Refused unless the address is `https://` and names `{order}`.
    pub fn new(template: &str, label: &str) -> Result<HostedCheckout> {
        if !template.starts_with("https://") {
            return Err(Error::invalid(
                "checkout_url",
                format!("{template:?} is not an https:// address"),
            ));
        }
        if !template.contains("{order}") {
            return Err(Error::invalid(
                "checkout_url",
                "the address must name {order}: the provider sends the order ID back to the webhook",
            ));
        }
        Ok(HostedCheckout {
            template: template.to_string(),
            label: label.to_string(),
        })
    }
}

impl PaymentProvider for HostedCheckout {
    fn label(&self) -> &str {
        &self.label
    }

    fn checkout_url(&self, order: &ToPay<'_>) -> Result<String> {
        let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        Ok(self
            .template
            .replace("{order}", &enc(order.order_id))
            .replace("{amount}", &enc(&decimal(order.amount)))
            .replace("{cents}", &order.amount.cents.to_string())
            .replace("{description}", &enc(order.description))
            .replace("{return}", &enc(order.return_url)))
    }
}

/// The open order a renewal or activation link opens, as a checkout needs it.
#[derive(Debug, Clone, Serialize)]
pub struct OrderToPay {
    pub order_id: String,
    pub mailbox: String,
    /// VAT included.
    pub amount: Money,
    pub activation: bool,
    /// The page the payer comes back to, relative to the web root:
    /// `attivazione/{token}` or `rinnovo/{token}`.
    pub page: String,
    /// "Attivazione casella PEC ..." or "Rinnovo casella PEC ...".
    pub description: String,
}

/// The order the link `token` opens, when it can be paid now: refused when the
/// link is altered or expired (naming the token) or the order is not open.
pub async fn to_pay(office: &Office, token: &str) -> Result<OrderToPay> {
    let order_id = crate::renewal::linked_order_id(office, token, "order")?;
    let mut c = office.store().conn().await?;
    let order = lc::order(&mut c, &order_id)
        .await?
        .ok_or_else(|| Error::not_found("token", format!("the order {order_id} no longer exists")))?;
    if order.state != "open" {
        return Err(Error::refused_on(
            "token",
            format!("the order {} is {}: there is nothing to pay", order.id, order.state),
        ));
    }
    if order.is_activation() {
        let open = store::activations::of_order(&mut c, &order.id)
            .await?
            .is_some_and(|a| a.state == "reserved" && a.reserved_until >= office.now_ms());
        if !open {
            return Err(Error::refused_on(
                "token",
                format!(
                    "the reservation of {} by the order {} has lapsed: order the mailbox again",
                    order.mailbox, order.id
                ),
            ));
        }
    }
    let activation = order.is_activation();
    Ok(OrderToPay {
        page: format!("{}/{token}", if activation { "attivazione" } else { "rinnovo" }),
        description: format!(
            "{} casella PEC {} (ordine {})",
            if activation { "Attivazione" } else { "Rinnovo" },
            order.mailbox,
            order.id
        ),
        amount: Money::from_cents(order.amount_cents),
        order_id: order.id,
        mailbox: order.mailbox,
        activation,
    })
}

/// `12.20`: the decimal form payment providers read.
pub fn decimal(m: Money) -> String {
    format!("{}.{:02}", m.cents / 100, m.cents % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hosted_checkout_gets_the_order_encoded() {
        let c = HostedCheckout::new(
            "https://pay.example/c?o={order}&a={amount}&c={cents}&d={description}&r={return}",
            "carta",
        )
        .unwrap();
        let url = c
            .checkout_url(&ToPay {
                order_id: "CRT-2026-000007",
                amount: Money::from_cents(1220),
                description: "Rinnovo casella PEC a@b.it",
                return_url: "https://pec.example/rinnovo/x.y",
                token: "x.y",
            })
            .unwrap();
        assert_eq!(
            url,
            "https://pay.example/c?o=CRT-2026-000007&a=12.20&c=1220&d=Rinnovo+casella+PEC+a%40b.it\
             &r=https%3A%2F%2Fpec.example%2Frinnovo%2Fx.y"
        );
    }

    #[test]
    fn a_checkout_address_must_be_https_and_name_the_order() {
        assert!(HostedCheckout::new("http://pay.example/?o={order}", "c").is_err());
        assert!(HostedCheckout::new("https://pay.example/", "c").is_err());
    }
}
