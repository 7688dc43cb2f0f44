//! The driver of `certa registry bench`: how long an Order's registry takes over
//! a large roll (issue 6: "100 000 members: INI-PEC export and compliance report
//! as benchmarks").
//!
//! A fresh store (a temporary SQLite one, or the empty PostgreSQL database
//! given) gets, for each run, one Order with N generated members: valid codici
//! fiscali from `CodiceFiscale::compute`, ~95 % with an official PEC (a few of
//! them found invalid), ~3 % court experts, ~2 % off the roll, the others
//! without a PEC, some of them already warned by letter. The members are
//! written with the store functions the import uses, 5 000 to a transaction,
//! and that is timed. Then the office's own functions, the ones the commands
//! call, are timed in-process on a clock set to the day measured:
//!
//! - `office::registry::inipec::export` of the first day (every listed member
//!   an insertion), then of the next day, after ~0.5 % of the roll changed: new
//!   PEC addresses, cancellations, new members, a third each;
//! - `office::registry::compliance::report` over every member, on the next day;
//! - `office::registry::import::import` of the whole roll as CSV (read from
//!   its file) into a second, empty Order, with `registry::roll::parse_roll`
//!   alone timed beside it.
//!
//! Each run has Orders of its own, so later runs find the earlier runs' rows in
//! the tables, as an installation serving several Orders does.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeZone, Utc};
use engine::Clock;
use office::Office;
use office::registry::import::{self, RollFile};
use office::registry::orders::{self, NewOrder};
use office::registry::pec_checker::CheckLists;
use office::registry::stored::{member_row, tag};
use office::registry::{compliance, inipec};
use registry::MemberStatus;
use registry::inipec::IniPecFormat;
use registry::model::Channel;
use store::registry::{self as reg, MemberRow, NewPec};

mod roll;
use roll::{Generated, generate, roll_csv};

/// What to measure.
pub struct Settings<'a> {
    /// How many members the Order has.
    pub members: u32,
    /// An empty PostgreSQL database instead of a SQLite one in `dir`.
    pub database: Option<&'a str>,
    /// The first INI-PEC day; the next day is measured after it.
    pub day: NaiveDate,
    /// Where the provider's data and the roll's CSV go.
    pub dir: &'a Path,
}

/// One measurement: how many rows or members, in how long.
#[derive(Debug, Clone, Copy)]
pub struct Timed {
    pub count: usize,
    pub wall: Duration,
}

impl Timed {
    pub fn secs(self) -> f64 {
        self.wall.as_secs_f64()
    }
}

/// The measurements of one run.
pub struct Run {
    pub written: Timed,
    pub first_day: Timed,
    pub next_day: Timed,
    pub report: Timed,
    pub without_pec: usize,
    pub csv_import: Timed,
    pub parse_roll: Timed,
}

/// The generated roll, as the runs will find it.
pub struct RollSummary {
    pub members: usize,
    /// Listed in INI-PEC: enrolled, with a valid official PEC.
    pub listed: usize,
    pub without_valid_pec: usize,
    pub ctu: usize,
    pub generated_in: Duration,
}

/// The clock of the office measured: moved by the bench from day to day.
struct BenchClock(Mutex<DateTime<Utc>>);

impl Clock for BenchClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What every run reads: the office, the generated roll and what the
/// functions must find in it.
pub struct Bench {
    office: Office,
    clock: Arc<BenchClock>,
    first: NaiveDate,
    roll: Vec<Generated>,
    /// The members who join the roll before the next day.
    newcomers: Vec<Generated>,
    csv: PathBuf,
    summary: RollSummary,
}

impl Bench {
    /// A provider in `settings.dir` with an empty registry, and the roll generated.
    pub async fn prepare(settings: &Settings<'_>) -> Result<Bench> {
        let dir = settings.dir;
        let clock = Arc::new(BenchClock(Mutex::new(noon(settings.day))));
        let office = super::office_in(dir, settings.database, clock.clone()).await?;
        if !orders::list(&office).await?.is_empty() {
            bail!(
                "{} already holds Orders: give an empty database",
                office.store().describe()
            );
        }

        let n = settings.members as usize;
        // A third of the next day's changes: ~0.5 % of the roll in all.
        let changes = (n / 600).max(1);
        let started = Instant::now();
        let mut taken = HashSet::with_capacity(n + changes);
        let mut everyone = (0..n + changes)
            .map(|i| generate(i, settings.day, &mut taken))
            .collect::<Result<Vec<_>>>()?;
        let newcomers = everyone.split_off(n);
        let roll = everyone;
        let csv = dir.join("roll.csv");
        std::fs::write(&csv, roll_csv(&roll)).with_context(|| format!("cannot write {}", csv.display()))?;
        let summary = RollSummary {
            members: n,
            listed: roll.iter().filter(|g| g.listed()).count(),
            without_valid_pec: roll
                .iter()
                .filter(|g| g.member.status.enrolled() && !g.listed())
                .count(),
            ctu: roll.iter().filter(|g| g.member.ctu).count(),
            generated_in: started.elapsed(),
        };
        Ok(Bench {
            office,
            clock,
            first: settings.day,
            roll,
            newcomers,
            csv,
            summary,
        })
    }

