//! `certa order add|list|show`: the Orders whose registries this installation
//! keeps (one installation may serve several; every registry command names one
//! with `--order CODE`).

use std::process::ExitCode;

use anyhow::Result;
use office::registry::orders::{self, NewDelegate, NewOrder, OrderReport};

use super::{DataArgs, OnCommandLine, print_json};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Register an Order: who it is for the tax office and ReGIndE, its PEC, its signing delegate.
    Add {
        /// A short code of your choice, used as `--order CODE` (e.g. OMCEO-FI).
        code: String,
        /// The Order's full name.
        #[arg(long)]
        name: String,
        /// The Order's codice fiscale: 11 digits, checked as a partita IVA is (the
        /// last a check digit, the 8th-10th the code of the tax office that assigned it).
        #[arg(long)]
        tax_id: String,
        /// The sending body's code in ReGIndE files (its partita IVA, or COA + ISTAT code).
        #[arg(long)]
        codice_ente: String,
        /// The Order's own PEC, the registered sender of ReGIndE rolls.
        #[arg(long)]
        pec: String,
        /// The codice fiscale of the person who signs the ReGIndE roll.
        #[arg(long, requires_all = ["delegate_surname", "delegate_name"])]
        delegate: Option<String>,
        /// The signing delegate's surname.
        #[arg(long, requires = "delegate")]
        delegate_surname: Option<String>,
        /// The signing delegate's first name.
        #[arg(long, requires = "delegate")]
        delegate_name: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// The Orders, with their members' count.
    List {
        /// Print the list as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// An Order: its codes, PEC, signing delegate and members' count.
    Show {
        /// The Order's code (see `certa order list`).
        code: String,
        /// Print the Order as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataArgs,
    },
}

const NAMES: &[(&str, &str)] = &[("code", "CODE"), ("order", "CODE")];

pub async fn run(cmd: Command) -> Result<ExitCode> {
    match cmd {
        Command::Add {
            code,
            name,
            tax_id,
            codice_ente,
            pec,
            delegate,
            delegate_surname,
            delegate_name,
            data,
        } => {
            let delegate = match (&delegate, &delegate_surname, &delegate_name) {
                (Some(codice_fiscale), Some(surname), Some(name)) => Some(NewDelegate {
                    codice_fiscale,
                    surname,
                    name,
                }),
                _ => None,
            };
            let new = NewOrder {
                code: &code,
                name: &name,
                tax_id: &tax_id,
                codice_ente: &codice_ente,
                pec: &pec,
                delegate,
            };
            let office = data.office().await?;
            let order = orders::add(&office, &new).await.named(NAMES)?;
            println!("Order {} added: {}", order.code, order.name);
            office.close().await;
        }
        Command::List { json, data } => {
            let office = data.office().await?;
            let list = orders::list(&office).await.named(NAMES)?;
            if json {
                // Through a JSON value: keys sorted, as this command has always printed them.
                print_json(&serde_json::to_value(&list)?)?;
            } else {
                for o in &list {
                    println!("{:<16} {:>7} members  {}", o.code, o.members, o.name);
                }
                eprintln!("{} Orders", list.len());
            }
        }
        Command::Show { code, json, data } => {
            let office = data.office().await?;
            let order = orders::show(&office, &code).await.named(NAMES)?;
            if json {
                print_json(&serde_json::to_value(&order)?)?;
            } else {
                print_order(&order);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_order(o: &OrderReport) {
    println!("Order {}: {}", o.code, o.name);
    println!("  tax id        {}", o.tax_id);
    println!("  codice ente   {}", o.codice_ente);
    println!("  PEC           {}", o.pec);
    match &o.delegate {
        Some(d) => println!(
            "  delegate      {} {} ({})",
            d.name,
            d.surname,
            d.codice_fiscale.as_str()
        ),
        None => println!("  delegate      none registered"),
    }
    println!("  members       {}", o.members);
}
