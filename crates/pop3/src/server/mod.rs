//! The listener: accepts connections and runs one [`connection`] each, which drives the
//! [`crate::protocol::Session`] and reaches the store through [`inbox`].

mod connection;
mod inbox;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::Auth;

/// How a listener behaves.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Certificate and key, for STLS or implicit TLS. Logins need TLS, so it is not optional.
    pub tls: Arc<rustls::ServerConfig>,
    /// TLS handshake before the greeting (RFC 8314 3.3, port 995); otherwise STLS (port 110).
    pub implicit_tls: bool,
    /// Our name in the greeting.
    pub hostname: String,
    /// RFC 1939 3: the autologout timer, at least 10 minutes. On expiry the connection is
    /// closed without a response and without removing anything.
    pub idle_timeout: Duration,
    /// "Now" for the blob references the deletions give back (the provider's clock:
    /// nothing reads the system time directly).
    pub clock: Arc<dyn store::Clock>,
}

impl ServerConfig {
    /// STLS, with the 10-minute autologout timer of RFC 1939 3.
    pub fn new(tls: Arc<rustls::ServerConfig>, hostname: impl Into<String>) -> ServerConfig {
        ServerConfig {
            tls,
            implicit_tls: false,
            hostname: hostname.into(),
            idle_timeout: Duration::from_secs(10 * 60),
            clock: Arc::new(store::SystemClock),
        }
    }
}

/// A running listener.
#[derive(Debug)]
pub struct ServerHandle {
    /// The bound address (the real port when 0 was asked for).
    pub local_addr: SocketAddr,
    /// Ends once the listener has stopped and its sessions have finished (or been cut
    /// off after [`SHUTDOWN_GRACE`]).
    pub join: JoinHandle<()>,
}

/// How long sessions may go on after shutdown before they are cut off. Sessions waiting
/// for a command are told `-ERR [SYS/TEMP]` and closed at once, without UPDATE.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Binds `addr` and serves the INBOXes of `store` until `shutdown` is cancelled.
pub async fn spawn<A: Auth>(
    addr: SocketAddr,
    config: ServerConfig,
    auth: Arc<A>,
    store: store::Store,
    shutdown: CancellationToken,
) -> io::Result<ServerHandle> {
    spawn_on(TcpListener::bind(addr).await?, config, auth, store, shutdown).await
}

/// Serves the INBOXes of `store` on a listener bound already (so that its port is known
/// before the server starts) until `shutdown` is cancelled.
pub async fn spawn_on<A: Auth>(
    listener: TcpListener,
    config: ServerConfig,
    auth: Arc<A>,
    store: store::Store,
    shutdown: CancellationToken,
) -> io::Result<ServerHandle> {
    let local_addr = listener.local_addr()?;
    tracing::info!(%local_addr, implicit_tls = config.implicit_tls, "POP3 listener started");
    let join = tokio::spawn(serve(listener, Arc::new(config), auth, store, shutdown));
    Ok(ServerHandle { local_addr, join })
}

async fn serve<A: Auth>(
    listener: TcpListener,
    config: Arc<ServerConfig>,
    auth: Arc<A>,
    store: store::Store,
    shutdown: CancellationToken,
) {
    starttls::serve_sessions(listener, shutdown.clone(), SHUTDOWN_GRACE, "POP3", |tcp, peer| {
        let context = connection::Context {
            config: config.clone(),
            auth: auth.clone(),
            store: store.clone(),
            shutdown: shutdown.clone(),
        };
        connection::run(tcp, peer, context)
    })
    .await;
}
