//! `certa member import|show|list|set-pec`: an Order's roll. An import is one
//! transaction (never half a file); a communicated PEC is checked and kept with
//! its history, exactly one official.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use chrono::NaiveDate;
use office::registry::import::{self, ImportProgress, Outcome, PROGRESS_EVERY, RollFile};
use office::registry::members::{self, CommunicatedPec, Filter, MemberShown};
use office::registry::pec_checker::CheckLists;
use office::registry::stored::tag;
use registry::MemberStatus;
use registry::model::Channel;

use super::{DataArgs, OnCommandLine, print_json, read_file};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Import a roll (CSV or an Excel .xlsx workbook's first sheet: codice fiscale,
    /// cognome, nome, and optional columns; see crates/registry/src/roll). Every row
    /// is reported: imported, updated, unchanged or rejected with its reasons, with
    /// the warnings of the PEC checks. All or nothing: one transaction.
    Import {
        /// The roll: a CSV file, or an Excel .xlsx workbook.
        file: PathBuf,
        /// The Order's code (see `certa order list`).
        #[arg(long)]
        order: String,
        /// The day PEC addresses in the file count as communicated (default today).
        #[arg(long)]
        date: Option<NaiveDate>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        lists: CheckListArgs,
        #[command(flatten)]
        data: DataArgs,
    },
    /// A member: data, PEC addresses with their history, compliance steps.
    Show {
        /// The member's codice fiscale.
        codice_fiscale: String,
        /// The Order's code (see `certa order list`).
        #[arg(long)]
        order: String,
        /// Print the member as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// The Order's members: codice fiscale, name, status, CTU, official PEC.
    List {
        /// The Order's code (see `certa order list`).
        #[arg(long)]
        order: String,
        /// Only the members in this status: active, suspended, struck-off or cancelled.
        #[arg(long)]
        status: Option<String>,
        /// Only the court experts (CTU).
        #[arg(long)]
        ctu: bool,
        /// Print the list as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Record the PEC address a member communicated; it becomes the official one
    /// (the one before is kept in the history). Warnings are printed, never refused.
    SetPec {
        /// The member's codice fiscale.
        codice_fiscale: String,
        /// The PEC address communicated.
        address: String,
        /// The Order's code (see `certa order list`).
        #[arg(long)]
        order: String,
        /// How the member communicated it.
        #[arg(long, value_enum)]
        channel: ChannelArg,
        /// The day the Order received it (default today).
        #[arg(long)]
        date: Option<NaiveDate>,
        #[command(flatten)]
        lists: CheckListArgs,
        #[command(flatten)]
        data: DataArgs,
    },
}

/// What the PEC checks compare against, besides this installation's domains and
/// the provider index's.
#[derive(clap::Args, Clone, Default)]
pub struct CheckListArgs {
    /// A PEC provider's domain besides this installation's and the provider index's (repeatable).
    #[arg(long = "provider-domain")]
    provider_domains: Vec<String>,
    /// An employer's institutional domain, whose PEC does not count (repeatable).
    #[arg(long = "institutional-domain")]
    institutional_domains: Vec<String>,
}

impl From<CheckListArgs> for CheckLists {
    fn from(a: CheckListArgs) -> CheckLists {
        CheckLists {
            provider_domains: a.provider_domains,
            institutional_domains: a.institutional_domains,
        }
    }
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ChannelArg {
    /// The Order's reserved area.
    ReservedArea,
    /// A PEC message to the Order.
    Pec,
    /// A letter or a form on paper.
    Paper,
}

impl From<ChannelArg> for Channel {
    fn from(c: ChannelArg) -> Channel {
        match c {
            ChannelArg::ReservedArea => Channel::ReservedArea,
            ChannelArg::Pec => Channel::Pec,
            ChannelArg::Paper => Channel::Paper,
        }
    }
}

const NAMES: &[(&str, &str)] = &[("codice_fiscale", "CODICE_FISCALE"), ("address", "ADDRESS")];

pub async fn run(cmd: Command) -> Result<ExitCode> {
    match cmd {
        Command::Import {
            file,
            order,
            date,
            json,
            lists,
            data,
        } => {
            let bytes = read_file(&file)?;
            let shown = file.display().to_string();
            let lists = lists.into();
            let roll = RollFile {
                order: &order,
                bytes: &bytes,
                date,
                lists: &lists,
            };
            let office = data.office().await?;
            let mut progress = |p: ImportProgress| {
                if p.done.is_multiple_of(PROGRESS_EVERY) {
                    eprintln!("{shown}: {} of {} rows", p.done, p.total);
                }
            };
            let report = import::import(&office, &roll, &mut progress)
                .await
                .named(&[("file", &shown)])?;
            office.close().await;
            if json {
                print_json(&serde_json::to_value(&report)?)?;
            } else {
                for r in report.rows.iter().filter(|r| r.outcome != Outcome::Unchanged) {
                    let cf = r.codice_fiscale.as_deref().unwrap_or("-");
                    let mut notes = r.reasons.clone();
                    notes.extend(r.warnings.iter().map(|w| format!("warning: {w}")));
                    println!(
                        "line {:>6}  {:<16}  {:<9} {}",
                        r.line,
                        cf,
                        r.outcome.as_str(),
                        notes.join("; ")
                    );
                }
                println!(
                    "{} imported, {} updated, {} unchanged, {} rejected",
                    report.imported, report.updated, report.unchanged, report.rejected
                );
            }
        }
        Command::Show {
            codice_fiscale,
            order,
            json,
            data,
        } => {
            let office = data.office().await?;
            let shown = members::show(&office, &order, &codice_fiscale).await.named(NAMES)?;
            if json {
                print_json(&serde_json::to_value(&shown)?)?;
            } else {
                print_member(&shown)?;
            }
        }
        Command::List {
            order,
            status,
            ctu,
            json,
            data,
        } => {
            let status = match status {
                Some(s) => match serde_json::from_value::<MemberStatus>(serde_json::Value::String(s.clone())) {
                    Ok(status) => Some(status),
                    Err(_) => bail!("--status {s:?}: one of active, suspended, struck-off, cancelled"),
                },
                None => None,
            };
            let office = data.office().await?;
            let list = members::list(&office, &order, Filter { status, ctu })
                .await
                .named(NAMES)?;
            if json {
                print_json(&serde_json::to_value(&list)?)?;
            } else {
                for m in &list {
                    println!(
                        "{:<16}  {:<24} {:<10} {:<3} {}",
                        m.member.codice_fiscale.as_str(),
                        format!("{} {}", m.member.surname, m.member.name),
                        m.status,
                        if m.member.ctu { "CTU" } else { "" },
                        m.pec.as_deref().unwrap_or("-")
                    );
                }
                eprintln!("{} members", list.len());
            }
        }
        Command::SetPec {
            codice_fiscale,
            address,
            order,
            channel,
            date,
            lists,
            data,
        } => {
            let lists = lists.into();
            let new = CommunicatedPec {
                order: &order,
                codice_fiscale: &codice_fiscale,
                address: &address,
                channel: channel.into(),
                date,
                lists: &lists,
            };
            let office = data.office().await?;
            let done = members::set_pec(&office, &new).await.named(NAMES)?;
            office.close().await;
            for w in &done.warnings {
                eprintln!("warning: {}: {w}", done.address);
            }
            let cf = done.codice_fiscale.as_str();
            println!(
                "{cf}: official PEC {} communicated {} by {}",
                done.address,
                done.communicated_on,
                tag(&done.channel)
            );
            if let Some(what) = &done.restored {
                println!("{cf}: {what}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_member(shown: &MemberShown) -> Result<()> {
    let member = &shown.member;
    println!(
        "{} {} ({})",
        member.name,
        member.surname,
        member.codice_fiscale.as_str()
    );
    println!(
        "  status        {}{}",
        shown.status,
        if member.ctu { ", court expert (CTU)" } else { "" }
    );
    if let Some(n) = &member.registration_number {
        println!(
            "  registration  {n}{}",
            member.registration_date.map(|d| format!(" of {d}")).unwrap_or_default()
        );
    }
    for p in &shown.pec {
        let mark = if p.official { "official" } else { "        " };
        let superseded = p
            .superseded_on
            .as_deref()
            .map(|d| format!(", superseded {d}"))
            .unwrap_or_default();
        let invalid = match (&p.valid, &p.flag) {
            (true, _) => String::new(),
            (false, Some(why)) => format!(", NOT VALID: {why}"),
            (false, None) => ", NOT VALID".into(),
        };
        println!(
            "  PEC {mark} {} ({} by {}{superseded}{invalid})",
            p.address, p.communicated_on, p.channel
        );
    }
    if shown.pec.is_empty() {
        println!("  PEC           none communicated");
    }
    for s in &shown.steps {
        let message = s.message.as_deref().map(|m| format!(" ({m})")).unwrap_or_default();
        println!("  {}  {} {}{message}", s.on_date, s.kind, s.detail);
    }
    println!(
        "  compliance    {}",
        serde_json::to_value(&shown.compliance)?["state"]
            .as_str()
            .unwrap_or_default()
    );
    Ok(())
}
