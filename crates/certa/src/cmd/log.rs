//! `certa log search`: the provider log by identificativo, msgid, address or dates.

use std::process::ExitCode;

use anyhow::Result;
use chrono::NaiveDate;
use chrono_tz::Europe::Rome;
use office::journal::LogQuery;

use super::{DataArgs, OnCommandLine, print_json};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Entries matching every condition given, oldest first.
    Search(SearchArgs),
}

#[derive(clap::Args)]
pub struct SearchArgs {
    /// The identificativo of a PEC (the message-ID its provider gave it).
    #[arg(long)]
    identificativo: Option<String>,
    /// The Message-ID of the original message.
    #[arg(long)]
    msgid: Option<String>,
    /// Sender or recipient.
    #[arg(long)]
    address: Option<String>,
    /// From this day (YYYY-MM-DD, Italian time), included.
    #[arg(long)]
    from: Option<NaiveDate>,
    /// Up to this day (YYYY-MM-DD, Italian time), included.
    #[arg(long)]
    to: Option<NaiveDate>,
    /// Only this event (Accettazione, Consegna, MancataConsegna24h, ...).
    #[arg(long)]
    event: Option<String>,
    /// At most this many entries.
    #[arg(long, default_value_t = 1000)]
    limit: i64,
    /// Print the entries as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    data: DataArgs,
}

pub async fn run(cmd: Command) -> Result<ExitCode> {
    let Command::Search(a) = cmd;
    let office = a.data.office().await?;
    let query = LogQuery {
        identificativo: a.identificativo,
        msgid: a.msgid,
        address: a.address,
        from: a.from,
        to: a.to,
        event: a.event,
        limit: a.limit,
    };
    let entries = office::journal::search_log(&office, query).await.named(&[])?;
    if a.json {
        print_json(&entries)?;
        return Ok(ExitCode::SUCCESS);
    }
    for e in &entries {
        let at = store::instant(e.at).with_timezone(&Rome).format("%d/%m/%Y %H:%M:%S %z");
        println!(
            "{at}  {:<20} {}  msgid={}  mittente={}  destinatari={}  oggetto={:?}{}",
            e.event,
            e.identificativo.as_deref().unwrap_or("-"),
            e.msgid.as_deref().unwrap_or("-"),
            e.sender.as_deref().unwrap_or("-"),
            e.recipients.join(","),
            e.subject.as_deref().unwrap_or(""),
            e.detail.as_deref().map(|d| format!("  ({d})")).unwrap_or_default()
        );
    }
    eprintln!("{} entries", entries.len());
    Ok(ExitCode::SUCCESS)
}
