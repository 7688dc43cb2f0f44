//! # web: Certa's pages over HTTPS
//!
//! The web front end: server-rendered pages (askama templates, escaped by
//! default) with a small vendored htmx for the live parts, everything embedded
//! in the binary, served over TLS with the provider's certificate. Its first
//! user is the mailbox holder's webmail. Like every front end it parses a
//! request, calls one office function and renders the report: no business rule
//! lives here (ARCHITECTURE.md).
//!
//! What every page gets: the security headers of [`security`] (a strict
//! Content-Security-Policy, no framing), cross-site requests refused on every
//! state-changing route ([`security::same_origin`] and the session's own token,
//! see [`auth`]), Italian first and English by a switch ([`i18n`]).

pub mod assets;
pub mod auth;
pub mod console;
pub mod i18n;
mod pages;
pub mod security;
pub mod test_payment;
pub mod tls;
pub mod ui;
pub mod webhook;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use office::Office;
use office::login::SessionPolicy;
use tokio_util::sync::CancellationToken;

/// How the web front end behaves, from `[web]` in certa.toml.
#[derive(Clone)]
pub struct Settings {
    pub session: SessionPolicy,
    /// The largest request body accepted (a message with its attachments, an
    /// upload to the verifier), in bytes.
    pub max_upload: usize,
    /// Where a card payment goes (`[payments]`): None, the pages offer the
    /// other ways to pay only.
    pub card: Option<Arc<dyn office::checkout::PaymentProvider>>,
    /// The built-in test payment page (`[payments] test_page`), with what it
    /// needs to call the payment webhook.
    pub test_payments: Option<test_payment::TestPayments>,
    /// The pages' public address, ending in `/` (`[web] url`): where a card
    /// provider sends the payer back.
    pub public_url: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            session: SessionPolicy::default(),
            max_upload: 100 * 1024 * 1024,
            card: None,
            test_payments: None,
            public_url: "https://localhost/".into(),
        }
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("session", &self.session)
            .field("max_upload", &self.max_upload)
            .field("card", &self.card.as_ref().map(|c| c.label().to_string()))
            .field("test_payments", &self.test_payments.is_some())
            .field("public_url", &self.public_url)
            .finish()
    }
}

/// What every handler reaches: the provider's office and the settings.
#[derive(Clone)]
pub struct AppState {
    pub office: Office,
    pub settings: Arc<Settings>,
    /// The mailbox archives the holders are saving (`office::account::Archives`).
    pub archives: Arc<office::account::Archives>,
}

impl AppState {
    pub fn new(office: Office, settings: Settings) -> AppState {
        AppState {
            office,
            settings: Arc::new(settings),
            archives: Arc::new(office::account::Archives::new()),
        }
    }
}

/// Every page and action, with the security layers around them.
pub fn router(state: AppState) -> Router {
    pages::routes()
        .merge(test_payment::routes())
        .merge(auth::routes())
        .merge(console::routes())
        .merge(assets::routes())
        .layer(axum::extract::DefaultBodyLimit::max(state.settings.max_upload))
        .layer(axum::middleware::from_fn(security::same_origin))
        .layer(axum::middleware::from_fn(security::headers))
        .with_state(state)
}

/// Serves the pages over TLS on `listener` until `shutdown`; the bound address.
pub async fn spawn(
    listener: tokio::net::TcpListener,
    tls: Arc<rustls::ServerConfig>,
    state: AppState,
    shutdown: CancellationToken,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let local = listener.local_addr()?;
    // RFC 7301: HTTP/1.1 over TLS (axum serves HTTP/1 here).
    let mut tls = (*tls).clone();
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
    let purge = tokio::spawn(purge_sessions(state.clone(), shutdown.clone()));
    tokio::spawn(summarise_old_messages(state.clone()));
    let app = router(state).into_make_service_with_connect_info::<tls::Peer>();
    let listener = tls::TlsListener::start(listener, acceptor, shutdown.clone(), "web");
    tracing::info!(%local, "web listener started");
    let join = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await;
        if let Err(e) = served {
            tracing::error!("web server stopped: {e}");
        }
        purge.abort();
    });
    Ok((local, join))
}

/// Summarises the messages stored before summaries existed (migration 0012),
/// so that search finds them too; a folder's page summarises its own rows
/// before it is shown anyway (`office::mail`).
async fn summarise_old_messages(state: AppState) {
    match office::mail::backfill(&state.office, None, 500).await {
        Ok(0) => {}
        Ok(n) => tracing::info!("{n} messages stored before summaries existed were summarised"),
        Err(e) => tracing::warn!("cannot summarise the older messages: {e}"),
    }
}

/// Removes ended sessions every ten minutes.
async fn purge_sessions(state: AppState, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            _ = tick.tick() => {}
        }
        if let Err(e) = office::login::purge_sessions(&state.office, state.settings.session).await {
            tracing::warn!("cannot purge ended web sessions: {e}");
        }
        if let Err(e) = office::staff::purge_sessions(&state.office, state.settings.session).await {
            tracing::warn!("cannot purge the consoles' ended sessions: {e}");
        }
        if let Err(e) = office::registry::reserved::purge(&state.office).await {
            tracing::warn!("cannot purge the reserved area's ended sessions and links: {e}");
        }
    }
}
