//! `certa member import|show|list|set-pec`: an Order's roll. An import is one
//! transaction (never half a file); a communicated PEC is checked
//! (`registry::pec_checks`) and kept with its history, exactly one official.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use registry::compliance::{self, MemberCompliance, OfficialPec};
use registry::model::Channel;
use registry::pec_checks::{self, AddressBook, PecCheckConfig, PecWarning};
use registry::roll::{Verdict, parse_roll, xlsx};
use registry::{Member, MemberStatus, TaxId};
use serde::Serialize;
use store::registry::{self as reg, MemberFilter, MemberRow, NewPec, StoredMember, StoredOrder, StoredPec, StoredStep};
use store::sqlx::Acquire as _;

use super::DataArgs;
use super::compliance::{diffide, restore};
use super::order::stored_order;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Import a roll (CSV or an Excel .xlsx workbook's first sheet: codice fiscale,
    /// cognome, nome, and optional columns; see crates/registry/src/roll). Every row
    /// is reported: imported, updated, unchanged or rejected with its reasons, with
    /// the warnings of the PEC checks. All or nothing: one transaction.
    Import {
        file: PathBuf,
        #[arg(long)]
        order: String,
        /// The day PEC addresses in the file count as communicated (default today).
        #[arg(long)]
        date: Option<NaiveDate>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        lists: CheckLists,
        #[command(flatten)]
        data: DataArgs,
    },
    /// A member: data, PEC addresses with their history, compliance steps.
    Show {
        codice_fiscale: String,
        #[arg(long)]
        order: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    List {
        #[arg(long)]
        order: String,
        /// active, suspended, struck-off or cancelled.
        #[arg(long)]
        status: Option<String>,
        /// Only the court experts (CTU).
        #[arg(long)]
        ctu: bool,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Record the PEC address a member communicated; it becomes the official one
    /// (the one before is kept in the history). Warnings are printed, never refused.
    SetPec {
        codice_fiscale: String,
        address: String,
        #[arg(long)]
        order: String,
        #[arg(long, value_enum)]
        channel: ChannelArg,
        /// The day the Order received it (default today).
        #[arg(long)]
        date: Option<NaiveDate>,
        #[command(flatten)]
        lists: CheckLists,
        #[command(flatten)]
        data: DataArgs,
    },
}

/// What the PEC checks compare against, besides this installation's domains and
/// the provider index's.
#[derive(clap::Args, Clone, Default)]
pub struct CheckLists {
    /// A PEC provider's domain besides this installation's and the provider index's (repeatable).
    #[arg(long = "provider-domain")]
    provider_domains: Vec<String>,
    /// An employer's institutional domain, whose PEC does not count (repeatable).
    #[arg(long = "institutional-domain")]
    institutional_domains: Vec<String>,
}

/// The checks of a communicated address (`registry::pec_checks`), plus what only
/// this installation knows: an address on one of its domains must be one of its
/// mailboxes, and not a closed one.
struct Checker {
    config: PecCheckConfig,
    book: AddressBook,
    local_domains: BTreeSet<String>,
}

/// An address's warnings as stored (JSON) and printed, and the flag that makes it not valid.
struct Checked {
    warnings: Vec<String>,
    json: String,
    flag: Option<String>,
}

impl Checker {
    /// `book`: (address, owner) of every official address the new one may clash with.
    async fn new(c: &mut store::Conn, data: &DataArgs, lists: CheckLists, book: &[(String, TaxId)]) -> Result<Checker> {
        let local_domains: BTreeSet<String> = store::mailboxes::domains(c)
            .await?
            .into_iter()
            .map(|d| d.trim().to_lowercase())
            .collect();
        let config = PecCheckConfig {
            provider_domains: provider_domains(&local_domains, data, lists.provider_domains)?,
            institutional_domains: lists
                .institutional_domains
                .into_iter()
                .map(|d| d.trim().to_lowercase())
                .collect(),
            ..PecCheckConfig::default()
        };
        Ok(Checker {
            config,
            book: AddressBook::new(book.iter().map(|(a, o)| (a.as_str(), o))),
            local_domains,
        })
    }

    async fn check(&self, c: &mut store::Conn, address: &str, owner: &TaxId) -> Result<Checked> {
        let found = pec_checks::check_address(address, owner, &self.config, &self.book);
        let mut warnings: Vec<String> = found.iter().map(ToString::to_string).collect();
        // What makes an address not count at all, beyond a warning: not an address, an
        // employer's institutional PEC, a citizen's CEC-PAC (already among the warnings).
        let refused = found.iter().find(|w| {
            matches!(
                w,
                PecWarning::Malformed { .. } | PecWarning::InstitutionalDomain { .. } | PecWarning::CecPac { .. }
            )
        });
        let flag = match refused {
            Some(w) => Some(format!("refused: {w}")),
            None => {
                let not_here = self.not_open_here(c, address).await?;
                if let Some(why) = &not_here {
                    warnings.push(format!("{why}: not valid"));
                }
                not_here
            }
        };
        Ok(Checked {
            warnings,
            json: serde_json::to_string(&found)?,
            flag,
        })
    }

    /// Why an address on one of this installation's domains cannot receive here
    /// (no such mailbox, or a closed one); None for other domains.
    async fn not_open_here(&self, c: &mut store::Conn, address: &str) -> Result<Option<String>> {
        let Some((_, domain)) = address.rsplit_once('@') else {
            return Ok(None);
        };
        if !self.local_domains.contains(domain) {
            return Ok(None);
        }
        Ok(match store::mailboxes::get(c, address).await? {
            None => Some(format!("there is no mailbox {address} on this provider")),
            Some(m) if m.status == store::mailboxes::Status::Closed => {
                Some(format!("mailbox {address} of this provider is closed"))
            }
            Some(_) => None,
        })
    }
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ChannelArg {
    ReservedArea,
    Pec,
    Paper,
}

impl From<ChannelArg> for Channel {
    fn from(c: ChannelArg) -> Channel {
        match c {
            ChannelArg::ReservedArea => Channel::ReservedArea,
            ChannelArg::Pec => Channel::Pec,
            ChannelArg::Paper => Channel::Paper,
        }
    }
}

/// Today in Italy: the registers' days are Italian days.
pub fn today() -> NaiveDate {
    chrono::Utc::now().with_timezone(&chrono_tz::Europe::Rome).date_naive()
}

/// A serde enum's kebab-case name (`MemberStatus::StruckOff` → `struck-off`).
pub fn tag<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub fn decode(m: &StoredMember) -> Result<Member> {
    serde_json::from_str(&m.data).with_context(|| {
        format!(
            "member {} of Order {} stored in the database is not valid",
            m.codice_fiscale, m.order_code
        )
    })
}

fn date(text: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").with_context(|| format!("bad date {text:?} in the database"))
}

pub fn official(p: &StoredPec) -> Result<OfficialPec> {
    Ok(OfficialPec {
        address: p.address.clone(),
        communicated_on: date(&p.communicated_on)?,
        valid: p.valid,
    })
}

/// An Order's roll as the registry crate reads it: members, official addresses,
/// compliance steps.
pub struct Roll {
    pub order: StoredOrder,
    pub members: Vec<(StoredMember, Member)>,
    pub official: HashMap<i64, OfficialPec>,
    pub steps: HashMap<i64, Vec<StoredStep>>,
}

impl Roll {
    pub async fn load(c: &mut store::Conn, order: &str) -> Result<Roll> {
        let order = stored_order(c, order).await?;
        let mut members = Vec::new();
        for m in reg::members(c, &order.code, MemberFilter::default()).await? {
            let member = decode(&m)?;
            members.push((m, member));
        }
        let mut official = HashMap::new();
        for p in reg::official_pecs(c, &order.code).await? {
            official.insert(p.member_id, self::official(&p)?);
        }
        let mut steps: HashMap<i64, Vec<StoredStep>> = HashMap::new();
        for s in reg::order_steps(c, &order.code).await? {
            steps.entry(s.member_id).or_default().push(s);
        }
        Ok(Roll {
            order,
            members,
            official,
            steps,
        })
    }

    /// Each member with its official address, valid or not.
    pub fn with_pec(&self) -> impl Iterator<Item = (&StoredMember, &Member, Option<&OfficialPec>)> {
        self.members.iter().map(|(s, m)| (s, m, self.official.get(&s.id)))
    }
}

pub fn row<'a>(member: &'a Member, status: &'a str, data: &'a str) -> MemberRow<'a> {
    MemberRow {
        codice_fiscale: member.codice_fiscale.as_str(),
        surname: &member.surname,
        status,
        ctu: member.ctu,
        data,
    }
}

pub async fn run(cmd: Command) -> Result<ExitCode> {
    match cmd {
        Command::Import {
            file,
            order,
            date,
            json,
            lists,
            data,
        } => import(&file, &order, date.unwrap_or_else(today), json, lists, &data).await,
        Command::Show {
            codice_fiscale,
            order,
            json,
            data,
        } => show(&codice_fiscale, &order, json, &data).await,
        Command::List {
            order,
            status,
            ctu,
            json,
            data,
        } => list(&order, status.as_deref(), ctu, json, &data).await,
        Command::SetPec {
            codice_fiscale,
            address,
            order,
            channel,
            date,
            lists,
            data,
        } => {
            set_pec(
                &codice_fiscale,
                &address,
                &order,
                channel.into(),
                date.unwrap_or_else(today),
                lists,
                &data,
            )
            .await
        }
    }
}

#[derive(Serialize)]
struct RowReport {
    line: u64,
    codice_fiscale: Option<String>,
    /// imported, updated, unchanged or rejected.
    outcome: &'static str,
    reasons: Vec<String>,
    warnings: Vec<String>,
}

async fn import(
    file: &Path,
    order: &str,
    day: NaiveDate,
    json: bool,
    lists: CheckLists,
    data: &DataArgs,
) -> Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let roll = if xlsx::is_xlsx(&bytes) {
        xlsx::parse_xlsx(&bytes)
    } else {
        parse_roll(&bytes)
    }
    .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let store = data.store().await?;
    let mut tx = store.begin().await?;
    let order = stored_order(&mut tx, order).await?;
    let existing: HashMap<String, StoredMember> = reg::members(&mut tx, &order.code, MemberFilter::default())
        .await?
        .into_iter()
        .map(|m| (m.codice_fiscale.clone(), m))
        .collect();
    let mut official: HashMap<i64, String> = reg::official_pecs(&mut tx, &order.code)
        .await?
        .into_iter()
        .map(|p| (p.member_id, p.address))
        .collect();
    // Shared addresses: against every Order's official addresses and the file's own.
    let mut book: Vec<(String, TaxId)> = reg::all_official_addresses(&mut tx)
        .await?
        .into_iter()
        .filter_map(|(a, cf)| Some((a, TaxId::parse(&cf).ok()?)))
        .collect();
    book.extend(roll.rows.iter().filter_map(|r| match &r.verdict {
        Verdict::Accepted(a) => Some((
            pec_checks::normalise(a.pec.as_deref()?),
            a.member.codice_fiscale.clone(),
        )),
        Verdict::Rejected { .. } => None,
    }));
    let checker = Checker::new(&mut tx, data, lists, &book).await?;
    let now = store::millis(chrono::Utc::now());
    let day_text = day.to_string();
    let total = roll.rows.len();
    let mut reports = Vec::with_capacity(total);
    let mut new = Vec::with_capacity(NEW_AT_ONCE);
    for (i, r) in roll.rows.iter().enumerate() {
        if total >= 1000 && (i + 1) % 1000 == 0 {
            eprintln!("{}: {} of {total} rows", file.display(), i + 1);
        }
        let accepted = match &r.verdict {
            Verdict::Rejected { reasons } => {
                reports.push(RowReport {
                    line: r.line,
                    codice_fiscale: None,
                    outcome: "rejected",
                    reasons: reasons.iter().map(|x| x.to_string()).collect(),
                    warnings: Vec::new(),
                });
                continue;
            }
            Verdict::Accepted(a) => a,
        };
        let member = &accepted.member;
        let cf = member.codice_fiscale.as_str().to_owned();
        let data_json = serde_json::to_string(member)?;
        let status = tag(&member.status);
        let context = || format!("line {} ({cf})", r.line);
        let (id, mut outcome) = match existing.get(&cf) {
            Some(m) if decode(m)? == *member => (m.id, "unchanged"),
            Some(m) => {
                reg::update_member(&mut tx, m.id, &row(member, &status, &data_json), now)
                    .await
                    .with_context(context)?;
                (m.id, "updated")
            }
            None => {
                let mut warnings: Vec<String> = accepted.warnings.iter().map(|w| w.to_string()).collect();
                let pec = match accepted.pec.as_deref().map(pec_checks::normalise) {
                    Some(address) => {
                        let checked = checker.check(&mut tx, &address, &member.codice_fiscale).await?;
                        warnings.extend(checked.warnings.iter().cloned());
                        Some((address, checked))
                    }
                    None => None,
                };
                new.push(NewMember {
                    line: r.line,
                    member,
                    status,
                    data: data_json,
                    pec,
                });
                if new.len() == NEW_AT_ONCE {
                    insert_new(&mut tx, &order.code, &new, &day_text, now).await?;
                    new.clear();
                }
                reports.push(RowReport {
                    line: r.line,
                    codice_fiscale: Some(cf),
                    outcome: "imported",
                    reasons: Vec::new(),
                    warnings,
                });
                continue;
            }
        };
        let mut warnings: Vec<String> = accepted.warnings.iter().map(|w| w.to_string()).collect();
        if let Some(pec) = accepted.pec.as_deref().map(pec_checks::normalise)
            && official.get(&id) != Some(&pec)
        {
            let checked = checker.check(&mut tx, &pec, &member.codice_fiscale).await?;
            warnings.extend(checked.warnings.iter().cloned());
            let new = NewPec {
                address: &pec,
                communicated_on: &day_text,
                channel: &tag(&Channel::Import),
                official: true,
                warnings: &checked.json,
                flag: checked.flag.as_deref(),
            };
            if official.contains_key(&id) {
                reg::add_pec(&mut tx, id, &new, now).await.with_context(context)?;
            } else {
                reg::add_first_pec(&mut tx, id, &new, now).await.with_context(context)?;
            }
            official.insert(id, pec);
            if outcome == "unchanged" {
                outcome = "updated";
            }
        }
        reports.push(RowReport {
            line: r.line,
            codice_fiscale: Some(cf),
            outcome,
            reasons: Vec::new(),
            warnings,
        });
    }
    insert_new(&mut tx, &order.code, &new, &day_text, now).await?;
    tx.commit()
        .await
        .with_context(|| format!("{}: nothing was imported", file.display()))?;
    store.close().await;
    let count = |o: &str| reports.iter().filter(|r| r.outcome == o).count();
    let (imported, updated, unchanged, rejected) = (
        count("imported"),
        count("updated"),
        count("unchanged"),
        count("rejected"),
    );
    if json {
        let v = serde_json::json!({
            "order": order.code,
            "imported": imported, "updated": updated, "unchanged": unchanged, "rejected": rejected,
            "rows": reports,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        for r in reports.iter().filter(|r| r.outcome != "unchanged") {
            let cf = r.codice_fiscale.as_deref().unwrap_or("-");
            let mut notes = r.reasons.clone();
            notes.extend(r.warnings.iter().map(|w| format!("warning: {w}")));
            println!("line {:>6}  {:<16}  {:<9} {}", r.line, cf, r.outcome, notes.join("; "));
        }
        println!("{imported} imported, {updated} updated, {unchanged} unchanged, {rejected} rejected");
    }
    Ok(ExitCode::SUCCESS)
}

/// A member new to the roll, written with others by [`insert_new`].
struct NewMember<'a> {
    line: u64,
    member: &'a Member,
    status: String,
    data: String,
    /// The official address, normalised, and what its checks found.
    pec: Option<(String, Checked)>,
}

fn imported_pec<'a>((address, checked): &'a (String, Checked), day: &'a str, channel: &'a str) -> NewPec<'a> {
    NewPec {
        address,
        communicated_on: day,
        channel,
        official: true,
        warnings: &checked.json,
        flag: checked.flag.as_deref(),
    }
}

