//! `certa queue`: the job queue, for operators (and tests waiting for work to end).

use std::process::ExitCode;

use anyhow::Result;

use super::DataArgs;

#[derive(clap::Args)]
pub struct Args {
    /// Also list the jobs given up on, with their last error.
    #[arg(long)]
    dead: bool,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    data: DataArgs,
}

pub async fn run(args: Args) -> Result<ExitCode> {
    let store = args.data.store().await?;
    let mut c = store.conn().await?;
    let counts = store::jobs::counts(&mut c).await?;
    let dead = if args.dead {
        store::jobs::list(&mut c, "dead", 100).await?
    } else {
        Vec::new()
    };
    let waiting = store::jobs::list(&mut c, "queued", 1000).await?;
    let now = store::millis(chrono::Utc::now());
    let due_now = waiting.iter().filter(|j| j.due_at <= now).count();
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"counts": counts, "due_now": due_now, "dead": dead}))?
        );
    } else {
        println!(
            "queued {} (due now {}), done {}, dead {}, cancelled {}",
            counts.queued, due_now, counts.done, counts.dead, counts.cancelled
        );
        for j in dead {
            println!("dead job {} {}: {}", j.id, j.kind, j.last_error.unwrap_or_default());
        }
    }
    Ok(ExitCode::SUCCESS)
}
