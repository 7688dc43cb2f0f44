//! One provider as the binary runs it: its configuration, engine and listeners.

pub mod access;
pub mod config;
pub mod handlers;
pub mod setup;
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
use tokio::net::TcpListener;

pub use config::ProviderConfig;

/// An opened provider (store, keys, index, engine), not yet listening.
pub struct Provider {
    pub config: ProviderConfig,
    pub engine: Arc<Engine>,
    tls: Arc<rustls::ServerConfig>,
    data: std::path::PathBuf,
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
    /// The webmail (HTTPS).
    pub web: Option<SocketAddr>,
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
            data: data.to_path_buf(),
        })
    }

    /// Starts the listeners of its configuration and the job workers until `shutdown` is
    /// cancelled.
    pub async fn start(&self, shutdown: CancellationToken) -> Result<(Bound, tokio::task::JoinHandle<()>)> {
        let mut listeners = Listeners::bind(self.config.listen, self.config.access).await?;
        if let Some(w) = &self.config.web {
            listeners.bind_web(w.listen).await?;
        }
        self.start_on(listeners, shutdown).await
    }

    /// Starts the servers on `listeners` (bound already, whatever the configuration says)
    /// and the job workers until `shutdown` is cancelled.
    pub async fn start_on(
        &self,
        listeners: Listeners,
        shutdown: CancellationToken,
    ) -> Result<(Bound, tokio::task::JoinHandle<()>)> {
        let bound = listeners.addresses()?;
        let hostname = format!("smtp.{}", self.config.domain);
        let limits = &self.config.limits;
        let smtp_config = |role: Role, implicit: bool| {
            let mut c = ServerConfig::new(role, hostname.clone());
            c.max_message_size = limits.max_message_size;
            c.max_recipients = limits.max_recipients.max(50);
            c.tls = Some(self.tls.clone());
            c.implicit_tls = implicit;
            c
        };
        let submission = Arc::new(handlers::SubmissionHandler(self.engine.clone()));
        let sub = smtp::server::spawn_on(
            listeners.submission,
            smtp_config(Role::Submission, false),
            submission.clone(),
            shutdown.clone(),
        )
        .await
        .context("cannot start the submission server")?;
        let subs = smtp::server::spawn_on(
            listeners.submissions,
            smtp_config(Role::Submission, true),
            submission,
            shutdown.clone(),
        )
        .await
        .context("cannot start the submission server (TLS)")?;
        let inbound = smtp::server::spawn_on(
            listeners.inbound,
            smtp_config(Role::Inbound, false),
            Arc::new(handlers::InboundHandler(self.engine.clone())),
            shutdown.clone(),
        )
        .await
        .context("cannot start the inbound server")?;
        let read = Arc::new(access::ReadLogin(self.engine.clone()));
        let mut joins = Vec::new();
        for (listener, implicit) in [(listeners.imap, false), (listeners.imaps, true)] {
            let Some(listener) = listener else { continue };
            let mut c = imap::ServerConfig::new(hostname.clone(), self.tls.clone());
            c.implicit_tls = implicit;
            c.clock = self.engine.clock();
            let store = self.engine.store().clone();
            let handle = imap::spawn_on(listener, c, read.clone(), store, shutdown.clone())
                .await
                .context("cannot start the IMAP server")?;
            joins.push(handle.join);
        }
        for (listener, implicit) in [(listeners.pop3, false), (listeners.pop3s, true)] {
            let Some(listener) = listener else { continue };
            let mut c = pop3::ServerConfig::new(self.tls.clone(), hostname.clone());
            c.implicit_tls = implicit;
            c.clock = self.engine.clock();
            let store = self.engine.store().clone();
            let handle = pop3::spawn_on(listener, c, read.clone(), store, shutdown.clone())
                .await
                .context("cannot start the POP3 server")?;
            joins.push(handle.join);
        }
        if let Some(listener) = listeners.web {
            let settings = self.web_settings()?;
            let state = web::AppState::new(office::Office::new(self.engine.clone()), settings);
            let (_, join) = web::spawn(listener, self.tls.clone(), state, shutdown.clone())
                .await
                .context("cannot start the web server")?;
            joins.push(join);
        }
        self.engine.recover().await?;
        self.engine.schedule_purge().await?;
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let workers = tokio::spawn(self.engine.clone().run(stop_rx));
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
    /// The web front end's settings: `[web]`'s, the card provider of
    /// `[payments]` (the test page's with the webhook it calls) and the public address.
    fn web_settings(&self) -> Result<web::Settings> {
        let mut settings = self.config.web.as_ref().map(|w| w.settings()).unwrap_or_default();
        if let Some(url) = self.config.web.as_ref().and_then(config::WebSettings::public_url) {
            settings.public_url = url;
        }
        let payments = self.config.payments.clone().unwrap_or_default();
        if let Some(card) = payments.card()? {
            settings.card = Some(Arc::new(card));
        }
        let webhook = self.config.lifecycle.as_ref().and_then(|l| l.webhook.as_ref());
        if let (Some(true), Some(w)) = (payments.test_page, webhook) {
            let ca = self.data.join(&self.config.keys.chain);
            let test = web::test_payment::TestPayments {
                webhook: w.listen,
                secret: w.secret(&self.data)?,
                ca_pem: std::fs::read(&ca).with_context(|| format!("cannot read {}", ca.display()))?,
            };
            settings.card = Some(test.provider());
            settings.test_payments = Some(test);
        }
        Ok(settings)
    }
}

