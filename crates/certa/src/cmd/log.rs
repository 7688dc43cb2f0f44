//! `certa log search`: the provider log by identificativo, msgid, address or dates.

use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::{NaiveDate, TimeZone};
use chrono_tz::Europe::Rome;
use store::log::Filter;

use super::DataArgs;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Entries matching every condition given, oldest first.
    Search(SearchArgs),
}

#[derive(clap::Args)]
pub struct SearchArgs {
    #[arg(long)]
    identificativo: Option<String>,
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
    #[arg(long, default_value_t = 1000)]
    limit: i64,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    data: DataArgs,
}

fn day_start(d: NaiveDate) -> Result<i64> {
    let local = d.and_hms_opt(0, 0, 0).context("invalid date")?;
    Ok(Rome
        .from_local_datetime(&local)
        .earliest()
        .context("invalid date in Europe/Rome")?
        .timestamp_millis())
}

pub async fn run(cmd: Command) -> Result<ExitCode> {
    let Command::Search(a) = cmd;
    let store = a.data.store().await?;
    let filter = Filter {
        identificativo: a.identificativo,
        msgid: a.msgid,
        address: a.address,
        from: a.from.map(day_start).transpose()?,
        to: a.to.map(|d| day_start(d + chrono::Duration::days(1))).transpose()?,
        event: a.event,
        limit: a.limit,
    };
    let entries = store::log::search(&mut *store.conn().await?, &filter).await?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&entries)?);
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
