//! `certa mailbox add|list|show|status|password|two-factor-off|export|import`: the provider's mailboxes.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use office::mailboxes::{self, NewMailbox};
use store::mailboxes::{DEFAULT_QUOTA, Status};

use super::{DataArgs, OnCommandLine, print_json};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Create a mailbox; the password is read from standard input unless --password is given.
    Add {
        /// The mailbox's address.
        address: String,
        /// The password (at least 8 characters); read from standard input when not given.
        #[arg(long)]
        password: Option<String>,
        /// Quota in bytes (default 1 GB).
        #[arg(long, default_value_t = DEFAULT_QUOTA)]
        quota: i64,
        #[command(flatten)]
        data: DataArgs,
    },
    /// The mailboxes: address, status, usage and quota.
    List {
        /// Print the list as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// The messages of a mailbox, folder by folder, with their PEC kind.
    Show {
        /// The mailbox's address.
        address: String,
        /// Print the mailbox and its messages as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Set a mailbox active, suspended, receive-only or closed.
    Status {
        /// The mailbox's address.
        address: String,
        /// active, suspended, receive-only or closed.
        status: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Set a mailbox's password, read from standard input unless --password is given.
    Password {
        /// The mailbox's address.
        address: String,
        /// The password (at least 8 characters); read from standard input when not given.
        #[arg(long)]
        password: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Turn two-factor login off for a holder who lost the authenticator and the
    /// recovery codes (check who is asking first): the password alone opens the
    /// webmail, IMAP, POP3 and SMTP again. App passwords stay.
    TwoFactorOff {
        /// The mailbox's address.
        address: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Save a whole mailbox (every folder, receipts included) to one .tar.gz: a Maildir++
    /// tree, a manifest for `certa mailbox import`, and an index of sent messages and
    /// their receipts. Works whatever the mailbox's status.
    Export {
        /// The mailbox's address.
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
        /// The mailbox's address.
        address: String,
        /// The archive to read (.tar.gz).
        #[arg(long)]
        from: PathBuf,
        #[command(flatten)]
        data: DataArgs,
    },
}

const NAMES: &[(&str, &str)] = &[("address", "ADDRESS"), ("status", "STATUS")];

pub async fn run(cmd: Command) -> Result<ExitCode> {
    match cmd {
        Command::Add {
            address,
            password: given,
            quota,
            data,
        } => {
            let password = super::password(given)?;
            let office = data.office().await?;
            let new = NewMailbox {
                address: &address,
                password: &password,
                quota_bytes: quota,
            };
            let m = mailboxes::add_mailbox(&office, &new).await.named(NAMES)?;
            println!("mailbox {} created (quota {} bytes)", m.address, m.quota_bytes);
        }
        Command::List { json, data } => {
            let office = data.office().await?;
            let list = mailboxes::list(&office).await.named(NAMES)?;
            if json {
                print_json(&list)?;
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
        Command::Show { address, json, data } => {
            let office = data.office().await?;
            let contents = mailboxes::show(&office, &address).await.named(NAMES)?;
            if json {
                print_json(&contents)?;
            } else {
                let m = &contents.mailbox;
                println!(
                    "{} ({}), {} messages",
                    m.address,
                    m.status.as_str(),
                    contents.messages.len()
                );
                for entry in &contents.messages {
                    let msg = &entry.message;
                    println!(
                        "{:<8} uid {:<5} {:<26} {:>8} bytes  {}",
                        entry.folder,
                        msg.uid,
                        msg.pec_kind.as_deref().unwrap_or("-"),
                        msg.size,
                        msg.identificativo.as_deref().unwrap_or("")
                    );
                }
            }
        }
        Command::Status { address, status, data } => {
            let status = Status::parse(&status)?;
            let office = data.office().await?;
            let change = mailboxes::set_status(&office, &address, status).await.named(NAMES)?;
            println!("{} is now {}", change.address, change.status.as_str());
            for m in &change.flagged {
                println!(
                    "flagged as no longer valid on member {} of Order {}",
                    m.codice_fiscale, m.order
                );
            }
        }
        Command::Password {
            address,
            password: given,
            data,
        } => {
            let password = super::password(given)?;
            let office = data.office().await?;
            mailboxes::set_password(&office, &address, &password)
                .await
                .named(NAMES)?;
            println!("password of {address} changed");
        }
        Command::TwoFactorOff { address, data } => {
            let office = data.office().await?;
            if office::security::turn_off_for_holder(&office, &address)
                .await
                .named(NAMES)?
            {
                println!("two-factor login of {address} turned off");
            } else {
                println!("two-factor login of {address} was not on");
            }
        }
        Command::Export {
            address,
            to,
            force,
            data,
        } => {
            let office = data.office().await?;
            let s = match office::archive::export(&office, &address, &to, force).await {
                Err(e) if e.field() == Some("force") => {
                    anyhow::bail!("{}: use --force to replace it", e.reason())
                }
                done => done.named(NAMES)?,
            };
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
        Command::Import { address, from, data } => {
            let office = data.office().await?;
            let s = office::archive::import(&office, &address, &from).await.named(NAMES)?;
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