/// New members written by one [`insert_new`].
const NEW_AT_ONCE: usize = 10 * reg::BATCH;

/// Writes new members with their addresses, [`reg::BATCH`] to a statement
/// (`reg::insert_members`): a statement per member and per address made the
/// import of 100 000 members take ~20 s, mostly waiting for round trips to the
/// database (`certa registry bench`). A batch that fails is undone (a
/// savepoint) and written again row by row, so that the error names the row.
async fn insert_new(tx: &mut store::Tx, order: &str, batch: &[NewMember<'_>], day: &str, now: i64) -> Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let rows: Vec<MemberRow> = batch.iter().map(|n| row(n.member, &n.status, &n.data)).collect();
    let channel = tag(&Channel::Import);
    let mut savepoint = tx.begin().await?;
    let written = async {
        let ids = reg::insert_members(&mut savepoint, order, &rows, now).await?;
        let pecs: Vec<(i64, NewPec)> = ids
            .into_iter()
            .zip(batch)
            .filter_map(|(id, n)| Some((id, imported_pec(n.pec.as_ref()?, day, &channel))))
            .collect();
        reg::add_first_pecs(&mut savepoint, &pecs, now).await
    }
    .await;
    if written.is_ok() {
        savepoint.commit().await?;
        return Ok(());
    }
    savepoint.rollback().await?;
    for (n, r) in batch.iter().zip(&rows) {
        let context = || format!("line {} ({})", n.line, r.codice_fiscale);
        let id = reg::insert_member(tx, order, r, now).await.with_context(context)?;
        if let Some(address) = &n.pec {
            let pec = imported_pec(address, day, &channel);
            reg::add_first_pec(tx, id, &pec, now).await.with_context(context)?;
        }
    }
    let lines = (batch[0].line, batch[batch.len() - 1].line);
    written.with_context(|| format!("lines {}-{}", lines.0, lines.1))
}

async fn member_of(c: &mut store::Conn, order: &StoredOrder, cf: &str) -> Result<(StoredMember, Member)> {
    let tax_id = TaxId::parse(cf).map_err(|e| anyhow::anyhow!("CODICE_FISCALE {cf:?}: {e}"))?;
    let stored = reg::member(c, &order.code, tax_id.as_str()).await?.with_context(|| {
        format!(
            "CODICE_FISCALE: {} is not on the roll of Order {}",
            tax_id.as_str(),
            order.code
        )
    })?;
    let member = decode(&stored)?;
    Ok((stored, member))
}

async fn show(cf: &str, order: &str, json: bool, data: &DataArgs) -> Result<ExitCode> {
    let store = data.store().await?;
    let mut c = store.conn().await?;
    let order = stored_order(&mut c, order).await?;
    let (stored, member) = member_of(&mut c, &order, cf).await?;
    let history = reg::pec_history(&mut c, stored.id).await?;
    let steps = reg::steps(&mut c, stored.id).await?;
    let pec = history.iter().find(|p| p.official).map(official).transpose()?;
    let diffide = diffide(&steps)?;
    let state = compliance::assess(
        &MemberCompliance {
            member: &member,
            pec: pec.as_ref(),
            diffide: &diffide,
        },
        today(),
    );
    if json {
        let v = serde_json::json!({ "member": member, "pec": history, "steps": steps, "compliance": state });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} {} ({})",
        member.name,
        member.surname,
        member.codice_fiscale.as_str()
    );
    println!(
        "  status        {}{}",
        stored.status,
        if member.ctu { ", court expert (CTU)" } else { "" }
    );
    if let Some(n) = &member.registration_number {
        println!(
            "  registration  {n}{}",
            member.registration_date.map(|d| format!(" of {d}")).unwrap_or_default()
        );
    }
    for p in &history {
        let mark = if p.official { "official" } else { "        " };
        let superseded = p
            .superseded_on
            .as_deref()
            .map(|d| format!(", superseded {d}"))
            .unwrap_or_default();
        let invalid = match (&p.valid, &p.flag) {
            (true, _) => String::new(),
            (false, Some(why)) => format!(", NOT VALID: {why}"),
            (false, None) => ", NOT VALID".into(),
        };
        println!(
            "  PEC {mark} {} ({} by {}{superseded}{invalid})",
            p.address, p.communicated_on, p.channel
        );
    }
    if history.is_empty() {
        println!("  PEC           none communicated");
    }
    for s in &steps {
        let message = s.message.as_deref().map(|m| format!(" ({m})")).unwrap_or_default();
        println!("  {}  {} {}{message}", s.on_date, s.kind, s.detail);
    }
    println!(
        "  compliance    {}",
        serde_json::to_value(&state)?["state"].as_str().unwrap_or_default()
    );
    Ok(ExitCode::SUCCESS)
}

