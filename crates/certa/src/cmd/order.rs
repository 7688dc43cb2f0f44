//! `certa order add|list|show`: the Orders whose registries this installation
//! keeps (one installation may serve several; every registry command names one
//! with `--order CODE`).

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use registry::model::SigningDelegate;
use registry::{CodiceFiscale, TaxId};
use serde_json::json;
use store::registry::{self as reg, StoredOrder};

use super::DataArgs;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Register an Order: who it is for the tax office and ReGIndE, its PEC, its signing delegate.
    Add {
        /// A short code of your choice, used as `--order CODE` (e.g. OMCEO-FI).
        code: String,
        /// The Order's full name.
        #[arg(long)]
        name: String,
        /// The Order's codice fiscale (11 digits) or partita IVA.
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
        #[arg(long, requires = "delegate")]
        delegate_surname: Option<String>,
        #[arg(long, requires = "delegate")]
        delegate_name: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// The Orders, with their members' count.
    List {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    Show {
        code: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataArgs,
    },
}

/// The Order named by `--order`, or an error saying how to add it.
pub async fn stored_order(c: &mut store::Conn, code: &str) -> Result<StoredOrder> {
    reg::order(c, code)
        .await?
        .with_context(|| format!("--order: no Order {code:?} on this installation (add it with `certa order add`)"))
}

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
            let order = new_order(
                code,
                name,
                tax_id,
                codice_ente,
                pec,
                delegate,
                delegate_surname,
                delegate_name,
            )?;
            let store = data.store().await?;
            reg::add_order(&mut *store.conn().await?, &order).await?;
            println!("Order {} added: {}", order.code, order.name);
            store.close().await;
        }
        Command::List { json, data } => {
            let store = data.store().await?;
            let mut c = store.conn().await?;
            let mut rows = Vec::new();
            for o in reg::orders(&mut c).await? {
                let members = reg::member_count(&mut c, &o.code).await?;
                rows.push((o, members));
            }
            if json {
                let v: Vec<_> = rows.iter().map(|(o, n)| order_json(o, *n)).collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                for (o, n) in &rows {
                    println!("{:<16} {:>7} members  {}", o.code, n, o.name);
                }
                eprintln!("{} Orders", rows.len());
            }
        }
        Command::Show { code, json, data } => {
            let store = data.store().await?;
            let mut c = store.conn().await?;
            let o = stored_order(&mut c, &code).await?;
            let n = reg::member_count(&mut c, &o.code).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&order_json(&o, n))?);
            } else {
                println!("Order {}: {}", o.code, o.name);
                println!("  tax id        {}", o.tax_id);
                println!("  codice ente   {}", o.codice_ente);
                println!("  PEC           {}", o.pec);
                match delegate(&o)? {
                    Some(d) => println!(
                        "  delegate      {} {} ({})",
                        d.name,
                        d.surname,
                        d.codice_fiscale.as_str()
                    ),
                    None => println!("  delegate      none registered"),
                }
                println!("  members       {n}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[allow(clippy::too_many_arguments)]
fn new_order(
    code: String,
    name: String,
    tax_id: String,
    codice_ente: String,
    pec: String,
    delegate: Option<String>,
    delegate_surname: Option<String>,
    delegate_name: Option<String>,
) -> Result<StoredOrder> {
    let code = code.trim().to_owned();
    if code.is_empty() || code.contains(char::is_whitespace) {
        bail!("CODE: {code:?} must be one word (e.g. OMCEO-FI)");
    }
    if name.trim().is_empty() {
        bail!("--name: the Order's name is empty");
    }
    let tax_id = TaxId::parse(&tax_id).map_err(|e| anyhow::anyhow!("--tax-id {tax_id:?}: {e}"))?;
    if codice_ente.trim().is_empty() {
        bail!("--codice-ente: empty (the code assigned at the ReGIndE censimento)");
    }
    let pec = registry::pec_checks::normalise(&pec);
    registry::pec_checks::split(&pec).map_err(|e| anyhow::anyhow!("--pec {pec:?}: {e}"))?;
    let delegate = match (delegate, delegate_surname, delegate_name) {
        (Some(cf), Some(surname), Some(name)) => {
            let codice_fiscale = CodiceFiscale::parse(&cf).map_err(|e| anyhow::anyhow!("--delegate {cf:?}: {e}"))?;
            Some(serde_json::to_string(&SigningDelegate {
                surname: surname.trim().to_owned(),
                name: name.trim().to_owned(),
                codice_fiscale,
            })?)
        }
        _ => None,
    };
    Ok(StoredOrder {
        code,
        name: name.trim().to_owned(),
        tax_id: tax_id.as_str().to_owned(),
        codice_ente: codice_ente.trim().to_owned(),
        pec,
        delegate,
        created_at: store::millis(chrono::Utc::now()),
    })
}

pub fn delegate(o: &StoredOrder) -> Result<Option<SigningDelegate>> {
    o.delegate
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .with_context(|| {
            format!(
                "the signing delegate of Order {} stored in the database is not valid",
                o.code
            )
        })
}

fn order_json(o: &StoredOrder, members: i64) -> serde_json::Value {
    json!({
        "code": o.code,
        "name": o.name,
        "tax_id": o.tax_id,
        "codice_ente": o.codice_ente,
        "pec": o.pec,
        "delegate": o.delegate.as_deref().and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok()),
        "members": members,
    })
}

/// Why the Order's PEC cannot send through this installation (not one of its
/// mailboxes, or not active), or None when it can.
pub async fn why_mailbox_cannot_send(c: &mut store::Conn, order: &StoredOrder) -> Result<Option<String>> {
    Ok(match store::mailboxes::get(c, &order.pec).await? {
        None => Some(format!(
            "the Order's PEC {} is not a mailbox of this installation",
            order.pec
        )),
        Some(m) if m.status != store::mailboxes::Status::Active => Some(format!(
            "the Order's mailbox {} is {}: it cannot send",
            order.pec,
            m.status.as_str()
        )),
        Some(_) => None,
    })
}

/// A message from the Order's mailbox, submitted through the engine once: `id`
/// (its Message-ID, without brackets) is made of what the message is about, so
/// a message accepted before an interruption is found and its identificativo
/// returned instead of sending it again. `message` writes the message with that
/// Message-ID. The identificativo, or the refusal's text.
pub async fn send_once(
    engine: &engine::Engine,
    order: &StoredOrder,
    to: &str,
    id: &str,
    message: impl FnOnce(mail_builder::MessageBuilder<'_>) -> Result<Vec<u8>>,
) -> Result<Result<String, String>> {
    let from = order.pec.to_ascii_lowercase();
    {
        let mut c = engine.store().conn().await?;
        if let Some(m) = store::pec::sent_with_msgid(&mut c, &from, &format!("<{id}>")).await? {
            return Ok(Ok(m.identificativo));
        }
    }
    let raw = message(
        mail_builder::MessageBuilder::new()
            .from((order.name.as_str(), from.as_str()))
            .to(to)
            .date(chrono::Utc::now().timestamp())
            .message_id(id),
    )?;
    Ok(match engine.submit(&from, &from, &[to.to_owned()], &raw).await? {
        engine::access::Submission::Accepted { identificativo } => Ok(identificativo),
        engine::access::Submission::Refused(refusal) => Err(refusal.to_string()),
    })
}

/// The domain of the Order's PEC, for the Message-IDs of what it sends.
pub fn mail_domain(order: &StoredOrder) -> String {
    order
        .pec
        .rsplit_once('@')
        .map_or("localhost", |(_, d)| d)
        .to_ascii_lowercase()
}