    /// Where the registry is kept.
    pub fn store(&self) -> String {
        self.office.store().describe()
    }

    pub fn roll(&self) -> &RollSummary {
        &self.summary
    }

    /// The `k`-th run, on Orders of its own.
    pub async fn run(&self, k: u32) -> Result<Run> {
        let (first, next) = (self.first, self.first + Days::new(1));
        self.set_day(first);
        let code = format!("BENCH-{k}");
        self.put_order(&code).await?;
        let t = Instant::now();
        let ids = self.write_roll(&code, first).await?;
        let written = Timed {
            count: self.roll.len(),
            wall: t.elapsed(),
        };
        self.mark_roll(&ids, first).await?;

        let first_day = self.inipec(&code).await?;
        if first_day.count != self.summary.listed {
            bail!(
                "INI-PEC of the first day: {} rows, expected {}",
                first_day.count,
                self.summary.listed
            );
        }
        self.set_day(next);
        let expected_next = self.change_roll(&code, next).await?;
        let next_day = self.inipec(&code).await?;
        if next_day.count != expected_next {
            bail!(
                "INI-PEC of the next day: {} rows, expected {expected_next}",
                next_day.count
            );
        }

        let t = Instant::now();
        let report = compliance::report(&self.office, &code, None).await?;
        let wall = t.elapsed();
        let without_pec = report.report.without_valid_pec.len();
        if without_pec != self.summary.without_valid_pec {
            bail!(
                "compliance report: {without_pec} members without a valid PEC, expected {}",
                self.summary.without_valid_pec
            );
        }
        let report = Timed {
            count: self.roll.len() + self.newcomers.len(),
            wall,
        };

        let (csv_import, parse_roll) = self.import(k).await?;
        Ok(Run {
            written,
            first_day,
            next_day,
            report,
            without_pec,
            csv_import,
            parse_roll,
        })
    }

    pub async fn close(self) {
        self.office.close().await;
    }

    fn set_day(&self, day: NaiveDate) {
        *self.clock.0.lock().unwrap_or_else(|e| e.into_inner()) = noon(day);
    }

    /// The import of the roll's CSV into an empty Order, and `parse_roll` alone.
    async fn import(&self, k: u32) -> Result<(Timed, Timed)> {
        let code = format!("CSV-{k}");
        self.put_order(&code).await?;
        let lists = CheckLists::default();
        let t = Instant::now();
        let bytes = std::fs::read(&self.csv).with_context(|| format!("cannot read {}", self.csv.display()))?;
        let file = RollFile {
            order: &code,
            bytes: &bytes,
            date: Some(self.first),
            lists: &lists,
        };
        let report = import::import(&self.office, &file, &mut |_| {}).await?;
        let wall = t.elapsed();
        let n = self.roll.len();
        if report.imported != n {
            bail!("member import: {} members imported, expected {n}", report.imported);
        }
        let t = Instant::now();
        let parsed = registry::roll::parse_roll(&bytes).map_err(|e| anyhow::anyhow!("{e}"))?;
        let parse_roll = Timed {
            count: parsed.accepted().count(),
            wall: t.elapsed(),
        };
        Ok((Timed { count: n, wall }, parse_roll))
    }

    /// The INI-PEC export of the clock's day, and its rows.
    async fn inipec(&self, code: &str) -> Result<Timed> {
        let t = Instant::now();
        let export = inipec::export(&self.office, code, None, &IniPecFormat::default()).await?;
        Ok(Timed {
            count: export.rows as usize,
            wall: t.elapsed(),
        })
    }

    async fn put_order(&self, code: &str) -> Result<()> {
        let name = format!("Ordine di prova {code}");
        let order = NewOrder {
            code,
            name: &name,
            tax_id: "80003530484",
            codice_ente: "80003530484",
            pec: "segreteria@pec.ordine.test",
            delegate: None,
        };
        orders::add(&self.office, &order).await?;
        Ok(())
    }

    /// The roll written as the import writes new members, 5 000 to a
    /// transaction; their ids.
    async fn write_roll(&self, code: &str, first_day: NaiveDate) -> Result<Vec<i64>> {
        let communicated_on = (first_day - Days::new(60)).to_string();
        let now = self.office.now_ms();
        let mut ids = Vec::with_capacity(self.roll.len());
        for chunk in self.roll.chunks(5000) {
            let mut tx = self.office.store().begin().await?;
            ids.extend(insert_batch(&mut tx, code, chunk, &communicated_on, now).await?);
            tx.commit().await?;
        }
        Ok(ids)
    }

