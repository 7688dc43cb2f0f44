//! `certa serve`: one provider, until SIGINT or SIGTERM: its SMTP, IMAP and POP3
//! listeners and job workers, the lifecycle's daily machine and the payment webhook.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use smtp::server::CancellationToken;

use crate::provider::{Provider, interrupted};

#[derive(clap::Args)]
pub struct Args {
    /// The provider's data directory (see `certa init`).
    #[arg(long, env = "CERTA_DATA", default_value = "certa-data")]
    pub data: PathBuf,
    /// PostgreSQL instead of the embedded SQLite: postgres://user@host/db.
    #[arg(long, env = "CERTA_DATABASE")]
    pub database: Option<String>,
}

pub async fn run(args: Args) -> Result<ExitCode> {
    let provider = Provider::open(&args.data, args.database.as_deref()).await?;
    let shutdown = CancellationToken::new();
    let (bound, joined) = provider.start(shutdown.clone()).await?;
    let (webhook, lifecycle) = match provider.start_lifecycle(&args.data, shutdown.clone()).await {
        Ok(started) => started,
        Err(e) => {
            shutdown.cancel();
            let _ = joined.await;
            return Err(e);
        }
    };
    println!(
        "{} ({}) serving: submission {} (STARTTLS), {} (TLS); inbound {}; store {}",
        provider.config.name,
        provider.config.domain,
        bound.submission,
        bound.submissions,
        bound.inbound,
        provider.engine.store().describe()
    );
    if let Some(addr) = bound.web {
        println!("webmail: https://{addr}/");
    }
    if let Some(addr) = webhook {
        println!("payment webhook: https://{addr}{}", web::webhook::PATH);
    }
    interrupted().await;
    println!("shutting down");
    shutdown.cancel();
    let _ = tokio::join!(joined, lifecycle);
    provider.engine.store().close().await;
    Ok(ExitCode::SUCCESS)
}
