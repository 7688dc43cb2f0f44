//! One provider as the binary runs it: its configuration, engine and listeners.

pub mod access;
pub mod config;
pub mod handlers;
pub mod transport;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use engine::{Clock, Engine, ProviderIndex, SystemClock};
use pec::Gestore;
use pec::smime::Signer;
use smtp::server::{CancellationToken, Role, ServerConfig};
use store::Store;

pub use config::ProviderConfig;

/// An opened provider (store, keys, index, engine), not yet listening.
pub struct Provider {
    pub config: ProviderConfig,
    pub engine: Arc<Engine>,
    tls: Arc<rustls::ServerConfig>,
}

/// The bound addresses of a running provider.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Bound {
    pub submission: SocketAddr,
    pub submissions: SocketAddr,
    pub inbound: SocketAddr,
    pub imap: Option<SocketAddr>,
    pub imaps: Option<SocketAddr>,
    pub pop3: Option<SocketAddr>,
    pub pop3s: Option<SocketAddr>,
}

impl Provider {
    /// Opens the provider of a data directory; `database` overrides the configuration's.
    pub async fn open(data: &Path, database: Option<&str>) -> Result<Provider> {
        Self::open_with_clock(data, database, Arc::new(SystemClock)).await
    }

    /// Opens the provider for an operator's command: on the system clock, or on a clock
    /// stopped at `now` (`--now`: the daily machine, payments and orders at that instant).
    pub async fn open_at(data: &Path, database: Option<&str>, now: Option<DateTime<Utc>>) -> Result<Provider> {
        let clock: Arc<dyn Clock> = match now {
            Some(at) => Arc::new(FixedClock(at)),
            None => Arc::new(SystemClock),
        };
        Self::open_with_clock(data, database, clock).await
    }

    pub async fn open_with_clock(data: &Path, database: Option<&str>, clock: Arc<dyn Clock>) -> Result<Provider> {
        let config = ProviderConfig::load(data)?;
        let read = |rel: &str| {
            let p = data.join(rel);
            std::fs::read(&p).with_context(|| format!("cannot read {}", p.display()))
        };
        let signer = Signer::from_pem(
            &read(&config.keys.signer)?,
            &read(&config.keys.signer_key)?,
            &read(&config.keys.chain)?,
        )
        .context("cannot load the provider's signing key")?;
        let tls = smtp::server::tls_config_from_pem(&read(&config.keys.tls_cert)?, &read(&config.keys.tls_key)?)
            .context("cannot load the TLS certificate")?;
        let index = ProviderIndex::load(&data.join(&config.index))?;
        let store = Store::open(database.or(config.database.as_deref()), data)
            .await
            .context("cannot open the store")?;
        {
            let mut c = store.conn().await?;
            store::mailboxes::add_domain(&mut c, &config.domain, store::millis(clock.now())).await?;
        }
        let transport = transport::SmtpTransport::new(&config.domain, &index.tls_roots_pem)?;
        let gestore = Gestore::new(&config.name, &config.domain, signer);
        let engine = Engine::new(
            store,
            gestore,
            index,
            config.engine_config(),
            clock,
            Arc::new(transport),
        );
        Ok(Provider {
            config,
            engine: Arc::new(engine),
            tls,
        })
    }

