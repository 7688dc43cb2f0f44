//! The payment webhook: card and PayPal-style payment providers tell the provider
//! that a renewal order was paid, and it is registered at once
//! (`../shared/docs/lifecycle.md`: "Card and PayPal payments are registered at once").
//!
//! `POST /payments/webhook` over HTTPS (the provider's TLS certificate) with a JSON
//! body `{"payment_id": "...", "order_id": "CRT-...", "amount": "7.93",
//! "paid_at": "RFC 3339", "method": "card"}` (a declined payment adds
//! `"status": "declined"` and a `"reason"`; `"status"` is `"paid"` otherwise) and the header
//! `X-Certa-Signature: sha256=<hex>`: the HMAC-SHA256 (RFC 2104) of the raw body
//! with the shared secret of `[lifecycle.webhook]`, compared in constant time.
//! Nothing is read from a request whose signature does not verify.
//!
//! | answer | when |
//! | --- | --- |
//! | 200 `{"outcome": "renewed", ...}` | the order is paid, the mailbox renewed (and reactivated) |
//! | 200 `{"outcome": "activated", ...}` | an activation order is paid: the mailbox exists, active |
//! | 200 `{"outcome": "declined", ...}` | a declined payment recorded in the order's log: nothing charged |
//! | 200 `{"outcome": "already applied"}` | this `payment_id` was applied before (a retry, a replay) |
//! | 200 `{"outcome": "order already paid"}` | another payment paid the order: refund this one |
//! | 400 | the body is not JSON, or a field is missing or malformed (named) |
//! | 401 | the signature is missing or wrong |
//! | 404 | no such order |
//! | 409 | the order was cancelled, or the subscription moved on |
//! | 422 | the amount is not the order's (VAT included) |
//! | 500 | the store failed: the provider should retry |

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::{DateTime, Utc};
use engine::Engine;
use hmac::{Hmac, KeyInit, Mac};
use lifecycle::money::Money;
use office::Office;
use office::payments::{self, Payment, PaymentReport};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use crate::tls::TlsListener;

pub const PATH: &str = "/payments/webhook";
pub const SIGNATURE_HEADER: &str = "x-certa-signature";

struct State {
    office: Office,
    secret: Vec<u8>,
}

/// Serves the webhook on `tcp` (bound by the caller, so that its address is
/// known and kept before anything names it) over TLS until `shutdown` is cancelled.
pub async fn spawn(
    tcp: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    engine: Arc<Engine>,
    secret: Vec<u8>,
    shutdown: CancellationToken,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let local = tcp.local_addr()?;
    let state = Arc::new(State {
        office: Office::new(engine),
        secret,
    });
    let app = Router::new().route(
        PATH,
        post(move |headers: HeaderMap, body: Bytes| {
            let state = state.clone();
            async move { handle(&state, &headers, &body).await }
        }),
    );
    let listener = TlsListener::start(tcp, TlsAcceptor::from(tls), shutdown.clone(), "payment webhook");
    let join = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await;
        if let Err(e) = served {
            tracing::error!(target: "lifecycle", "payment webhook stopped: {e}");
        }
    });
    Ok((local, join))
}

/// The HMAC-SHA256 of `body` with `secret`, as the `X-Certa-Signature` value.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(body);
    let tag = mac.finalize().into_bytes();
    format!("sha256={}", tag.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// Whether `header` is `sha256=<hex>` of the body's HMAC, compared in constant time.
fn verified(secret: &[u8], header: Option<&str>, body: &[u8]) -> bool {
    let Some(hex) = header.and_then(|h| h.trim().strip_prefix("sha256=")) else {
        return false;
    };
    let Some(tag) = decode_hex(hex) else {
        return false;
    };
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&tag).is_ok()
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A payment as the webhook's JSON gives it.
struct Notification {
    payment_id: String,
    order_id: String,
    amount: Money,
    paid_at: Option<DateTime<Utc>>,
    method: Option<String>,
    /// Declined (with the provider's reason) rather than paid.
    declined: Option<String>,
}

/// Reads the JSON body; the error names the field at fault.
fn parse(body: &[u8]) -> Result<Notification, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let obj = v.as_object().ok_or("the body is not a JSON object")?;
    let text = |field: &str, required: bool| -> Result<Option<String>, String> {
        match obj.get(field) {
            None | Some(Value::Null) if required => Err(format!("field \"{field}\": missing")),
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Err(format!("field \"{field}\": empty")),
            Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
            // Some providers send amounts as numbers: their text is the amount.
            Some(Value::Number(n)) if field == "amount" => Ok(Some(n.to_string())),
            Some(other) => Err(format!("field \"{field}\": expected a string, got {other}")),
        }
    };
    let required = |field: &str| text(field, true).map(Option::unwrap_or_default);
    let amount = required("amount")?;
    let amount = Money::parse(&amount).map_err(|e| format!("field \"amount\": {e}"))?;
    let paid_at = text("paid_at", false)?
        .map(|t| {
            DateTime::parse_from_rfc3339(&t)
                .map(|d| d.with_timezone(&Utc))
                .map_err(|e| format!("field \"paid_at\": {t:?} is not an RFC 3339 time: {e}"))
        })
        .transpose()?;
    let declined = match text("status", false)?.as_deref() {
        None | Some("paid") => None,
        Some("declined") => Some(text("reason", false)?.unwrap_or_default()),
        Some(other) => {
            return Err(format!(
                "field \"status\": {other:?} is neither \"paid\" nor \"declined\""
            ));
        }
    };
    Ok(Notification {
        declined,
        payment_id: required("payment_id")?,
        order_id: required("order_id")?,
        amount,
        paid_at,
        method: text("method", false)?,
    })
}

