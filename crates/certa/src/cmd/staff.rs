//! `certa staff add|list|password|second-factor|disable|enable|grant|withdraw|audit`:
//! the consoles' people (the provider's operators, Orders' secretariats) and
//! the audit trail of what they did.

use std::process::ExitCode;

use anyhow::Result;
use chrono::{TimeZone, Utc};
use chrono_tz::Europe::Rome;
use office::staff::{self, AuditQuery, NewAccount, Role, SecondFactor};

use super::{DataArgs, OnCommandLine, print_json};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Create a staff account; prints its TOTP key once (mandatory second
    /// factor). The password is read from standard input unless --password is given.
    Add {
        /// The login, e.g. anna.bianchi.
        login: String,
        /// operator (all of this installation) or secretariat (the Orders of --order).
        #[arg(long)]
        role: String,
        /// The person's name, as the audit trail shows it.
        #[arg(long)]
        name: String,
        /// An Order a secretariat works for (repeat for several).
        #[arg(long = "order")]
        orders: Vec<String>,
        /// The password (at least 12 characters); read from standard input when not given.
        #[arg(long)]
        password: Option<String>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// The staff accounts.
    List {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Set a staff account's password (read from standard input unless
    /// --password is given); its sessions end.
    Password {
        login: String,
        #[arg(long)]
        password: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// A new TOTP key for a staff account (a lost phone): prints it once; the
    /// old one stops working and its sessions end.
    SecondFactor {
        login: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Disable a staff account; its sessions end at once.
    Disable {
        login: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Enable a disabled staff account again.
    Enable {
        login: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Let a secretariat work for one more Order.
    Grant {
        login: String,
        #[arg(long)]
        order: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Take an Order away from a secretariat.
    Withdraw {
        login: String,
        #[arg(long)]
        order: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// The audit trail, newest first: who did what, when, through which front end.
    Audit {
        /// One staff login's actions only.
        #[arg(long)]
        actor: Option<String>,
        /// One Order's actions only.
        #[arg(long)]
        order: Option<String>,
        /// One action only (e.g. member.set-pec, login).
        #[arg(long)]
        action: Option<String>,
        /// At most this many entries.
        #[arg(long, default_value_t = 100)]
        limit: i64,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataArgs,
    },
}

const NAMES: &[(&str, &str)] = &[("login", "LOGIN")];

fn print_factor(f: &SecondFactor) {
    println!(
        "second factor of {} (shown once: scan or type it into an authenticator app):",
        f.login
    );
    println!("  key: {}", f.secret);
    println!("  uri: {}", f.uri);
}

pub async fn run(cmd: Command) -> Result<ExitCode> {
    match cmd {
        Command::Add {
            login,
            role,
            name,
            orders,
            password,
            json,
            data,
        } => {
            let role = Role::parse(&role).named(NAMES)?;
            let password = super::password(password)?;
            let office = data.office().await?;
            let new = NewAccount {
                login,
                name,
                role,
                password,
                orders,
            };
            let factor = staff::create(&office, &new).await.named(NAMES)?;
            staff::audit_cli(&office, "staff.add", &factor.login, role.as_str())
                .await
                .named(NAMES)?;
            if json {
                print_json(&factor)?;
            } else {
                println!("staff account {} ({}) created", factor.login, role.as_str());
                print_factor(&factor);
            }
        }
        Command::List { json, data } => {
            let office = data.office().await?;
            let all = staff::list(&office).await.named(NAMES)?;
            if json {
                print_json(&all)?;
            } else {
                for a in all {
                    let state = if a.disabled { " (disabled)" } else { "" };
                    println!(
                        "{}\t{}\t{}\t{}{state}",
                        a.login,
                        a.role.as_str(),
                        a.name,
                        a.orders.join(",")
                    );
                }
            }
        }
        Command::Password { login, password, data } => {
            let password = super::password(password)?;
            let office = data.office().await?;
            staff::set_password(&office, &login, &password).await.named(NAMES)?;
            staff::audit_cli(&office, "staff.password", &login, "")
                .await
                .named(NAMES)?;
            println!("password of {login} set; its sessions ended");
        }
        Command::SecondFactor { login, json, data } => {
            let office = data.office().await?;
            let factor = staff::reset_second_factor(&office, &login).await.named(NAMES)?;
            staff::audit_cli(&office, "staff.second-factor", &factor.login, "")
                .await
                .named(NAMES)?;
            if json {
                print_json(&factor)?;
            } else {
                print_factor(&factor);
            }
        }
        Command::Disable { login, data } => {
            let office = data.office().await?;
            staff::set_disabled(&office, &login, true).await.named(NAMES)?;
            staff::audit_cli(&office, "staff.disable", &login, "")
                .await
                .named(NAMES)?;
            println!("{login} disabled; its sessions ended");
        }
        Command::Enable { login, data } => {
            let office = data.office().await?;
            staff::set_disabled(&office, &login, false).await.named(NAMES)?;
            staff::audit_cli(&office, "staff.enable", &login, "")
                .await
                .named(NAMES)?;
            println!("{login} enabled");
        }
        Command::Grant { login, order, data } => {
            let office = data.office().await?;
            staff::grant(&office, &login, &order, true).await.named(NAMES)?;
            staff::audit_cli(&office, "staff.grant", &login, &order)
                .await
                .named(NAMES)?;
            println!("{login} works for {order}");
        }
        Command::Withdraw { login, order, data } => {
            let office = data.office().await?;
            staff::grant(&office, &login, &order, false).await.named(NAMES)?;
            staff::audit_cli(&office, "staff.withdraw", &login, &order)
                .await
                .named(NAMES)?;
            println!("{login} no longer works for {order}");
        }
        Command::Audit {
            actor,
            order,
            action,
            limit,
            json,
            data,
        } => {
            let office = data.office().await?;
            let q = AuditQuery {
                actor,
                order,
                action,
                limit,
                ..AuditQuery::default()
            };
            let entries = staff::audit_trail(&office, None, &q).await.named(NAMES)?;
            if json {
                print_json(&entries)?;
            } else {
                for e in entries {
                    let when = Utc
                        .timestamp_millis_opt(e.at)
                        .single()
                        .map(|t| t.with_timezone(&Rome).format("%Y-%m-%d %H:%M:%S").to_string())
                        .unwrap_or_default();
                    let order = e.order.as_deref().unwrap_or("-");
                    println!(
                        "{when}\t{}\t{}\t{}\t{}\t{order}\t{}\t{}",
                        e.actor, e.role, e.via, e.action, e.subject, e.detail
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
