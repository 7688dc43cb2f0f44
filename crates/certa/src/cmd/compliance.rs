//! `certa compliance report|warn|due`: the PEC duty of DL 185/2008 art. 16
//! c.7-bis (as rewritten by DL 76/2020 art. 37): members without a valid PEC
//! are warned (diffida), given 30 days, then listed for suspension; a member
//! who communicates an address is restored (`certa member set-pec`). Every step
//! is a dated row of `registry_compliance`, so the cycle can be shown later.
//!
//! The steps: `warned` (by PEC, detail the address) and `letter` open a cycle;
//! `suspension-listed` records the day the member appeared on the list to
//! suspend; `suspended` the Order's act (`due --suspend`); `restored` closes it.
//!
//! When the Order's PEC is a mailbox of this installation, `warn` sends each
//! diffida as a real PEC through the engine (from the Order's mailbox, one
//! message per member, with a Message-ID that makes a campaign interrupted by a
//! crash resumable without sending anything twice), and the `warned` step names
//! the message. What became of it is read from the provider's own records by
//! the next `report`, `warn` or `due`: `received` on the day it was delivered
//! (the 30 days run from there) or `undelivered` (a non-delivery notice: the
//! diffida is void, the address is flagged as not valid, and the next diffida
//! goes by letter).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use registry::compliance::{self, Compliance, Diffida, DiffidaChannel, MemberCompliance, Report};
use registry::{Member, MemberStatus};
use store::pec::RecipientState;
use store::registry::StoredOrder;
use store::registry::{self as reg, StoredMember, StoredStep};

use super::DataArgs;
use super::member::{Roll, official, row, tag, today};
use super::order::{mail_domain, send_once, stored_order, why_mailbox_cannot_send};
use crate::provider::Provider;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Who lacks a valid PEC, is due a warning, is warned, is to be suspended, is restored.
    Report {
        #[arg(long)]
        order: String,
        /// The day to assess (default today).
        #[arg(long)]
        date: Option<NaiveDate>,
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
        #[arg(long)]
        order: String,
        #[arg(long)]
        date: Option<NaiveDate>,
        /// Suspend them now (status suspended, step recorded).
        #[arg(long)]
        suspend: bool,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataArgs,
    },
}

fn day(text: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").with_context(|| format!("bad date {text:?} in the database"))
}

