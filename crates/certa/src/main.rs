//! `certa`: a PEC provider and the administration around it, in one binary.
//!
//! This file holds the command line; each command lives in `cmd/`.

use certa::cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "certa", version, about = "Certa: certified e-mail (PEC) provider and tools")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print a summary of a PEC message: kind, sender, recipients, times, identificativo,
    /// receipt type, signature verdict, problems found.
    Inspect(cmd::inspect::Args),
    /// Check the signature of a PEC message; the exit code tells the verdict (see README).
    Verify(cmd::verify::Args),
    /// Development keys: a test CA and a provider signing certificate.
    #[command(subcommand)]
    Keys(cmd::keys::Command),
    /// Write one signed sample of every message a gestore generates, for inspection or tests.
    Samples(cmd::samples::Args),
    /// Create a provider's data directory: configuration, development keys, index.
    Init(cmd::init::Args),
    /// Run one provider: SMTP submission and receiving point, job workers.
    Serve(cmd::serve::Args),
    /// Run two providers on loopback that trust each other, with demo mailboxes.
    Demo(cmd::demo::Args),
    /// Load test: two providers in-process, N messages over C SMTP sessions, receipt latencies.
    Bench(cmd::bench::Args),
    /// The provider's domains.
    #[command(subcommand)]
    Domain(cmd::domain::Command),
    /// The consoles' staff: operators and Orders' secretariats, their second factor, the audit trail.
    #[command(subcommand)]
    Staff(cmd::staff::Command),
    /// The provider's mailboxes.
    #[command(subcommand)]
    Mailbox(cmd::mailbox::Command),
    /// The provider log.
    #[command(subcommand)]
    Log(cmd::log::Command),
    /// The provider index.
    #[command(subcommand)]
    Index(cmd::index::Command),
    /// The job queue: counts, and the jobs given up on.
    Queue(cmd::queue::Args),
    /// Conventions between Orders and providers: check a file, store, show, list.
    #[command(subcommand)]
    Convention(cmd::convention::Command),
    /// Mailboxes under a convention: subscribe, show, list, renewal orders, cancellation.
    #[command(subcommand)]
    Subscription(cmd::subscription::Command),
    /// Payments of renewal orders: by the operator, or from a bank statement.
    #[command(subcommand)]
    Payment(cmd::payment::Command),
    /// The daily machine: run it at an instant, simulate it over dates, benchmark it.
    #[command(subcommand)]
    Lifecycle(cmd::lifecycle::Command),
    /// The Orders whose registries this installation keeps.
    #[command(subcommand)]
    Order(cmd::order::Command),
    /// An Order's roll: import, show, list, communicated PEC addresses.
    #[command(subcommand)]
    Member(cmd::member::Command),
    /// The PEC duty: report, warning campaign, members to suspend.
    #[command(subcommand)]
    Compliance(cmd::compliance::Command),
    /// Files for INI-PEC and ReGIndE, ReGIndE's answers, what was sent when.
    #[command(subcommand)]
    Export(cmd::export::Command),
    /// The Orders' registries as a whole: benchmark them.
    #[command(subcommand)]
    Registry(cmd::registry::Command),
}

/// Exit code for a command line that cannot be parsed (BSD sysexits EX_USAGE), kept
/// apart from the verdict codes of `certa verify`.
const EXIT_USAGE: u8 = 64;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(EXIT_USAGE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    init_tracing();
    let result = match cli.command {
        Command::Inspect(args) => cmd::inspect::run(args),
        Command::Verify(args) => return cmd::verify::run(args),
        Command::Keys(command) => cmd::keys::run(command),
        Command::Samples(args) => cmd::samples::run(args),
        Command::Init(args) => cmd::init::run(args),
        Command::Index(command) => cmd::index::run(command),
        Command::Serve(args) => block_on(cmd::serve::run(args)),
        Command::Demo(args) => block_on(cmd::demo::run(args)),
        Command::Bench(args) => block_on(cmd::bench::run(args)),
        Command::Domain(command) => block_on(cmd::domain::run(command)),
        Command::Staff(command) => block_on(cmd::staff::run(command)),
        Command::Mailbox(command) => block_on(cmd::mailbox::run(command)),
        Command::Log(command) => block_on(cmd::log::run(command)),
        Command::Queue(args) => block_on(cmd::queue::run(args)),
        Command::Convention(command) => block_on(cmd::convention::run(command)),
        Command::Subscription(command) => block_on(cmd::subscription::run(command)),
        Command::Payment(command) => block_on(cmd::payment::run(command)),
        Command::Lifecycle(command) => block_on(cmd::lifecycle::run(command)),
        Command::Order(command) => block_on(cmd::order::run(command)),
        Command::Member(command) => block_on(cmd::member::run(command)),
        Command::Compliance(command) => block_on(cmd::compliance::run(command)),
        Command::Export(command) => block_on(cmd::export::run(command)),
        Command::Registry(command) => block_on(cmd::registry::run(command)),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("certa: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn block_on<F: std::future::Future<Output = anyhow::Result<ExitCode>>>(f: F) -> anyhow::Result<ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(f)
}

/// Logs to standard error; `RUST_LOG` chooses what (default: warnings, and info of Certa's crates).
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,certa=info,engine=info,lifecycle=info,smtp=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
