//! The listener: one task per connection, and a graceful stop.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::{Auth, ServerConfig, session};

/// A running listener.
#[derive(Debug)]
pub struct ServerHandle {
    /// The bound address (the real port when 0 was asked for).
    pub local_addr: SocketAddr,
    /// Ends once the listener has stopped and its sessions have finished (or been cut off
    /// after [`SHUTDOWN_GRACE`]).
    pub join: JoinHandle<()>,
}

/// How long sessions may go on after shutdown before they are cut off. Sessions waiting for a
/// command (or in IDLE) get `* BYE` at once; this bounds the ones in the middle of one.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Binds `addr` and serves until `shutdown` is cancelled.
pub async fn spawn<A: Auth>(
    addr: SocketAddr,
    config: ServerConfig,
    auth: Arc<A>,
    store: store::Store,
    shutdown: CancellationToken,
) -> io::Result<ServerHandle> {
    spawn_on(TcpListener::bind(addr).await?, config, auth, store, shutdown).await
}

/// Serves on a listener bound already (so that its port is known before the server starts)
/// until `shutdown` is cancelled.
pub async fn spawn_on<A: Auth>(
    listener: TcpListener,
    config: ServerConfig,
    auth: Arc<A>,
    store: store::Store,
    shutdown: CancellationToken,
) -> io::Result<ServerHandle> {
    let local_addr = listener.local_addr()?;
    tracing::info!(%local_addr, implicit_tls = config.implicit_tls, "IMAP listener started");
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
    starttls::serve_sessions(listener, shutdown.clone(), SHUTDOWN_GRACE, "IMAP", |tcp, peer| {
        session::run(tcp, peer, config.clone(), auth.clone(), store.clone(), shutdown.clone())
    })
    .await;
}