/// The diffide a member's steps record.
pub fn diffide(steps: &[StoredStep]) -> Result<Vec<Diffida>> {
    let mut out: Vec<Diffida> = Vec::new();
    // The message that carried each diffida, beside `out`.
    let mut messages: Vec<Option<&str>> = Vec::new();
    for s in steps {
        let on = day(&s.on_date)?;
        if matches!(s.kind.as_str(), "received" | "undelivered") {
            let sent = messages.iter().rposition(|m| m.is_some() && *m == s.message.as_deref());
            if let Some(d) = sent.map(|i| &mut out[i]) {
                if s.kind == "received" {
                    d.received_on = Some(on);
                } else {
                    d.undelivered = true;
                }
            }
            continue;
        }
        let open = out.iter_mut().rev().find(|d| d.closed_on.is_none() && !d.undelivered);
        match s.kind.as_str() {
            "warned" | "letter" => {
                messages.push(s.message.as_deref());
                out.push(Diffida {
                    sent_on: on,
                    received_on: None,
                    channel: if s.kind == "warned" {
                        DiffidaChannel::Pec(s.detail.clone())
                    } else {
                        DiffidaChannel::Letter
                    },
                    protocol: None,
                    suspended_on: None,
                    closed_on: None,
                    undelivered: false,
                })
            }
            "suspended" => {
                if let Some(d) = open {
                    d.suspended_on = Some(on);
                }
            }
            "restored" => {
                if let Some(d) = open {
                    d.closed_on = Some(on);
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// The outcome of the Order's diffide sent through this installation, from the
/// provider's records of the messages: a `received` step on the day (in Italy)
/// the delivery receipt was issued or received, or an `undelivered` one on the
/// day of the non-delivery notice, which also flags the address as not valid.
/// Messages still under way are left for a later run. The number recorded.
pub async fn record_deliveries(c: &mut store::Conn, order_code: &str, now: i64) -> Result<usize> {
    let mut recorded = 0;
    for step in reg::pending_deliveries(c, order_code).await? {
        let Some(identificativo) = step.message.as_deref() else {
            continue;
        };
        let Some(message) = store::pec::by_identificativo(c, identificativo).await? else {
            continue;
        };
        let recipients = store::pec::recipients(c, message.id).await?;
        let Some(r) = recipients.iter().find(|r| r.address.eq_ignore_ascii_case(&step.detail)) else {
            continue;
        };
        let on = chrono::DateTime::from_timestamp_millis(r.updated_at)
            .map(|t| t.with_timezone(&chrono_tz::Europe::Rome).date_naive())
            .with_context(|| format!("bad time {} in the database", r.updated_at))?
            .to_string();
        match r.state {
            RecipientState::Delivered => {
                reg::add_message_step(
                    c,
                    step.member_id,
                    "received",
                    &on,
                    &r.address,
                    Some(identificativo),
                    now,
                )
                .await?;
            }
            RecipientState::Failed => {
                let why = r.detail.as_deref().unwrap_or("non-delivery notice");
                reg::add_message_step(c, step.member_id, "undelivered", &on, why, Some(identificativo), now).await?;
                let flag = format!(
                    "the diffida of {} ({identificativo}) was not delivered: {why}",
                    step.on_date
                );
                reg::flag_address(c, &r.address, &flag).await?;
            }
            _ => continue,
        }
        recorded += 1;
    }
    Ok(recorded)
}

/// The Order's roll, after recording what became of its diffide sent by PEC.
async fn current_roll(c: &mut store::Conn, order: &str, now: i64) -> Result<Roll> {
    let code = stored_order(c, order).await?.code;
    record_deliveries(c, &code, now).await?;
    Roll::load(c, order).await
}

/// After a member communicated `address`: closes an open cycle, and lifts a
/// suspension it led to. What was done, if anything.
pub async fn restore(
    c: &mut store::Conn,
    stored: &StoredMember,
    member: &Member,
    on: NaiveDate,
    address: &str,
    now: i64,
) -> Result<Option<String>> {
    let steps = reg::steps(c, stored.id).await?;
    let history = reg::pec_history(c, stored.id).await?;
    let pec = history.iter().find(|p| p.official).map(official).transpose()?;
    let diffide = diffide(&steps)?;
    let input = MemberCompliance {
        member,
        pec: pec.as_ref(),
        diffide: &diffide,
    };
    let Compliance::Restored { suspended_on, .. } = compliance::assess(&input, on) else {
        return Ok(None);
    };
    reg::add_step(c, stored.id, "restored", &on.to_string(), address, now).await?;
    if suspended_on.is_some() && member.status == MemberStatus::Suspended {
        let mut m = member.clone();
        m.status = MemberStatus::Active;
        let data = serde_json::to_string(&m)?;
        reg::update_member(c, stored.id, &row(&m, &tag(&m.status), &data), now).await?;
        return Ok(Some(format!(
            "suspension of {} lifted, cycle closed",
            suspended_on.unwrap_or(on)
        )));
    }
    Ok(Some("warning cycle closed".into()))
}

/// The roll's report on `on`, with each member's id by codice fiscale.
/// The members by codice fiscale.
type ByCf = HashMap<String, (StoredMember, Member)>;

fn assess(roll: &Roll, on: NaiveDate) -> Result<(Report, ByCf)> {
    let mut all_diffide = HashMap::new();
    for (s, _) in &roll.members {
        all_diffide.insert(s.id, diffide(roll.steps.get(&s.id).map_or(&[][..], Vec::as_slice))?);
    }
    let inputs = roll.with_pec().map(|(s, member, pec)| MemberCompliance {
        member,
        pec,
        diffide: &all_diffide[&s.id],
    });
    let report = compliance::report(inputs, on);
    let by_cf = roll
        .members
        .iter()
        .map(|(s, m)| (s.codice_fiscale.clone(), (s.clone(), m.clone())))
        .collect();
    Ok((report, by_cf))
}

pub async fn run(cmd: Command) -> Result<ExitCode> {
    match cmd {
        Command::Report {
            order,
            date,
            json,
            data,
        } => {
            let on = date.unwrap_or_else(today);
            let store = data.store().await?;
            let mut c = store.conn().await?;
            let roll = current_roll(&mut c, &order, store::millis(chrono::Utc::now())).await?;
            let (report, _) = assess(&roll, on)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({ "date": on, "report": report }))?
                );
            } else {
                print_report(&roll.order.code, on, &report);
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
            let on = date.unwrap_or_else(today);
            let store = data.store().await?;
            let mut tx = store.begin().await?;
            let now = store::millis(chrono::Utc::now());
            let roll = current_roll(&mut tx, &order, now).await?;
            let (report, by_cf) = assess(&roll, on)?;
            for (cf, deadline) in &report.to_suspend {
                let (stored, member) = &by_cf[cf.as_str()];
                let steps = roll.steps.get(&stored.id).map_or(&[][..], Vec::as_slice);
                // Listed once per cycle: the first day found past the deadline.
                let listed = steps
                    .iter()
                    .any(|s| s.kind == "suspension-listed" && s.detail == deadline.to_string());
                if !listed {
                    reg::add_step(
                        &mut tx,
                        stored.id,
                        "suspension-listed",
                        &on.to_string(),
                        &deadline.to_string(),
                        now,
                    )
                    .await?;
                }
                if suspend {
                    reg::add_step(&mut tx, stored.id, "suspended", &on.to_string(), "", now).await?;
                    let mut m = member.clone();
                    m.status = MemberStatus::Suspended;
                    let data = serde_json::to_string(&m)?;
                    reg::update_member(&mut tx, stored.id, &row(&m, &tag(&m.status), &data), now).await?;
                }
            }
            tx.commit().await?;
            store.close().await;
            if json {
                let v: Vec<_> = report
                    .to_suspend
                    .iter()
                    .map(|(cf, d)| serde_json::json!({ "codice_fiscale": cf, "deadline": d }))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                for (cf, deadline) in &report.to_suspend {
                    let (_, m) = &by_cf[cf.as_str()];
                    println!("{:<16}  {} {}  deadline {deadline}", cf.as_str(), m.surname, m.name);
                }
                let verb = if suspend { "suspended" } else { "to suspend" };
                println!("{}: {} {verb} on {on}", roll.order.code, report.to_suspend.len());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One diffida to send by PEC.
struct ByPec<'a> {
    stored: &'a StoredMember,
    member: &'a Member,
    address: &'a str,
}

/// `compliance warn`: letters (and, with `--messages`, the PEC texts) are written
/// and their steps recorded in one transaction; then each PEC goes through the
/// engine and its step is recorded as soon as it is accepted, so an interrupted
/// campaign keeps what was sent and goes on from there when run again.
async fn warn(
    order: &str,
    date: Option<NaiveDate>,
    messages: Option<&Path>,
    letters: Option<&Path>,
    data: &DataArgs,
) -> Result<ExitCode> {
    let on = date.unwrap_or_else(today);
    let store = data.store().await?;
    let now = store::millis(chrono::Utc::now());
    let mut tx = store.begin().await?;
    let roll = current_roll(&mut tx, order, now).await?;
    let (report, by_cf) = assess(&roll, on)?;
    let mut by_pec = Vec::new();
    let mut by_letter = Vec::new();
    for (cf, channel) in &report.diffida_due {
        let (stored, member) = &by_cf[cf.as_str()];
        match channel {
            DiffidaChannel::Pec(address) => by_pec.push(ByPec {
                stored,
                member,
                address,
            }),
            DiffidaChannel::Letter => by_letter.push((stored, member)),
        }
    }
    if !by_letter.is_empty() && letters.is_none() {
        bail!("--letters: some members have no PEC and must be warned by letter: give a file to write them to");
    }
    let through_engine = !by_pec.is_empty() && messages.is_none();
    if through_engine {
        if let Some(why) = why_mailbox_cannot_send(&mut tx, &roll.order).await? {
            bail!("{why}: give --messages FILE to write the diffide there, for the Order to send them");
        }
        if on != today() {
            bail!(
                "--date {on}: a diffida sent by PEC is dated by its acceptance, today ({}); \
                 give --messages FILE to write the texts instead",
                today()
            );
        }
    }

    let mut letter_texts = String::new();
    for (stored, member) in &by_letter {
        reg::add_step(&mut tx, stored.id, "letter", &on.to_string(), "raccomandata A/R", now).await?;
        let text = diffida_text(&roll.order.name, member, on);
        let _ = write!(letter_texts, "{}\n\n{text}\n\x0c\n", letter_head(member));
    }
    if let Some(path) = letters {
        std::fs::write(path, &letter_texts).with_context(|| format!("--letters: cannot write {}", path.display()))?;
    }
    if let Some(path) = messages {
        let mut pec_texts = String::new();
        for p in &by_pec {
            reg::add_step(&mut tx, p.stored.id, "warned", &on.to_string(), p.address, now).await?;
            let _ = write!(
                pec_texts,
                "To: {}\nSubject: {DIFFIDA_SUBJECT}\n\n{}\n\n",
                p.address,
                diffida_text(&roll.order.name, p.member, on)
            );
        }
        std::fs::write(path, &pec_texts).with_context(|| format!("--messages: cannot write {}", path.display()))?;
    }
    tx.commit().await?;
    store.close().await;

    let mut sent = 0;
    if through_engine {
        let provider = Provider::open(&data.data, data.database.as_deref()).await?;
        let engine = &provider.engine;
        for p in &by_pec {
            let identificativo = match send_diffida(engine, &roll.order, p, on).await? {
                Ok(identificativo) => identificativo,
                Err(refusal) => bail!(
                    "{sent} of {} diffide sent by PEC; the one to {} <{}> was refused: {refusal}. \
                     The ones sent are recorded: run the campaign again to go on",
                    by_pec.len(),
                    p.member.codice_fiscale.as_str(),
                    p.address
                ),
            };
            let mut c = engine.store().conn().await?;
            reg::add_message_step(
                &mut c,
                p.stored.id,
                "warned",
                &on.to_string(),
                p.address,
                Some(&identificativo),
                store::millis(chrono::Utc::now()),
            )
            .await?;
            sent += 1;
            println!(
                "{}: diffida sent by PEC to {} ({identificativo})",
                p.member.codice_fiscale.as_str(),
                p.address
            );
        }
        engine.store().close().await;
    } else {
        sent = by_pec.len();
    }
    println!(
        "{}: {sent} warned by PEC, {} by letter on {on}",
        roll.order.code,
        by_letter.len()
    );
    Ok(ExitCode::SUCCESS)
}

const DIFFIDA_SUBJECT: &str = "Diffida ad adempiere: comunicazione del domicilio digitale";

/// Submits one diffida from the Order's mailbox: its identificativo, or the
/// refusal's text. The Message-ID is the Order's, the member's and the day's.
async fn send_diffida(
    engine: &engine::Engine,
    order: &StoredOrder,
    p: &ByPec<'_>,
    on: NaiveDate,
) -> Result<Result<String, String>> {
    let id = format!(
        "diffida.{}.{}.{}@{}",
        order.code.to_ascii_lowercase(),
        p.member.codice_fiscale.as_str().to_ascii_lowercase(),
        on.format("%Y%m%d"),
        mail_domain(order)
    );
    send_once(engine, order, p.address, &id, |m| {
        m.subject(DIFFIDA_SUBJECT)
            .text_body(diffida_text(&order.name, p.member, on))
            .write_to_vec()
            .context("cannot write the diffida")
    })
    .await
}

fn print_report(order: &str, on: NaiveDate, r: &Report) {
    println!("Order {order}, {on}:");
    println!("  without a valid PEC   {}", r.without_valid_pec.len());
    println!("  diffida due           {}", r.diffida_due.len());
    println!("  warned, term running  {}", r.warned.len());
    println!("  to suspend            {}", r.to_suspend.len());
    println!("  suspended             {}", r.suspended.len());
    println!("  restored              {}", r.restored.len());
    for (cf, c) in &r.diffida_due {
        let how = match c {
            DiffidaChannel::Pec(a) => format!("by PEC to {a}"),
            DiffidaChannel::Letter => "by letter".into(),
        };
        println!("  diffida due   {} {how}", cf.as_str());
    }
    for (cf, d) in &r.warned {
        println!("  warned        {} until {d}", cf.as_str());
    }
    for (cf, d) in &r.to_suspend {
        println!("  to suspend    {} (deadline {d})", cf.as_str());
    }
    for cf in &r.suspended {
        println!("  suspended     {}", cf.as_str());
    }
}

fn letter_head(m: &Member) -> String {
    let mut head = format!("{} {}", m.name, m.surname);
    if let Some(d) = &m.legal_domicile {
        let _ = write!(
            head,
            "\n{}\n{} {} ({})",
            d.street, d.postcode, d.municipality, d.province
        );
    }
    head
}

/// DL 185/2008 art. 16 c.7-bis: the formal warning, giving 30 days.
fn diffida_text(order: &str, m: &Member, on: NaiveDate) -> String {
    let deadline = on + chrono::Days::new(compliance::DEADLINE_DAYS);
    format!(
        "{order}\n\nAl/alla dott. {name} {surname}, codice fiscale {cf}\n\n\
         Oggetto: diffida ad adempiere all'obbligo di comunicazione del domicilio digitale\n\n\
         Ai sensi dell'art. 16, comma 7-bis, del D.L. 29 novembre 2008, n. 185, come modificato \
         dall'art. 37 del D.L. 16 luglio 2020, n. 76, ogni iscritto all'albo e' tenuto a comunicare \
         all'Ordine il proprio domicilio digitale (indirizzo PEC). Dai nostri registri non risulta \
         comunicato un indirizzo PEC valido.\n\n\
         La S.V. e' diffidata a provvedere entro trenta giorni dal ricevimento della presente, e \
         comunque entro il {deadline}. Decorso inutilmente tale termine, il Consiglio dell'Ordine \
         disporra' la sospensione dall'albo fino alla comunicazione del domicilio digitale.\n\n\
         Data: {date}",
        name = m.name,
        surname = m.surname,
        cf = m.codice_fiscale.as_str(),
        deadline = deadline.format("%d/%m/%Y"),
        date = on.format("%d/%m/%Y"),
    )
}
