//! `certa domain ...` and `certa mailbox ...`: the provider's domains and mailboxes.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use store::Store;
use store::mailboxes::{self, Status};

/// Where the provider's data is.
#[derive(clap::Args, Clone)]
pub struct DataArgs {
    #[arg(long, env = "CERTA_DATA", default_value = "certa-data")]
    pub data: PathBuf,
    #[arg(long, env = "CERTA_DATABASE")]
    pub database: Option<String>,
}

impl DataArgs {
    pub async fn store(&self) -> Result<Store> {
        let config = crate::provider::ProviderConfig::load(&self.data)?;
        let store = Store::open(self.database.as_deref().or(config.database.as_deref()), &self.data)
            .await
            .context("cannot open the store")?;
        // The provider's own domain hosts mailboxes from the start.
        mailboxes::add_domain(
            &mut *store.conn().await?,
            &config.domain,
            store::millis(chrono::Utc::now()),
        )
        .await?;
        Ok(store)
    }
}

#[derive(clap::Subcommand)]
pub enum DomainCommand {
    /// Host mailboxes of another domain on this provider.
    Add {
        domain: String,
        #[command(flatten)]
        data: DataArgs,
    },
    List {
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(clap::Subcommand)]
pub enum MailboxCommand {
    /// Create a mailbox; the password is read from standard input unless --password is given.
    Add {
        address: String,
        #[arg(long)]
        password: Option<String>,
        /// Quota in bytes (default 1 GB).
        #[arg(long, default_value_t = mailboxes::DEFAULT_QUOTA)]
        quota: i64,
        #[command(flatten)]
        data: DataArgs,
    },
    List {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// The messages of a mailbox, folder by folder, with their PEC kind.
    Show {
        address: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Set a mailbox active, suspended or closed.
    Status {
        address: String,
        status: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Save a whole mailbox (every folder, receipts included) to one .tar.gz: a Maildir++
    /// tree, a manifest for `certa mailbox import`, and an index of sent messages and
    /// their receipts. Works whatever the mailbox's status.
    Export {
        address: String,
        /// The archive to write (.tar.gz).
        #[arg(long)]
        to: PathBuf,
        /// Replace the file if it exists.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Load an archive written by `certa mailbox export` into an existing, empty mailbox
    /// (create it with `certa mailbox add`): all of it or, on any problem, nothing. The
    /// quota is not enforced on import; the usage is reported.
    Import {
        address: String,
        /// The archive to read (.tar.gz).
        #[arg(long)]
        from: PathBuf,
        #[command(flatten)]
        data: DataArgs,
    },
}

pub async fn domain(cmd: DomainCommand) -> Result<ExitCode> {
    match cmd {
        DomainCommand::Add { domain, data } => {
            let store = data.store().await?;
            let mut c = store.conn().await?;
            mailboxes::add_domain(&mut c, &domain, store::millis(chrono::Utc::now())).await?;
            println!("domain {domain} added");
        }
        DomainCommand::List { data } => {
            let store = data.store().await?;
            for d in mailboxes::domains(&mut *store.conn().await?).await? {
                println!("{d}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn mailbox(cmd: MailboxCommand) -> Result<ExitCode> {
    match cmd {
        MailboxCommand::Add {
            address,
            password,
            quota,
            data,
        } => {
            let password = match password {
                Some(p) => p,
                None => {
                    let mut line = String::new();
                    std::io::stdin()
                        .lock()
                        .read_line(&mut line)
                        .context("cannot read the password from standard input")?;
                    line.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            let store = data.store().await?;
            let mut tx = store.begin().await?;
            let m = mailboxes::create(&mut tx, &address, &password, quota, store::millis(chrono::Utc::now())).await?;
            tx.commit().await?;
            println!("mailbox {} created (quota {} bytes)", m.address, m.quota_bytes);
        }
        MailboxCommand::List { json, data } => {
            let store = data.store().await?;
            let list = mailboxes::list(&mut *store.conn().await?).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for m in list {
                    println!(
                        "{:<40} {:<10} {:>12} / {} bytes",
                        m.address,
                        m.status.as_str(),
                        m.used_bytes,
                        m.quota_bytes
                    );
                }
            }
        }
        MailboxCommand::Show { address, json, data } => {
            let store = data.store().await?;
            let mut c = store.conn().await?;
            let Some(m) = mailboxes::get(&mut c, &address).await? else {
                bail!("no mailbox {address} on this provider");
            };
            let messages = store::messages::list_mailbox(&mut c, m.id).await?;
            if json {
                let rows: Vec<serde_json::Value> = messages
                    .iter()
                    .map(|(folder, msg)| serde_json::json!({"folder": folder, "message": msg}))
                    .collect();
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({"mailbox": m, "messages": rows}))?
                );
            } else {
                println!("{} ({}), {} messages", m.address, m.status.as_str(), messages.len());
                for (folder, msg) in messages {
                    println!(
                        "{folder:<8} uid {:<5} {:<26} {:>8} bytes  {}",
                        msg.uid,
                        msg.pec_kind.as_deref().unwrap_or("-"),
                        msg.size,
                        msg.identificativo.as_deref().unwrap_or("")
                    );
                }
            }
        }
        MailboxCommand::Status { address, status, data } => {
            let status = Status::parse(&status)?;
            let store = data.store().await?;
            let mut tx = store.begin().await?;
            mailboxes::set_status(&mut tx, &address, status).await?;
            // A closed box can no longer receive: flagged on the members who communicated it.
            let flagged = if status == Status::Closed {
                let day = super::member::today();
                let flag = format!("mailbox {address} of this provider closed by the operator on {day}");
                store::registry::flag_address(&mut tx, &address, &flag).await?
            } else {
                Vec::new()
            };
            tx.commit().await?;
            println!("{address} is now {}", status.as_str());
            for (_, order, cf) in flagged {
                println!("flagged as no longer valid on member {cf} of Order {order}");
            }
        }
        MailboxCommand::Export {
            address,
            to,
            force,
            data,
        } => {
            let store = data.store().await?;
            let s = crate::archive::export(&store, &address, &to, force).await?;
            println!(
                "{} exported to {}: {} folders, {} messages, {} bytes; index of sent messages: {} {}",
                s.address,
                s.path.display(),
                s.folders,
                s.messages,
                s.bytes,
                s.sent,
                if s.sent == 1 { "row" } else { "rows" }
            );
        }
        MailboxCommand::Import { address, from, data } => {
            let store = data.store().await?;
            let s = crate::archive::import(&store, &address, &from).await?;
            println!(
                "{} imported into {}: {} folders ({} created), {} messages, {} bytes",
                s.exported_from, s.address, s.folders, s.created_folders, s.messages, s.bytes
            );
            let over = if s.used_bytes > s.quota_bytes {
                ": over quota, it will refuse new mail"
            } else {
                ""
            };
            println!("usage now {} of {} bytes{over}", s.used_bytes, s.quota_bytes);
        }
    }
    Ok(ExitCode::SUCCESS)
}
