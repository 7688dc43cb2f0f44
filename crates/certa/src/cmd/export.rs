//! `certa export inipec|reginde|esiti|history`: the files for the national
//! registers (`office::registry::{inipec, reginde, esiti, history}`). Each export
//! is recorded with the state it leaves the register in, so the next delta starts
//! from what was sent (registries.md 1.3, 2.4).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use office::registry::esiti::{self, EsitiReport};
use office::registry::history;
use office::registry::inipec;
use office::registry::reginde::{self, Communication, Month, RegindeReport, Sending};
use pec::smime::Signer;
use registry::inipec::IniPecFormat;

use super::{DataArgs, OnCommandLine, print_json, read_file};

#[derive(clap::Subcommand)]
pub enum Command {
    /// The day's INI-PEC upload file: the changes since the last export, up to now.
    Inipec {
        /// The Order's code (see `certa order list`).
        #[arg(long)]
        order: String,
        /// The day the file is for (default today). A day already exported writes its
        /// recorded file again. A new day's file holds the roll as it is now: a day
        /// to come is refused, and a past day not yet exported gets today's state
        /// (said on standard error): export each day on that day.
        #[arg(long)]
        date: Option<NaiveDate>,
        /// Where to write the CSV (default standard output; nothing is written on a
        /// day without changes).
        #[arg(long)]
        out: Option<PathBuf>,
        /// The file's details (TOML: separator, header, date_format, encoding, line_ending,
        /// [codes] update/insert/delete); default as in crates/registry/src/inipec.md.
        #[arg(long)]
        format: Option<PathBuf>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// The court experts' ComunicazioniSoggetti.xml for ReGIndE.
    Reginde {
        /// The Order's code (see `certa order list`).
        #[arg(long)]
        order: String,
        /// YYYY-MM (default this month).
        #[arg(long)]
        month: Option<String>,
        /// The whole roll (the default for the first communication).
        #[arg(long, conflicts_with = "incremental")]
        whole: bool,
        /// The changes since the last communication (the default after the first).
        #[arg(long)]
        incremental: bool,
        /// Where to write the XML (default standard output).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        send: SendArgs,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Read ReGIndE's Esiti.xml answer and record each member's outcome.
    Esiti {
        /// The Esiti.xml file.
        file: PathBuf,
        /// The Order's code (see `certa order list`).
        #[arg(long)]
        order: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// What was sent when.
    History {
        /// The Order's code (see `certa order list`).
        #[arg(long)]
        order: String,
        /// Print the history as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataArgs,
    },
}

/// Sending the ReGIndE file: signed by the Order's delegate (CAdES, `.p7m`) and
/// sent as a PEC from the Order's mailbox, which must be on this installation.
#[derive(clap::Args)]
pub struct SendArgs {
    /// Sign the file and send it by PEC to this address (the one the Ministry's
    /// answer to the Order's registration gives).
    #[arg(long, requires_all = ["signer_cert", "signer_key"])]
    send_to: Option<String>,
    /// The delegate's signing certificate (PEM): its subject's serialNumber must be
    /// the codice fiscale of the delegate registered for the Order.
    #[arg(long, requires = "send_to")]
    signer_cert: Option<PathBuf>,
    /// The delegate's private key (PEM, unencrypted).
    #[arg(long, requires = "send_to")]
    signer_key: Option<PathBuf>,
    /// Certificates of the delegate's CA to embed (PEM).
    #[arg(long, requires = "send_to")]
    signer_chain: Option<PathBuf>,
    /// The attachment's name before `.p7m`: the Ministry's answer names the one it checks.
    #[arg(long, default_value = "ComunicazioniSoggetti.xml")]
    file_name: String,
}

const NAMES: &[(&str, &str)] = &[("signer", "--signer-cert")];

pub async fn run(cmd: Command) -> Result<ExitCode> {
    match cmd {
        Command::Inipec {
            order,
            date,
            out,
            format,
            data,
        } => {
            let format = read_format(format)?;
            let office = data.office().await?;
            let date_name = date.map_or_else(|| "--date".to_owned(), |d| format!("--date {d}"));
            let export = inipec::export(&office, &order, date, &format)
                .await
                .named(&[("date", &date_name), ("format", "--format")])?;
            office.close().await;
            let (code, day) = (&export.order, export.day);
            if export.again {
                eprintln!("{code}: INI-PEC of {day} already exported; the recorded file is written again");
            } else if export.backdated {
                eprintln!(
                    "{code}: INI-PEC of {day} made from the roll as it is today, {}",
                    office.today()
                );
            }
            match (&export.file, &out) {
                (None, _) => {
                    println!(
                        "{code}: no changes on {day}: nothing to upload; confirm \"no changes\" on the INI-PEC portal"
                    )
                }
                (Some(bytes), Some(path)) => {
                    std::fs::write(path, bytes).with_context(|| format!("--out: cannot write {}", path.display()))?;
                    println!("{code}: {} rows for {day} written to {}", export.rows, path.display());
                }
                (Some(bytes), None) => std::io::stdout().write_all(bytes)?,
            }
        }
        Command::Reginde {
            order,
            month,
            whole,
            incremental,
            out,
            send,
            data,
        } => {
            let month = match month {
                Some(m) => Some(
                    m.parse::<Month>()
                        .map_err(|reason| anyhow::anyhow!("--month {m:?}: {reason}"))?,
                ),
                None => None,
            };
            let signer = send.signer()?;
            let sending = match (&send.send_to, &signer) {
                (Some(to), Some(signer)) => Some(Sending {
                    to,
                    signer,
                    file_name: &send.file_name,
                }),
                _ => None,
            };
            let communication = Communication {
                order: &order,
                month,
                whole: match (whole, incremental) {
                    (true, _) => Some(true),
                    (_, true) => Some(false),
                    _ => None,
                },
                send: sending,
            };
            let office = data.office().await?;
            let report = reginde::export(&office, &communication).await.named(NAMES)?;
            office.close().await;
            print_reginde(&report, out.as_deref())?;
        }
        Command::Esiti { file, order, data } => {
            let bytes = read_file(&file)?;
            let office = data.office().await?;
            let report = esiti::record(&office, &order, &bytes)
                .await
                .named(&[("file", &file.display().to_string())])?;
            office.close().await;
            print_esiti(&report);
        }
        Command::History { order, json, data } => {
            let office = data.office().await?;
            let history = history::history(&office, &order).await.named(NAMES)?;
            if json {
                print_json(&serde_json::to_value(&history)?)?;
                return Ok(ExitCode::SUCCESS);
            }
            for e in &history.inipec {
                if e.no_changes {
                    println!("INI-PEC  {}  no changes", e.day);
                } else {
                    println!("INI-PEC  {}  {} rows", e.day, e.row_count);
                }
            }
            for e in &history.reginde {
                let at = store::instant(e.created_at).format("%Y-%m-%d %H:%M UTC");
                let kind = if e.whole { "whole roll" } else { "incremental" };
                match &e.message {
                    Some(id) => println!("ReGIndE  {}  {kind} (sent by PEC {at}, {id})", e.month),
                    None => println!("ReGIndE  {}  {kind} (made {at})", e.month),
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn read_format(path: Option<PathBuf>) -> Result<IniPecFormat> {
    let Some(path) = path else {
        return Ok(IniPecFormat::default());
    };
    let text = std::fs::read_to_string(&path).with_context(|| format!("--format: cannot read {}", path.display()))?;
    toml::from_str(&text).map_err(|e| anyhow::anyhow!("--format {}: {e}", path.display()))
}

impl SendArgs {
    /// The delegate's signing identity, when sending.
    fn signer(&self) -> Result<Option<Signer>> {
        let (Some(cert), Some(key)) = (&self.signer_cert, &self.signer_key) else {
            return Ok(None);
        };
        let read =
            |flag: &str, p: &Path| std::fs::read(p).with_context(|| format!("{flag}: cannot read {}", p.display()));
        let chain = match &self.signer_chain {
            Some(p) => read("--signer-chain", p)?,
            None => Vec::new(),
        };
        let signer = Signer::from_pem(&read("--signer-cert", cert)?, &read("--signer-key", key)?, &chain)
            .map_err(|e| anyhow::anyhow!("--signer-cert/--signer-key: {e}"))?;
        Ok(Some(signer))
    }
}

fn print_reginde(r: &RegindeReport, out: Option<&Path>) -> Result<()> {
    let code = &r.order;
    for why in &r.not_sent {
        eprintln!("warning: not sent to ReGIndE: {why}");
    }
    let Some(xml) = &r.xml else {
        println!("{code}: no changes for ReGIndE since the last communication: nothing to send");
        return Ok(());
    };
    let kind = if r.whole { "whole roll," } else { "incremental," };
    if let Some(sent) = &r.sent {
        println!(
            "{code}: {kind} {} subjects for {}, signed by {} and sent by PEC from {} to {} ({})",
            r.subjects, r.month, sent.signer, r.from, sent.to, sent.identificativo
        );
    }
    match out {
        Some(path) => {
            std::fs::write(path, xml).with_context(|| format!("--out: cannot write {}", path.display()))?;
            if r.sent.is_some() {
                println!("{code}: the XML sent is written to {}", path.display());
            } else {
                println!(
                    "{code}: {kind} {} subjects for {} written to {} (sign it and send it by PEC from {})",
                    r.subjects,
                    r.month,
                    path.display(),
                    r.from
                );
            }
        }
        None if r.sent.is_none() => print!("{xml}"),
        None => {}
    }
    Ok(())
}

fn print_esiti(r: &EsitiReport) {
    if let Some(f) = &r.file_refused {
        println!(
            "whole file refused: {} {}",
            f.code,
            f.description.as_deref().unwrap_or_default()
        );
    }
    for e in &r.subjects {
        println!(
            "{:<16}  {}  {:<7}  {}",
            e.codice_fiscale.as_deref().unwrap_or("-"),
            e.code,
            e.severity,
            e.description.as_deref().unwrap_or_default()
        );
    }
    println!("{}: {} outcomes recorded", r.order, r.subjects.len());
    if r.diverged {
        println!("ReGIndE's view differs from the Order's: send the whole roll (certa export reginde --whole)");
    }
}