/// A provider's listeners, bound before it starts: where port 0 is asked for, the real
/// ports are known before anything that names them is written (`certa demo --free-ports`
/// writes them into the configuration and the providers' index), and no other socket can
/// take one in between.
#[derive(Debug)]
pub struct Listeners {
    submission: TcpListener,
    submissions: TcpListener,
    inbound: TcpListener,
    imap: Option<TcpListener>,
    imaps: Option<TcpListener>,
    pop3: Option<TcpListener>,
    pop3s: Option<TcpListener>,
    web: Option<TcpListener>,
}

impl Listeners {
    /// Binds the SMTP addresses of `listen` and those of `access` that are set.
    pub async fn bind(listen: config::Listen, access: config::Access) -> Result<Listeners> {
        async fn bind(addr: SocketAddr, what: &str) -> Result<TcpListener> {
            TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr} ({what})"))
        }
        async fn bind_if(addr: Option<SocketAddr>, what: &str) -> Result<Option<TcpListener>> {
            match addr {
                Some(addr) => bind(addr, what).await.map(Some),
                None => Ok(None),
            }
        }
        Ok(Listeners {
            submission: bind(listen.submission, "submission").await?,
            submissions: bind(listen.submissions, "submission, TLS").await?,
            inbound: bind(listen.inbound, "inbound").await?,
            imap: bind_if(access.imap, "IMAP").await?,
            imaps: bind_if(access.imaps, "IMAP, TLS").await?,
            pop3: bind_if(access.pop3, "POP3").await?,
            pop3s: bind_if(access.pop3s, "POP3, TLS").await?,
            web: None,
        })
    }

    /// Binds the webmail's address too.
    pub async fn bind_web(&mut self, addr: SocketAddr) -> Result<()> {
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr} (web)"))?;
        self.web = Some(listener);
        Ok(())
    }

    /// The bound addresses: the real ports where 0 was asked for.
    pub fn addresses(&self) -> Result<Bound> {
        let addr = |l: &TcpListener| l.local_addr().context("a bound listener has no address");
        let addr_if = |l: &Option<TcpListener>| l.as_ref().map(addr).transpose();
        Ok(Bound {
            submission: addr(&self.submission)?,
            submissions: addr(&self.submissions)?,
            inbound: addr(&self.inbound)?,
            imap: addr_if(&self.imap)?,
            imaps: addr_if(&self.imaps)?,
            pop3: addr_if(&self.pop3)?,
            pop3s: addr_if(&self.pop3s)?,
            web: addr_if(&self.web)?,
        })
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
        let listener = match self.config.lifecycle.as_ref().and_then(|l| l.webhook.as_ref()) {
            Some(w) => Some(
                TcpListener::bind(w.listen)
                    .await
                    .with_context(|| format!("cannot listen on {} (payment webhook)", w.listen))?,
            ),
            None => None,
        };
        self.start_lifecycle_on(data, listener, shutdown).await
    }

    /// [`Provider::start_lifecycle`] with the webhook's listener bound already
    /// (`certa demo --free-ports` binds it first, so that no one takes its port).
    pub async fn start_lifecycle_on(
        &self,
        data: &Path,
        webhook: Option<TcpListener>,
        shutdown: CancellationToken,
    ) -> Result<(Option<SocketAddr>, tokio::task::JoinHandle<()>)> {
        let settings = self.config.lifecycle.clone().unwrap_or_default();
        let webhook = match (&settings.webhook, webhook) {
            (Some(w), Some(listener)) => {
                let secret = w.secret(data)?;
                let (addr, join) = web::webhook::spawn(
                    listener,
                    self.tls.clone(),
                    self.engine.clone(),
                    secret,
                    shutdown.clone(),
                )
                .await
                .with_context(|| format!("cannot start the payment webhook on {}", w.listen))?;
                Some((addr, join))
            }
            _ => None,
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