fn answer(status: StatusCode, body: Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    answer(status, json!({ "error": message.into() }))
}

async fn handle(state: &State, headers: &HeaderMap, body: &[u8]) -> Response {
    let header = headers.get(SIGNATURE_HEADER).and_then(|h| h.to_str().ok());
    if !verified(&state.secret, header, body) {
        tracing::warn!(target: "lifecycle", "payment webhook: request with a missing or wrong signature refused");
        return error(
            StatusCode::UNAUTHORIZED,
            "missing or wrong X-Certa-Signature (sha256=<hex HMAC-SHA256 of the body>)",
        );
    }
    let n = match parse(body) {
        Ok(n) => n,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    if let Some(reason) = &n.declined {
        return match payments::declined(&state.office, &n.order_id, &n.payment_id, Some(reason)).await {
            Ok(report) => answer(StatusCode::OK, serde_json::to_value(&report).unwrap_or_default()),
            Err(e) => refused(e),
        };
    }
    let payment = Payment {
        order_id: &n.order_id,
        amount: n.amount,
        payment_id: &n.payment_id,
        paid_at: n.paid_at,
        source: "webhook",
        detail: n.method.as_deref(),
    };
    match payments::record(&state.office, &payment).await {
        Ok(report) => {
            if let PaymentReport::Renewed {
                order_id,
                mailbox,
                new_expiry,
                ..
            } = &report
            {
                tracing::info!(target: "lifecycle", order = %order_id, %mailbox, %new_expiry, "paid through the webhook");
            }
            answer(StatusCode::OK, serde_json::to_value(&report).unwrap_or_default())
        }
        Err(e) => refused(e),
    }
}

/// An office error as the webhook's answer: the request's faults by kind, with
/// the reason alone; the store's failures as 500, for the provider to retry.
fn refused(e: office::Error) -> Response {
    let status = match e {
        office::Error::NotFound { .. } => StatusCode::NOT_FOUND,
        office::Error::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        office::Error::Refused { .. } => StatusCode::CONFLICT,
        _ => {
            tracing::error!(target: "lifecycle", "payment webhook: {e}");
            return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string());
        }
    };
    error(status, e.reason())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_with_its_secret_and_body() {
        let secret = b"0123456789abcdef-secret";
        let body = br#"{"payment_id":"p1"}"#;
        let sig = signature(secret, body);
        assert!(sig.starts_with("sha256=") && sig.len() == 7 + 64);
        assert!(verified(secret, Some(&sig), body));
        assert!(verified(
            secret,
            Some(&sig.to_uppercase().replace("SHA256=", "sha256=")),
            body
        ));
        assert!(!verified(b"another secret of length", Some(&sig), body));
        assert!(!verified(secret, Some(&sig), br#"{"payment_id":"p2"}"#));
        assert!(!verified(secret, Some(&sig[..sig.len() - 2]), body));
        assert!(!verified(secret, Some("sha256=zz"), body));
        assert!(!verified(secret, None, body));
    }

    #[test]
    fn malformed_notifications_name_the_field() {
        let err = |body: &str| parse(body.as_bytes()).err().unwrap();
        assert!(err("not json").contains("not JSON"));
        assert!(err(r#"{"order_id":"CRT-2025-000001","amount":"7.93"}"#).contains("\"payment_id\""));
        assert!(err(r#"{"payment_id":"p","order_id":"CRT-2025-000001","amount":"abc"}"#).contains("\"amount\""));
        assert!(err(r#"{"payment_id":"p","order_id":"CRT-2025-000001","amount":"-1"}"#).contains("\"amount\""));
        assert!(err(r#"{"payment_id":"p","order_id":7,"amount":"7.93"}"#).contains("\"order_id\""));
        assert!(
            err(r#"{"payment_id":"p","order_id":"CRT-2025-000001","amount":"7.93","paid_at":"ieri"}"#)
                .contains("\"paid_at\"")
        );
        let n = parse(br#"{"payment_id":"p","order_id":"CRT-2025-000001","amount":7.93,"method":"card"}"#).unwrap();
        assert_eq!(
            (n.amount.cents, n.method.as_deref(), n.declined),
            (793, Some("card"), None)
        );
        let n = parse(
            br#"{"payment_id":"p","order_id":"CRT-2025-000001","amount":"7.93","status":"declined","reason":"no funds"}"#,
        )
        .unwrap();
        assert_eq!(n.declined.as_deref(), Some("no funds"));
        assert!(
            err(r#"{"payment_id":"p","order_id":"CRT-2025-000001","amount":"7.93","status":"maybe"}"#)
                .contains("\"status\"")
        );
    }
}
