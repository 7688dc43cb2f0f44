//! `certa bench`: the PEC throughput benchmark (`crate::bench::throughput`): two
//! providers in-process, N messages over C SMTP sessions, receipt latencies.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;

use super::print_json;
use crate::bench::throughput::{self, Options, Report};

#[derive(clap::Args)]
pub struct Args {
    /// How many messages to submit.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..))]
    pub messages: u32,
    /// Concurrent SMTP sessions, each logged in as its own sender.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub concurrency: u32,
    /// Recipients of each message, alternately on the first and on the second provider.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub recipients: u32,
    /// Body size of each message in bytes.
    #[arg(long, default_value_t = 4096)]
    pub size: usize,
    /// Where the two providers keep their data: a new or empty directory, kept at the
    /// end. Default: a fresh temporary directory, removed at the end unless --keep.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Keep the temporary data directory.
    #[arg(long)]
    pub keep: bool,
    /// Stop waiting for receipts after this many seconds; messages still waiting fail.
    #[arg(long, default_value_t = 600)]
    pub timeout: u64,
    /// Print the results as JSON.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(args: Args) -> Result<ExitCode> {
    let options = Options {
        messages: args.messages as usize,
        concurrency: args.concurrency as usize,
        recipients: args.recipients as usize,
        size: args.size,
        data: args.data,
        keep: args.keep,
        timeout: Duration::from_secs(args.timeout),
    };
    let report = throughput::run(&options).await?;
    if args.json {
        print_json(&report)?;
    } else {
        print_report(&report);
    }
    Ok(if report.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn print_report(r: &Report) {
    println!(
        "certa bench: {} messages of {} body bytes to {} recipient(s) each, over {} SMTP sessions",
        r.messages, r.size, r.recipients, r.concurrency
    );
    if let Some(dir) = &r.data {
        println!("data            {dir}");
    }
    println!("logins          {:.3} s", r.login_seconds);
    println!("wall time       {:.3} s", r.wall_seconds);
    let t = &r.throughput;
    println!(
        "submitted       {:>6}   {:>8.1} messages/s   (250 to DATA)",
        r.submitted, t.submitted_per_second
    );
    println!(
        "accepted        {:>6}   {:>8.1} messages/s   (accettazione in the sender's INBOX)",
        r.accepted, t.accepted_per_second
    );
    println!(
        "delivered       {:>6}   {:>8.1} messages/s   (every avvenuta-consegna in the sender's INBOX)",
        r.delivered, t.delivered_per_second
    );
    println!("failed          {:>6}", r.failed);
    println!("latency from MAIL FROM, ms          p50       p90       p99       max");
    let rows = [
        ("  250 to DATA", &r.latency_ms.smtp_reply),
        ("  accettazione", &r.latency_ms.acceptance),
        ("  avvenuta-consegna (all)", &r.latency_ms.delivery),
    ];
    for (name, p) in rows {
        match p {
            Some(p) => println!("{name:<30}{:>9.1} {:>9.1} {:>9.1} {:>9.1}", p.p50, p.p90, p.p99, p.max),
            None => println!("{name:<30}{:>9}", "-"),
        }
    }
    for f in r.failures.iter().take(10) {
        println!("failed: message {}: {}", f.message, f.reason);
    }
    if r.failures.len() > 10 {
        println!("failed: ... and {} more (--json lists them all)", r.failures.len() - 10);
    }
}
