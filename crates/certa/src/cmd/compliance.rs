//! `certa compliance report|warn|due`: the PEC duty of DL 185/2008 art. 16
//! c.7-bis (as rewritten by DL 76/2020 art. 37): members without a valid PEC
//! are warned (diffida), given 30 days, then listed for suspension; a member
//! who communicates an address is restored (`certa member set-pec`). Every step
//! is a dated row of `registry_compliance`, so the cycle can be shown later.
//!
//! The steps: `warned` (by PEC, detail the address) and `letter` open a cycle;
//! `suspension-listed` records the day the member appeared on the list to
//! suspend; `suspended` the Order's act (`due --suspend`); `restored` closes it.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use registry::compliance::{self, Compliance, Diffida, DiffidaChannel, MemberCompliance, Report};
use registry::{Member, MemberStatus};
use store::registry::{self as reg, StoredMember, StoredStep};

use super::mailbox::DataArgs;
use super::member::{Roll, official, row, tag, today};

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
    /// on file (texts written to --messages) or by letter (written to --letters).
    Warn {
        #[arg(long)]
        order: String,
        #[arg(long)]
        date: Option<NaiveDate>,
        /// Where to write the PEC messages' texts.
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
    for s in steps {
        let on = day(&s.on_date)?;
        let open = out.iter_mut().rev().find(|d| d.closed_on.is_none());
        match s.kind.as_str() {
            "warned" | "letter" => out.push(Diffida {
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
            }),
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
            let roll = Roll::load(&mut *store.conn().await?, &order).await?;
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
        } => {
            let on = date.unwrap_or_else(today);
            let store = data.store().await?;
            let mut tx = store.begin().await?;
            let roll = Roll::load(&mut tx, &order).await?;
            let (report, by_cf) = assess(&roll, on)?;
            let by_letter = report.diffida_due.iter().any(|(_, c)| *c == DiffidaChannel::Letter);
            if by_letter && letters.is_none() {
                bail!("--letters: some members have no PEC and must be warned by letter: give a file to write them to");
            }
            let now = store::millis(chrono::Utc::now());
            let (mut pec_texts, mut letter_texts) = (String::new(), String::new());
            let (mut sent, mut written) = (0, 0);
            for (cf, channel) in &report.diffida_due {
                let (stored, member) = &by_cf[cf.as_str()];
                let text = diffida_text(&roll.order.name, member, on);
                match channel {
                    DiffidaChannel::Pec(address) => {
                        reg::add_step(&mut tx, stored.id, "warned", &on.to_string(), address, now).await?;
                        let _ = write!(
                            pec_texts,
                            "To: {address}\nSubject: Diffida ad adempiere: comunicazione del domicilio digitale\n\n{text}\n\n"
                        );
                        sent += 1;
                    }
                    DiffidaChannel::Letter => {
                        reg::add_step(&mut tx, stored.id, "letter", &on.to_string(), "raccomandata A/R", now).await?;
                        let _ = write!(letter_texts, "{}\n\n{text}\n\x0c\n", letter_head(member));
                        written += 1;
                    }
                }
            }
            if let Some(path) = &messages {
                std::fs::write(path, &pec_texts)
                    .with_context(|| format!("--messages: cannot write {}", path.display()))?;
            }
            if let Some(path) = &letters {
                std::fs::write(path, &letter_texts)
                    .with_context(|| format!("--letters: cannot write {}", path.display()))?;
            }
            tx.commit().await?;
            store.close().await;
            println!("{}: {sent} warned by PEC, {written} by letter on {on}", roll.order.code);
        }
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
            let roll = Roll::load(&mut tx, &order).await?;
            let (report, by_cf) = assess(&roll, on)?;
            let now = store::millis(chrono::Utc::now());
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