async fn list(order: &str, status: Option<&str>, ctu: bool, json: bool, data: &DataArgs) -> Result<ExitCode> {
    if let Some(s) = status
        && serde_json::from_value::<MemberStatus>(serde_json::Value::String(s.to_owned())).is_err()
    {
        bail!("--status {s:?}: one of active, suspended, struck-off, cancelled");
    }
    let store = data.store().await?;
    let mut c = store.conn().await?;
    let order = stored_order(&mut c, order).await?;
    let members = reg::members(&mut c, &order.code, MemberFilter { status, ctu }).await?;
    let official: HashMap<i64, String> = reg::official_pecs(&mut c, &order.code)
        .await?
        .into_iter()
        .map(|p| (p.member_id, p.address))
        .collect();
    if json {
        let mut v = Vec::new();
        for m in &members {
            v.push(serde_json::json!({ "member": decode(m)?, "status": m.status, "pec": official.get(&m.id) }));
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        for m in &members {
            let member = decode(m)?;
            println!(
                "{:<16}  {:<24} {:<10} {:<3} {}",
                m.codice_fiscale,
                format!("{} {}", member.surname, member.name),
                m.status,
                if m.ctu { "CTU" } else { "" },
                official.get(&m.id).map(String::as_str).unwrap_or("-")
            );
        }
        eprintln!("{} members", members.len());
    }
    Ok(ExitCode::SUCCESS)
}

/// The PEC providers' domains: this installation's (`local`), the provider index's, and the given ones.
fn provider_domains(local: &BTreeSet<String>, data: &DataArgs, extra: Vec<String>) -> Result<BTreeSet<String>> {
    let mut domains = local.clone();
    let config = crate::provider::ProviderConfig::load(&data.data)?;
    let index = engine::index::ProviderIndex::load(&data.data.join(&config.index))?;
    domains.extend(index.providers.iter().flat_map(|p| p.domains.iter().cloned()));
    domains.extend(extra);
    Ok(domains.into_iter().map(|d| d.trim().to_lowercase()).collect())
}

async fn set_pec(
    cf: &str,
    address: &str,
    order: &str,
    channel: Channel,
    day: NaiveDate,
    lists: CheckLists,
    data: &DataArgs,
) -> Result<ExitCode> {
    let address = pec_checks::normalise(address);
    if let Err(e) = pec_checks::split(&address) {
        bail!("ADDRESS {address:?}: {e}");
    }
    let store = data.store().await?;
    let mut tx = store.begin().await?;
    let order = stored_order(&mut tx, order).await?;
    let (stored, member) = member_of(&mut tx, &order, cf).await?;
    let owners: Vec<(String, TaxId)> = reg::official_owners(&mut tx, &address)
        .await?
        .iter()
        .filter_map(|o| TaxId::parse(o).ok())
        .map(|o| (address.clone(), o))
        .collect();
    let checker = Checker::new(&mut tx, data, lists, &owners).await?;
    let checked = checker.check(&mut tx, &address, &member.codice_fiscale).await?;
    let now = store::millis(chrono::Utc::now());
    let new = NewPec {
        address: &address,
        communicated_on: &day.to_string(),
        channel: &tag(&channel),
        official: true,
        warnings: &checked.json,
        flag: checked.flag.as_deref(),
    };
    reg::add_pec(&mut tx, stored.id, &new, now).await?;
    for w in &checked.warnings {
        eprintln!("warning: {address}: {w}");
    }
    // A member warned (or suspended) for want of a PEC is restored by communicating one.
    let restored = restore(&mut tx, &stored, &member, day, &address, now).await?;
    tx.commit().await?;
    store.close().await;
    println!(
        "{}: official PEC {address} communicated {day} by {}",
        member.codice_fiscale.as_str(),
        tag(&channel)
    );
    if let Some(what) = restored {
        println!("{}: {what}", member.codice_fiscale.as_str());
    }
    Ok(ExitCode::SUCCESS)
}
