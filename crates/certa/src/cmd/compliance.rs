//! `certa compliance report|warn|due`: the PEC duty of DL 185/2008 art. 16
//! c.7-bis: members without a valid PEC are warned (diffida), given 30 days,
//! then listed for suspension; a member who communicates an address is restored
//! (`certa member set-pec`). The cycle is the office's
//! (`office::registry::{compliance, campaign}`); this file parses and prints.

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use office::registry::campaign::{self, Campaign, CampaignReport, PecDiffide, SentDiffida};
use office::registry::compliance::{self, ComplianceReport};
use registry::compliance::DiffidaChannel;

use super::{DataArgs, OnCommandLine, print_json};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Who lacks a valid PEC, is due a warning, is warned, is to be suspended, is restored.
    Report {
        /// The Order's code (see `certa order list`).
        #[arg(long)]
        order: String,
        /// The day to assess (default today).
        #[arg(long)]
        date: Option<NaiveDate>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// The warning campaign: every member due a diffida gets one, by PEC to the address
    /// on file or by letter (written to --letters). The PEC goes through this
    /// installation from the Order's mailbox when it is one of its mailboxes;
    /// with --messages the texts are written there instead, for the Order to send.
    Warn {
        /// The Order's code (see `certa order list`).
        #[arg(long)]
        order: String,
        /// The campaign's day (default today); a diffida sent through this
        /// installation is dated by its acceptance, so only today.
        #[arg(long)]
        date: Option<NaiveDate>,
        /// Write the PEC messages' texts to this file instead of sending them.
        #[arg(long)]
        messages: Option<PathBuf>,
        /// Where to write the printable letters, for members without any PEC.
        #[arg(long)]
        letters: Option<PathBuf>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// The members to suspend: warned more than 30 days ago, still without a valid PEC.
    Due {
        /// The Order's code (see `certa order list`).
        #[arg(long)]
        order: String,
        /// The day to assess (default today).
        #[arg(long)]
        date: Option<NaiveDate>,
        /// Suspend them now (status suspended, step recorded).
        #[arg(long)]
        suspend: bool,
        /// Print the members to suspend as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataArgs,
    },
}

/// `--date` shown with its value, as the messages about it always were.
fn date_name(date: Option<NaiveDate>) -> String {
    date.map_or_else(|| "--date".to_owned(), |d| format!("--date {d}"))
}

pub async fn run(cmd: Command) -> Result<ExitCode> {
    match cmd {
        Command::Report {
            order,
            date,
            json,
            data,
        } => {
            let office = data.office().await?;
            let report = compliance::report(&office, &order, date)
                .await
                .named(&[("date", &date_name(date))])?;
            office.close().await;
            if json {
                print_json(&serde_json::to_value(&report)?)?;
            } else {
                print_report(&report);
            }
        }
        Command::Warn {
            order,
            date,
            messages,
            letters,
            data,
        } => return warn(&order, date, messages.as_deref(), letters.as_deref(), &data).await,
        Command::Due {
            order,
            date,
            suspend,
            json,
            data,
        } => {
            let office = data.office().await?;
            let due = compliance::due(&office, &order, date, suspend)
                .await
                .named(&[("date", &date_name(date))])?;
            office.close().await;
            if json {
                print_json(&serde_json::to_value(&due.members)?)?;
            } else {
                for m in &due.members {
                    println!(
                        "{:<16}  {} {}  deadline {}",
                        m.codice_fiscale.as_str(),
                        m.surname,
                        m.name,
                        m.deadline
                    );
                }
                let verb = if due.suspended { "suspended" } else { "to suspend" };
                println!("{}: {} {verb} on {}", due.order, due.members.len(), due.date);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A file the campaign writes to, opened before the campaign records anything
/// (a path that cannot be written stops it while nothing is done), and written
/// once it is done: a campaign refused leaves the file as it was.
struct Output<'a> {
    flag: &'static str,
    path: &'a Path,
    file: File,
    /// Made by this run: removed if the campaign is refused.
    created: bool,
}

impl<'a> Output<'a> {
    fn open(flag: &'static str, path: Option<&'a Path>) -> Result<Option<Output<'a>>> {
        let Some(path) = path else {
            return Ok(None);
        };
        let created = !path.exists();
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .with_context(|| format!("{flag}: cannot write {}", path.display()))?;
        Ok(Some(Output {
            flag,
            path,
            file,
            created,
        }))
    }

    fn write(mut self, text: &str) -> Result<()> {
        self.file
            .set_len(0)
            .and_then(|()| self.file.write_all(text.as_bytes()))
            .with_context(|| format!("{}: cannot write {}", self.flag, self.path.display()))
    }

    fn abandon(self) {
        if self.created {
            let _ = std::fs::remove_file(self.path);
        }
    }
}

async fn warn(
    order: &str,
    date: Option<NaiveDate>,
    messages: Option<&Path>,
    letters: Option<&Path>,
    data: &DataArgs,
) -> Result<ExitCode> {
    let campaign = Campaign {
        order,
        date,
        pec: if messages.is_some() {
            PecDiffide::Texts
        } else {
            PecDiffide::Send
        },
        letters: letters.is_some(),
    };
    let office = data.office().await?;
    let letters_out = Output::open("--letters", letters)?;
    let messages_out = Output::open("--messages", messages)?;
    let mut print_sent = |s: &SentDiffida| {
        println!(
            "{}: diffida sent by PEC to {} ({})",
            s.codice_fiscale.as_str(),
            s.address,
            s.identificativo
        );
    };
    let done = campaign::warn(&office, &campaign, &mut print_sent).await;
    office.close().await;
    let report = match done {
        Ok(report) => report,
        Err(e) => {
            letters_out.into_iter().chain(messages_out).for_each(Output::abandon);
            return Err(e).named(&[("date", &date_name(date))]);
        }
    };
    if let Some(out) = letters_out {
        out.write(&report.letters)?;
    }
    if let Some(out) = messages_out {
        out.write(report.messages.as_deref().unwrap_or_default())?;
    }
    if let Some(stop) = &report.interrupted {
        bail!("{}", interruption(&report, stop));
    }
    println!(
        "{}: {} warned by PEC, {} by letter on {}",
        report.order,
        report.warned_by_pec(),
        report.by_letter,
        report.date
    );
    Ok(ExitCode::SUCCESS)
}

fn interruption(report: &CampaignReport, stop: &campaign::Interruption) -> String {
    let what = if stop.refused {
        "was refused"
    } else {
        "could not be sent"
    };
    format!(
        "{} of {} diffide sent by PEC; the one to {} <{}> {what}: {}. \
         The ones sent are recorded: run the campaign again to go on",
        report.sent.len(),
        report.by_pec,
        stop.codice_fiscale.as_str(),
        stop.address,
        stop.reason
    )
}

fn print_report(r: &ComplianceReport) {
    let (on, report) = (r.date, &r.report);
    println!("Order {}, {on}:", r.order);
    println!("  without a valid PEC   {}", report.without_valid_pec.len());
    println!("  diffida due           {}", report.diffida_due.len());
    println!("  warned, term running  {}", report.warned.len());
    println!("  to suspend            {}", report.to_suspend.len());
    println!("  suspended             {}", report.suspended.len());
    println!("  restored              {}", report.restored.len());
    for (cf, c) in &report.diffida_due {
        let how = match c {
            DiffidaChannel::Pec(a) => format!("by PEC to {a}"),
            DiffidaChannel::Letter => "by letter".into(),
        };
        println!("  diffida due   {} {how}", cf.as_str());
    }
    for (cf, d) in &report.warned {
        println!("  warned        {} until {d}", cf.as_str());
    }
    for (cf, d) in &report.to_suspend {
        println!("  to suspend    {} (deadline {d})", cf.as_str());
    }
    for cf in &report.suspended {
        println!("  suspended     {}", cf.as_str());
    }
}
