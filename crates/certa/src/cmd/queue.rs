//! `certa queue`: the job queue, for operators (and tests waiting for work to end).

use std::process::ExitCode;

use anyhow::Result;

use super::{DataArgs, OnCommandLine, print_json};

#[derive(clap::Args)]
pub struct Args {
    /// Also list the jobs given up on, with their last error.
    #[arg(long)]
    dead: bool,
    /// Print the counts (and dead jobs) as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    data: DataArgs,
}

pub async fn run(args: Args) -> Result<ExitCode> {
    let office = args.data.office().await?;
    let status = office::journal::queue(&office, args.dead).await.named(&[])?;
    if args.json {
        print_json(&status)?;
    } else {
        let c = &status.counts;
        println!(
            "queued {} (due now {}), done {}, dead {}, cancelled {}",
            c.queued, status.due_now, c.done, c.dead, c.cancelled
        );
        for j in &status.dead {
            println!(
                "dead job {} {}: {}",
                j.id,
                j.kind,
                j.last_error.as_deref().unwrap_or_default()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
