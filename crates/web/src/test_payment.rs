//! The built-in test payment page (`[payments] test_page = true`, on in
//! `certa demo`): a stand-in for a card provider's hosted checkout, clearly
//! marked as a test, where no money moves. Like a real provider it tells Certa
//! the outcome through the signed payment webhook, over HTTPS, on the webhook's
//! own listener (`[lifecycle.webhook]`): the order is paid (or the declined
//! attempt recorded) by the very code path a real payment takes, then the payer
//! comes back to the order's page.
//!
//! Card `4000 0000 0000 0002` is declined, as on the test pages of the real
//! providers; any other number, or the "pay" button, pays.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{Request, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use http_body_util::{BodyExt, Full};
use office::checkout::{self, OrderToPay, PaymentProvider, ToPay};
use rustls_pki_types::{CertificateDer, ServerName, pem::PemObject};
use serde::Deserialize;

use crate::AppState;
use crate::i18n::Texts;
use crate::ui::{Ui, error_page, office_error, page};
use crate::webhook;

pub const TEXTS: Texts = &[
    ("testpay.title", "Pagamento di prova", "Test payment"),
    (
        "testpay.banner",
        "PAGINA DI PAGAMENTO DI PROVA: nessun denaro viene addebitato. Esiste solo nelle installazioni di prova (certa demo, test) e chiama il webhook dei pagamenti come farebbe un vero gestore di carte.",
        "TEST PAYMENT PAGE: no money is charged. It exists only on test installations (certa demo, tests) and calls the payments webhook as a real card provider would.",
    ),
    ("testpay.order", "Ordine", "Order"),
    ("testpay.amount", "Importo", "Amount"),
    ("testpay.card", "Numero di carta (di prova)", "Card number (test)"),
    (
        "testpay.card_hint",
        "4000 0000 0000 0002 simula una carta rifiutata; qualsiasi altro numero paga.",
        "4000 0000 0000 0002 simulates a declined card; any other number pays.",
    ),
    ("testpay.pay", "Paga", "Pay"),
    ("testpay.decline", "Simula un rifiuto", "Simulate a decline"),
    (
        "testpay.failed",
        "Il webhook dei pagamenti non ha accettato la notifica:",
        "The payments webhook did not accept the notification:",
    ),
];

/// What the test page needs to call the payment webhook.
#[derive(Clone)]
pub struct TestPayments {
    /// The webhook's listener (`[lifecycle.webhook] listen`).
    pub webhook: SocketAddr,
    /// The webhook's shared secret.
    pub secret: Vec<u8>,
    /// The certificates that verify the webhook's TLS certificate (PEM).
    pub ca_pem: Vec<u8>,
}

impl TestPayments {
    /// The card provider the pages offer when the test page is on.
    pub fn provider(&self) -> Arc<dyn PaymentProvider> {
        Arc::new(TestProvider)
    }
}

struct TestProvider;

impl PaymentProvider for TestProvider {
    fn label(&self) -> &str {
        "pagamento di prova"
    }

    fn checkout_url(&self, order: &ToPay<'_>) -> office::Result<String> {
        Ok(format!("/pagamento-di-prova/{}", order.token))
    }

    fn is_test(&self) -> bool {
        true
    }
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/pagamento-di-prova/{token}", get(show).post(complete))
}

#[derive(Template)]
#[template(path = "test_payment.html")]
struct Page<'a> {
    ui: &'a Ui,
    order: &'a OrderToPay,
    token: &'a str,
}

fn settings(state: &AppState) -> Option<&TestPayments> {
    state.settings.test_payments.as_ref()
}

async fn show(State(state): State<AppState>, ui: Ui, Path(token): Path<String>) -> Response {
    if settings(&state).is_none() {
        return error_page(&ui, StatusCode::NOT_FOUND, ui.t("error.not_found"));
    }
    match checkout::to_pay(&state.office, &token).await {
        Ok(order) => page(&Page {
            ui: &ui,
            order: &order,
            token: &token,
        }),
        Err(e) => office_error(&ui, e),
    }
}

#[derive(Deserialize)]
struct Outcome {
    #[serde(default)]
    card: String,
    /// `pay` or `decline`.
    outcome: String,
}

/// The test provider's answer: the webhook called, then back to the order's page.
async fn complete(
    State(state): State<AppState>,
    ui: Ui,
    Path(token): Path<String>,
    Form(form): Form<Outcome>,
) -> Response {
    let Some(test) = settings(&state) else {
        return error_page(&ui, StatusCode::NOT_FOUND, ui.t("error.not_found"));
    };
    let order = match checkout::to_pay(&state.office, &token).await {
        Ok(o) => o,
        Err(e) => return office_error(&ui, e),
    };
    let card: String = form.card.chars().filter(char::is_ascii_digit).collect();
    let declined = form.outcome == "decline" || card == "4000000000000002";
    let now = state.office.now();
    let mut body = serde_json::json!({
        "payment_id": format!("test-{}-{}", order.order_id, now.timestamp_nanos_opt().unwrap_or_default()),
        "order_id": order.order_id,
        "amount": checkout::decimal(order.amount),
        "paid_at": now.to_rfc3339(),
        "method": "carta (pagamento di prova)",
    });
    if declined {
        body["status"] = "declined".into();
        body["reason"] = "carta rifiutata (pagamento di prova)".into();
    }
    match post(test, body.to_string().into_bytes()).await {
        Ok((200, _)) => {
            let outcome = if declined { "rifiutato" } else { "pagato" };
            Redirect::to(&format!("/{}?esito={outcome}", order.page)).into_response()
        }
        Ok((status, answer)) => {
            let reason = answer["error"].as_str().unwrap_or("no reason given").to_string();
            error_page(
                &ui,
                StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
                &format!("{} {reason}", ui.t("testpay.failed")),
            )
        }
        Err(e) => {
            tracing::error!(target: "lifecycle", "test payment page: cannot call the payment webhook: {e}");
            error_page(&ui, StatusCode::BAD_GATEWAY, &format!("{} {e}", ui.t("testpay.failed")))
        }
    }
}

/// POSTs a signed notification to the webhook over HTTPS, verifying its
/// certificate; its status and JSON answer.
async fn post(test: &TestPayments, body: Vec<u8>) -> Result<(u16, serde_json::Value), String> {
    let call = async {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(&test.ca_pem) {
            let cert = cert.map_err(|e| format!("the webhook's CA cannot be read: {e}"))?;
            roots
                .add(cert)
                .map_err(|e| format!("the webhook's CA cannot be used: {e}"))?;
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut addr = test.webhook;
        if addr.ip().is_unspecified() {
            addr.set_ip(Ipv4Addr::LOCALHOST.into());
        }
        let tcp = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| format!("cannot reach the webhook at {addr}: {e}"))?;
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(ServerName::IpAddress(addr.ip().into()), tcp)
            .await
            .map_err(|e| format!("TLS with the webhook at {addr}: {e}"))?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(conn);
        let request = Request::post(webhook::PATH)
            .header(header::HOST, addr.to_string())
            .header(header::CONTENT_TYPE, "application/json")
            .header(webhook::SIGNATURE_HEADER, webhook::signature(&test.secret, &body))
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        let response = sender.send_request(request).await.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok((status, serde_json::from_slice(&bytes).unwrap_or_default()))
    };
    tokio::time::timeout(Duration::from_secs(30), call)
        .await
        .map_err(|_| "the webhook did not answer within 30 s".to_string())?
}