    /// Starts the SMTP listeners and the job workers until `shutdown` is cancelled.
    pub async fn start(&self, shutdown: CancellationToken) -> Result<(Bound, tokio::task::JoinHandle<()>)> {
        let hostname = format!("smtp.{}", self.config.domain);
        let limits = &self.config.limits;
        let listener = |role: Role, implicit: bool| {
            let mut c = ServerConfig::new(role, hostname.clone());
            c.max_message_size = limits.max_message_size;
            c.max_recipients = limits.max_recipients.max(50);
            c.tls = Some(self.tls.clone());
            c.implicit_tls = implicit;
            c
        };
        let l = self.config.listen;
        let sub = smtp::server::spawn(
            l.submission,
            listener(Role::Submission, false),
            Arc::new(handlers::SubmissionHandler(self.engine.clone())),
            shutdown.clone(),
        )
        .await
        .with_context(|| format!("cannot listen on {} (submission)", l.submission))?;
        let subs = smtp::server::spawn(
            l.submissions,
            listener(Role::Submission, true),
            Arc::new(handlers::SubmissionHandler(self.engine.clone())),
            shutdown.clone(),
        )
        .await
        .with_context(|| format!("cannot listen on {} (submission, TLS)", l.submissions))?;
        let inbound = smtp::server::spawn(
            l.inbound,
            listener(Role::Inbound, false),
            Arc::new(handlers::InboundHandler(self.engine.clone())),
            shutdown.clone(),
        )
        .await
        .with_context(|| format!("cannot listen on {} (inbound)", l.inbound))?;
        let a = self.config.access;
        let read = Arc::new(access::ReadLogin(self.engine.clone()));
        let mut joins = Vec::new();
        let pop3_listener = |addr: Option<SocketAddr>, implicit: bool| {
            let read = read.clone();
            let store = self.engine.store().clone();
            let shutdown = shutdown.clone();
            let mut c = pop3::ServerConfig::new(self.tls.clone(), hostname.clone());
            c.implicit_tls = implicit;
            c.clock = self.engine.clock();
            async move {
                match addr {
                    Some(addr) => pop3::spawn(addr, c, read, store, shutdown)
                        .await
                        .with_context(|| format!("cannot listen on {addr} (POP3)"))
                        .map(Some),
                    None => Ok(None),
                }
            }
        };
        let imap_listener = |addr: Option<SocketAddr>, implicit: bool| {
            let read = read.clone();
            let store = self.engine.store().clone();
            let shutdown = shutdown.clone();
            let mut c = imap::ServerConfig::new(hostname.clone(), self.tls.clone());
            c.implicit_tls = implicit;
            c.clock = self.engine.clock();
            async move {
                match addr {
                    Some(addr) => imap::spawn(addr, c, read, store, shutdown)
                        .await
                        .with_context(|| format!("cannot listen on {addr} (IMAP)"))
                        .map(Some),
                    None => Ok(None),
                }
            }
        };
        let imap = imap_listener(a.imap, false).await?;
        let imaps = imap_listener(a.imaps, true).await?;
        let (imap_addr, imaps_addr) = (
            imap.as_ref().map(|h| h.local_addr),
            imaps.as_ref().map(|h| h.local_addr),
        );
        joins.extend(imap.into_iter().chain(imaps).map(|h| h.join));
        let pop3 = pop3_listener(a.pop3, false).await?;
        let pop3s = pop3_listener(a.pop3s, true).await?;
        let (pop3_addr, pop3s_addr) = (
            pop3.as_ref().map(|h| h.local_addr),
            pop3s.as_ref().map(|h| h.local_addr),
        );
        joins.extend(pop3.into_iter().chain(pop3s).map(|h| h.join));
        self.engine.recover().await?;
        self.engine.schedule_purge().await?;
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let workers = tokio::spawn(self.engine.clone().run(stop_rx));
        let bound = Bound {
            submission: sub.local_addr,
            submissions: subs.local_addr,
            inbound: inbound.local_addr,
            imap: imap_addr,
            imaps: imaps_addr,
            pop3: pop3_addr,
            pop3s: pop3s_addr,
        };
        let joined = tokio::spawn(async move {
            shutdown.cancelled().await;
            let _ = stop_tx.send(true);
            let _ = tokio::join!(sub.join, subs.join, inbound.join, workers);
            for j in joins {
                let _ = j.await;
            }
        });
        Ok((bound, joined))
    }
}

impl Provider {
    /// The lifecycle's services of `certa serve`, until `shutdown` is cancelled: the
    /// daily machine every `[lifecycle] interval_seconds` (at once, then periodically),
    /// and the payment webhook when `[lifecycle.webhook]` is configured. Returns the
    /// webhook's bound address.
    pub async fn start_lifecycle(
        &self,
        data: &Path,
        shutdown: CancellationToken,
    ) -> Result<(Option<SocketAddr>, tokio::task::JoinHandle<()>)> {
        let settings = self.config.lifecycle.clone().unwrap_or_default();
        let webhook = match &settings.webhook {
            Some(w) => {
                let secret = w.secret(data)?;
                let (addr, join) = crate::webhook::spawn(
                    w.listen,
                    self.tls.clone(),
                    self.engine.clone(),
                    secret,
                    shutdown.clone(),
                )
                .await
                .with_context(|| format!("cannot listen on {} (payment webhook)", w.listen))?;
                Some((addr, join))
            }
            None => None,
        };
        let interval = settings.interval();
        let machine =
            (!interval.is_zero()).then(|| tokio::spawn(daily_machine(self.engine.clone(), interval, shutdown)));
        let addr = webhook.as_ref().map(|(a, _)| *a);
        let joined = tokio::spawn(async move {
            if let Some((_, j)) = webhook {
                let _ = j.await;
            }
            if let Some(j) = machine {
                let _ = j.await;
            }
        });
        Ok((addr, joined))
    }
}

/// Runs the daily machine every `every` on the engine's clock. A failed run is logged
/// and retried at the next tick: each action is keyed, so nothing happens twice.
async fn daily_machine(engine: Arc<Engine>, every: std::time::Duration, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            _ = tick.tick() => {}
        }
        let now = store::instant(engine.now_ms());
        // Cut off by the shutdown mid-run, the subscription at hand rolls back and
        // is done on the next start.
        let run = tokio::select! {
            () = shutdown.cancelled() => break,
            run = engine.lifecycle_run(now) => run,
        };
        match run {
            Ok(report) => {
                for event in &report.events {
                    tracing::info!(target: "lifecycle", "{event}");
                }
                for error in &report.errors {
                    tracing::error!(target: "lifecycle", "{error}");
                }
                if report.cancellations > 0 {
                    tracing::info!(target: "lifecycle", "{} cancellations by PEC recorded", report.cancellations);
                }
                tracing::debug!(
                    target: "lifecycle",
                    subscriptions = report.subscriptions,
                    skipped = report.skipped,
                    blobs_deleted = report.blobs_deleted,
                    "daily machine run"
                );
            }
            Err(e) => tracing::error!(target: "lifecycle", "the daily machine failed (retried next time): {e}"),
        }
    }
}

/// A clock stopped at one instant: the operator's `--now`.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// SIGINT or SIGTERM.
pub async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