    /// What the bench adds to the roll as written: addresses found invalid, letters sent.
    async fn mark_roll(&self, ids: &[i64], first_day: NaiveDate) -> Result<()> {
        let now = self.office.now_ms();
        let mut tx = self.office.store().begin().await?;
        for (g, &id) in self.roll.iter().zip(ids) {
            if g.invalid {
                for pec in reg::pec_history(&mut tx, id).await? {
                    reg::set_pec_valid(&mut tx, pec.id, false).await?;
                }
            }
            if let Some(days) = g.letter_days_before {
                let sent = (first_day - Days::new(days)).to_string();
                reg::add_step(&mut tx, id, "letter", &sent, "raccomandata A/R", now).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Between the two days: a third of the changes are listed members who
    /// communicate a new PEC, a third listed members who leave the roll, a third
    /// new members with a PEC. Each is one INI-PEC row; their number is returned.
    async fn change_roll(&self, code: &str, day: NaiveDate) -> Result<usize> {
        let listed: Vec<&Generated> = self.roll.iter().filter(|g| g.listed()).collect();
        let picks = 2 * self.newcomers.len();
        if listed.len() < picks {
            bail!("too few listed members to change");
        }
        let now = self.office.now_ms();
        let day_text = day.to_string();
        let mut tx = self.office.store().begin().await?;
        for j in 0..picks {
            let g = listed[j * listed.len() / picks];
            let cf = g.member.codice_fiscale.as_str();
            let stored = reg::member(&mut tx, code, cf)
                .await?
                .with_context(|| format!("{cf} is not on the roll of {code}"))?;
            if j % 2 == 0 {
                let address = format!("nuova.{}", g.pec.as_deref().unwrap_or_default());
                let new = NewPec {
                    address: &address,
                    communicated_on: &day_text,
                    channel: &tag(&Channel::Pec),
                    official: true,
                    warnings: "[]",
                    flag: None,
                };
                reg::add_pec(&mut tx, stored.id, &new, now).await?;
            } else {
                let mut m = g.member.clone();
                m.status = MemberStatus::Cancelled;
                m.cancellation_date = Some(day);
                let data = serde_json::to_string(&m)?;
                reg::update_member(&mut tx, stored.id, &member_row(&m, &tag(&m.status), &data), now).await?;
            }
        }
        let newcomers: Vec<Generated> = self
            .newcomers
            .iter()
            .map(|g| {
                let mut member = g.member.clone();
                member.status = MemberStatus::Active;
                member.cancellation_date = None;
                member.registration_date = Some(day);
                let cf = member.codice_fiscale.as_str().to_lowercase();
                Generated {
                    member,
                    pec: Some(g.pec.clone().unwrap_or_else(|| format!("{cf}@pec.it"))),
                    invalid: false,
                    letter_days_before: None,
                }
            })
            .collect();
        insert_batch(&mut tx, code, &newcomers, &day_text, now).await?;
        tx.commit().await?;
        Ok(picks + newcomers.len())
    }
}

/// Noon in Italy on `day`: the instant the bench's office works at.
fn noon(day: NaiveDate) -> DateTime<Utc> {
    chrono_tz::Europe::Rome
        .from_local_datetime(&day.and_time(NaiveTime::from_hms_opt(12, 0, 0).unwrap_or_default()))
        .single()
        .map_or_else(|| day.and_time(NaiveTime::MIN).and_utc(), |t| t.with_timezone(&Utc))
}

/// The measurement with the median wall time.
pub fn median(runs: &[Timed]) -> Timed {
    let mut sorted = runs.to_vec();
    sorted.sort_by_key(|t| t.wall);
    sorted[sorted.len() / 2]
}

/// Members and their official PEC, with the store functions `certa member
/// import` writes new members with; their ids.
async fn insert_batch(
    c: &mut store::Conn,
    code: &str,
    batch: &[Generated],
    communicated_on: &str,
    now: i64,
) -> Result<Vec<i64>> {
    let columns = batch
        .iter()
        .map(|g| Ok((tag(&g.member.status), serde_json::to_string(&g.member)?)))
        .collect::<Result<Vec<_>>>()?;
    let rows: Vec<MemberRow> = batch
        .iter()
        .zip(&columns)
        .map(|(g, (status, data))| member_row(&g.member, status, data))
        .collect();
    let ids = reg::insert_members(c, code, &rows, now).await?;
    let channel = tag(&Channel::Import);
    let pecs: Vec<(i64, NewPec)> = ids
        .iter()
        .zip(batch)
        .filter_map(|(&id, g)| {
            let new = NewPec {
                address: g.pec.as_deref()?,
                communicated_on,
                channel: &channel,
                official: true,
                warnings: "[]",
                flag: None,
            };
            Some((id, new))
        })
        .collect();
    reg::add_first_pecs(c, &pecs, now).await?;
    Ok(ids)
}
