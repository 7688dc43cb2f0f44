//! `certa registry bench`: how long an Order's registry takes over a large
//! roll (issue 6: "100 000 members: INI-PEC export and compliance report as
//! benchmarks").
//!
//! A fresh store (a temporary SQLite one, or the empty PostgreSQL database
//! given) gets, for each run, one Order with N generated members: valid codici
//! fiscali from `CodiceFiscale::compute`, ~95 % with an official PEC (a few of
//! them found invalid), ~3 % court experts, ~2 % off the roll, the others
//! without a PEC, some of them already warned by letter. The members are
//! written with the store functions `certa member import` uses, 5 000 to a
//! transaction, and that is timed. Then the real `certa` binary runs, timed
//! from spawn to exit as the Order's staff would wait for it:
//!
//! - `export inipec` of the first day (every listed member an insertion), then
//!   of the next day, after ~0.5 % of the roll changed: new PEC addresses,
//!   cancellations, new members, a third each;
//! - `compliance report` over every member, on the next day;
//! - `member import` of the whole roll as CSV into a second, empty Order
//!   (with `registry::roll::parse_roll` alone timed in-process beside it).
//!
//! Each run has Orders of its own, so later runs find the earlier runs' rows in
//! the tables, as an installation serving several Orders does.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::{Days, NaiveDate, Utc};
use registry::model::{BirthPlace, Channel, PostalAddress};
use registry::{CodiceFiscale, Member, MemberStatus, Sex, TaxId};
use store::registry::{self as reg, MemberRow, NewPec, StoredOrder};

use super::DataArgs;
use super::init::{IndexEntry, create, write_index};
use super::member::{row, tag};
use crate::provider::config::Listen;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Time the INI-PEC export, the compliance report and the roll import over many members.
    Bench(RegistryBenchArgs),
}

#[derive(clap::Args)]
pub struct RegistryBenchArgs {
    /// How many members the Order has.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u32).range(100..=2_000_000))]
    pub members: u32,
    /// How many times everything is measured, each on Orders of its own; medians are printed.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=30))]
    pub runs: u32,
    /// An empty PostgreSQL database (postgres://...) instead of a temporary SQLite one.
    #[arg(long)]
    pub database: Option<String>,
    /// The first INI-PEC day; the next day is measured after it.
    #[arg(long, default_value = "2026-06-15")]
    pub day: NaiveDate,
    /// Keep the temporary data directory.
    #[arg(long)]
    pub keep: bool,
}

pub async fn run(cmd: Command) -> Result<ExitCode> {
    let Command::Bench(args) = cmd;
    let stamp = Utc::now().timestamp_micros();
    let dir = std::env::temp_dir().join(format!("certa-registry-bench-{}-{stamp}", std::process::id()));
    let result = bench(&args, &dir).await;
    if args.keep {
        println!("data kept in {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

/// One measurement: how many rows or members, in how long.
#[derive(Debug, Clone, Copy)]
struct Timed {
    count: usize,
    wall: Duration,
}

/// The measurements of one run.
struct Run {
    written: Timed,
    first_day: Timed,
    next_day: Timed,
    report: Timed,
    without_pec: usize,
    csv_import: Timed,
    parse_roll: Timed,
}

/// What every run reads: the store, the binary, the generated roll and what
/// the commands must find in it.
struct Bench<'a> {
    store: store::Store,
    certa: Certa<'a>,
    dir: &'a Path,
    first: NaiveDate,
    roll: &'a [Generated],
    /// The members who join the roll before the next day.
    newcomers: &'a [Generated],
    csv: PathBuf,
    expected_first: usize,
    expected_without: usize,
}

async fn bench(args: &RegistryBenchArgs, dir: &Path) -> Result<ExitCode> {
    let data = dir.join("provider");
    let unused = SocketAddr::from(([127, 0, 0, 1], 0));
    let listen = Listen {
        submission: unused,
        submissions: unused,
        inbound: unused,
    };
    create(&data, "bench.certa.test", "Certa Bench", listen, "../index.toml")?;
    write_index(
        &dir.join("index.toml"),
        &[IndexEntry::of(&data, "bench.certa.test", "Certa Bench", unused)],
    )?;
    let data_args = DataArgs {
        data: data.clone(),
        database: args.database.clone(),
    };
    let store = data_args.store().await?;
    if !reg::orders(&mut *store.conn().await?).await?.is_empty() {
        bail!("{} already holds Orders: give an empty database", store.describe());
    }
    println!("store: {}", store.describe());

    let n = args.members as usize;
    // A third of the next day's changes: ~0.5 % of the roll in all.
    let changes = (n / 600).max(1);
    let started = Instant::now();
    let mut taken = HashSet::with_capacity(n + changes);
    let everyone = (0..n + changes)
        .map(|i| generate(i, args.day, &mut taken))
        .collect::<Result<Vec<_>>>()?;
    let (roll, newcomers) = everyone.split_at(n);
    let csv = dir.join("roll.csv");
    std::fs::write(&csv, roll_csv(roll)).with_context(|| format!("cannot write {}", csv.display()))?;
    let bench = Bench {
        store,
        certa: Certa {
            exe: std::env::current_exe().context("cannot find the certa binary")?,
            data: &data,
            database: args.database.as_deref(),
        },
        dir,
        first: args.day,
        roll,
        newcomers,
        csv,
        expected_first: roll.iter().filter(|g| g.listed()).count(),
        expected_without: roll
            .iter()
            .filter(|g| g.member.status.enrolled() && !g.listed())
            .count(),
    };
    println!(
        "roll: {n} members ({} listed in INI-PEC, {} without a valid PEC, {} CTU), generated in {:.2} s",
        bench.expected_first,
        bench.expected_without,
        roll.iter().filter(|g| g.member.ctu).count(),
        started.elapsed().as_secs_f64()
    );
    println!("written and parse_roll run in-process; the others are the real `certa` command, from spawn to exit");
    println!();

    let mut runs = Vec::new();
    for k in 1..=args.runs {
        let r = bench.run(k).await?;
        println!(
            "run {k}: written {:.2} s, INI-PEC first day {:.2} s, next day {:.2} s, compliance report {:.2} s, \
             CSV import {:.2} s (parse_roll {:.2} s)",
            secs(r.written),
            secs(r.first_day),
            secs(r.next_day),
            secs(r.report),
            secs(r.csv_import),
            secs(r.parse_roll)
        );
        runs.push(r);
    }
    bench.store.close().await;
    print_medians(&runs);
    Ok(ExitCode::SUCCESS)
}

impl Bench<'_> {
    /// The `k`-th run, on Orders of its own.
    async fn run(&self, k: u32) -> Result<Run> {
        let (store, certa) = (&self.store, &self.certa);
        let (first, next) = (self.first, self.first + Days::new(1));
        let code = format!("BENCH-{k}");
        put_order(store, &code).await?;
        let t = Instant::now();
        let ids = write_roll(store, &code, self.roll, first).await?;
        let written = Timed {
            count: self.roll.len(),
            wall: t.elapsed(),
        };
        mark_roll(store, self.roll, &ids, first).await?;

        let first_day = inipec(certa, store, &code, first, self.dir).await?;
        if first_day.count != self.expected_first {
            bail!(
                "INI-PEC of the first day: {} rows, expected {}",
                first_day.count,
                self.expected_first
            );
        }
        let expected_next = change_roll(store, &code, self.roll, self.newcomers, next).await?;
        let next_day = inipec(certa, store, &code, next, self.dir).await?;
        if next_day.count != expected_next {
            bail!(
                "INI-PEC of the next day: {} rows, expected {expected_next}",
                next_day.count
            );
        }

        let date = next.to_string();
        let (wall, stdout) = certa
            .run(&["compliance", "report", "--order", &code, "--date", &date, "--json"])
            .await?;
        let report: serde_json::Value =
            serde_json::from_slice(&stdout).context("the output of certa compliance report --json")?;
        let without_pec = report["report"]["without_valid_pec"].as_array().map_or(0, Vec::len);
        if without_pec != self.expected_without {
            bail!(
                "compliance report: {without_pec} members without a valid PEC, expected {}",
                self.expected_without
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

    /// `certa member import` of the roll into an empty Order, and `parse_roll` alone.
    async fn import(&self, k: u32) -> Result<(Timed, Timed)> {
        let code = format!("CSV-{k}");
        put_order(&self.store, &code).await?;
        let path = self.csv.display().to_string();
        let date = self.first.to_string();
        let (wall, _) = self
            .certa
            .run(&["member", "import", &path, "--order", &code, "--date", &date])
            .await?;
        let n = self.roll.len();
        let imported = reg::member_count(&mut *self.store.conn().await?, &code).await? as usize;
        if imported != n {
            bail!("member import: {imported} members on the roll, expected {n}");
        }
        let bytes = std::fs::read(&self.csv)?;
        let t = Instant::now();
        let parsed = registry::roll::parse_roll(&bytes).map_err(|e| anyhow::anyhow!("{e}"))?;
        let parse_roll = Timed {
            count: parsed.accepted().count(),
            wall: t.elapsed(),
        };
        Ok((Timed { count: n, wall }, parse_roll))
    }
}

fn print_medians(runs: &[Run]) {
    let of = |f: fn(&Run) -> Timed| median(&runs.iter().map(f).collect::<Vec<_>>());
    let tail = format!("(median of {})", runs.len());
    let line = |what: &str, unit: &str, t: Timed| println!("{what}: {} {unit} in {:.2} s {tail}", t.count, secs(t));
    println!();
    line(
        "members written (store functions of the import, 5000 per transaction)",
        "members",
        of(|r| r.written),
    );
    line("INI-PEC first day", "rows", of(|r| r.first_day));
    line("INI-PEC next day", "rows", of(|r| r.next_day));
    let report = of(|r| r.report);
    println!(
        "compliance report: {} members ({} without a valid PEC) in {:.2} s {tail}",
        report.count,
        runs[0].without_pec,
        secs(report)
    );
    line("member import (CSV)", "rows", of(|r| r.csv_import));
    line("  of which parse_roll", "rows", of(|r| r.parse_roll));
}

/// The `certa` binary on the bench's data directory.
struct Certa<'a> {
    exe: PathBuf,
    data: &'a Path,
    database: Option<&'a str>,
}

impl Certa<'_> {
    /// `certa ARGS --data DIR [--database URL]`: the wall time from spawn to
    /// exit, and the standard output.
    async fn run(&self, args: &[&str]) -> Result<(Duration, Vec<u8>)> {
        let mut command = tokio::process::Command::new(&self.exe);
        command
            .args(args)
            .arg("--data")
            .arg(self.data)
            .env_remove("CERTA_DATA")
            .env_remove("CERTA_DATABASE")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null());
        if let Some(url) = self.database {
            command.arg("--database").arg(url);
        }
        let t = Instant::now();
        let out = command
            .output()
            .await
            .with_context(|| format!("cannot run {}", self.exe.display()))?;
        let wall = t.elapsed();
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let last: Vec<&str> = stderr.lines().rev().take(10).collect();
            bail!(
                "certa {} failed:\n{}",
                args.join(" "),
                last.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
        Ok((wall, out.stdout))
    }
}

/// `certa export inipec` of `day`, and the rows it recorded.
async fn inipec(certa: &Certa<'_>, store: &store::Store, code: &str, day: NaiveDate, dir: &Path) -> Result<Timed> {
    let out = dir.join(format!("inipec-{code}-{day}.csv"));
    let (wall, _) = certa
        .run(&[
            "export",
            "inipec",
            "--order",
            code,
            "--date",
            &day.to_string(),
            "--out",
            &out.display().to_string(),
        ])
        .await?;
    let recorded = reg::inipec_export(&mut *store.conn().await?, code, &day.to_string())
        .await?
        .with_context(|| format!("certa export inipec recorded no export of {code} for {day}"))?;
    Ok(Timed {
        count: recorded.row_count as usize,
        wall,
    })
}

async fn put_order(store: &store::Store, code: &str) -> Result<()> {
    let order = StoredOrder {
        code: code.to_owned(),
        name: format!("Ordine di prova {code}"),
        tax_id: "80003530484".into(),
        codice_ente: "80003530484".into(),
        pec: "segreteria@pec.ordine.test".into(),
        delegate: None,
        created_at: store::millis(Utc::now()),
    };
    reg::add_order(&mut *store.conn().await?, &order).await?;
    Ok(())
}

/// A generated member and what the bench records about it besides its data.
struct Generated {
    member: Member,
    /// The official PEC.
    pec: Option<String>,
    /// The official PEC was found invalid (bounced): not listed, a diffida by PEC is due.
    invalid: bool,
    /// A diffida by letter sent this many days before the first day.
    letter_days_before: Option<u64>,
}

impl Generated {
    /// Listed in INI-PEC: enrolled, with a valid official PEC.
    fn listed(&self) -> bool {
        self.member.status.enrolled() && self.pec.is_some() && !self.invalid
    }
}

const SURNAMES: [&str; 20] = [
    "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco", "Bruno",
    "Gallo", "Conti", "De Luca", "Mancini", "Costa", "Giordano", "Rizzo", "Lombardi", "Moretti",
];
const MEN: [&str; 10] = [
    "Marco",
    "Giuseppe",
    "Luca",
    "Andrea",
    "Francesco",
    "Alessandro",
    "Giovanni",
    "Roberto",
    "Stefano",
    "Paolo",
];
const WOMEN: [&str; 10] = [
    "Maria",
    "Anna",
    "Giulia",
    "Francesca",
    "Laura",
    "Chiara",
    "Sara",
    "Elena",
    "Valentina",
    "Paola",
];
/// Belfiore code, municipality, province.
const PLACES: [(&str, &str, &str); 12] = [
    ("D612", "Firenze", "FI"),
    ("H501", "Roma", "RM"),
    ("F205", "Milano", "MI"),
    ("F839", "Napoli", "NA"),
    ("L219", "Torino", "TO"),
    ("A944", "Bologna", "BO"),
    ("G702", "Pisa", "PI"),
    ("E715", "Lucca", "LU"),
    ("G999", "Prato", "PO"),
    ("A390", "Arezzo", "AR"),
    ("I726", "Siena", "SI"),
    ("E625", "Livorno", "LI"),
];
const PROVIDERS: [&str; 4] = ["pec.it", "legalmail.it", "pec.omceo.it", "arubapec.it"];
/// 1950-01-01 to 1999-12-31.
const BIRTH_DAYS: u64 = 18_262;

/// The `i`-th member. Birth day and place walk every combination before one
/// repeats, so codes stay distinct; a collision beyond that moves further on.
fn generate(i: usize, first_day: NaiveDate, taken: &mut HashSet<String>) -> Result<Generated> {
    let sex = if i.is_multiple_of(2) { Sex::Male } else { Sex::Female };
    let surname = SURNAMES[(i * 7 + i / 20) % SURNAMES.len()];
    let name = match sex {
        Sex::Male => MEN[(i / 2) % MEN.len()],
        Sex::Female => WOMEN[(i / 2) % WOMEN.len()],
    };
    let epoch = NaiveDate::from_ymd_opt(1950, 1, 1).unwrap_or_default();
    let mut attempt = 0;
    let (cf, birth, place) = loop {
        let k = i as u64 + attempt * 1_000_003;
        let birth = epoch + Days::new(k % BIRTH_DAYS);
        let place = PLACES[(k / BIRTH_DAYS) as usize % PLACES.len()];
        let cf = CodiceFiscale::compute(surname, name, birth, sex, place.0)?;
        if taken.insert(cf.as_str().to_owned()) {
            break (cf, birth, place);
        }
        attempt += 1;
        if attempt > 1000 {
            bail!("cannot generate a new codice fiscale for member {i}");
        }
    };
    let local = format!(
        "{}.{}.{i}",
        name.to_lowercase(),
        surname.to_lowercase().replace(' ', "")
    );
    let has_pec = i * 37 % 100 < 95;
    let cancelled = i % 50 == 13;
    let registered = (birth + Days::new(26 * 365 + (i as u64 % 3000))).min(first_day - Days::new(1));
    let member = Member {
        codice_fiscale: TaxId::CodiceFiscale(cf),
        surname: surname.into(),
        name: name.into(),
        birth_date: Some(birth),
        birth_place: Some(BirthPlace {
            municipality: place.1.into(),
            province: Some(place.2.into()),
        }),
        sex: Some(sex),
        registration_number: Some((1000 + i).to_string()),
        registration_date: Some(registered),
        section: Some(if i % 9 == 4 { "Odontoiatri" } else { "Medici chirurghi" }.into()),
        status: if cancelled {
            MemberStatus::Cancelled
        } else {
            MemberStatus::Active
        },
        cancellation_date: cancelled.then(|| first_day - Days::new(1 + i as u64 % 700)),
        ctu: i % 33 == 5,
        legal_domicile: Some(PostalAddress {
            street: format!("Via dei Servi {}", 1 + i % 150),
            postcode: "50122".into(),
            municipality: "Firenze".into(),
            province: "FI".into(),
            phone: None,
            fax: None,
        }),
        email: Some(format!("{local}@example.it")),
    };
    Ok(Generated {
        member,
        pec: has_pec.then(|| format!("{local}@{}", PROVIDERS[i % PROVIDERS.len()])),
        invalid: has_pec && i % 200 == 11,
        letter_days_before: match (has_pec, i % 3) {
            (true, _) => None,
            // Past the 30 days: to suspend.
            (false, 0) => Some(45),
            // The term still running.
            (false, 1) => Some(10),
            (false, _) => None,
        },
    })
}

/// The roll as `certa member import` reads it (see `crates/registry/src/roll`).
fn roll_csv(roll: &[Generated]) -> String {
    let mut text = String::from(
        "Codice Fiscale;Cognome;Nome;Data di nascita;Luogo di nascita;Provincia di nascita;Sesso;\
         Numero iscrizione;Data iscrizione;Sezione;Stato;Data cancellazione;CTU;PEC;Email;Indirizzo;CAP;Comune;Provincia\n",
    );
    let date = |d: Option<NaiveDate>| d.map(|d| d.format("%d/%m/%Y").to_string()).unwrap_or_default();
    for g in roll {
        let m = &g.member;
        let place = m.birth_place.as_ref();
        let home = m.legal_domicile.as_ref();
        let _ = writeln!(
            text,
            "{};{};{};{};{};{};{};{};{};{};{};{};{};{};{};{};{};{};{}",
            m.codice_fiscale.as_str(),
            m.surname,
            m.name,
            date(m.birth_date),
            place.map_or("", |p| &p.municipality),
            place.and_then(|p| p.province.as_deref()).unwrap_or_default(),
            m.sex.map(|s| s.to_string()).unwrap_or_default(),
            m.registration_number.as_deref().unwrap_or_default(),
            date(m.registration_date),
            m.section.as_deref().unwrap_or_default(),
            if m.status.enrolled() { "attivo" } else { "cancellato" },
            date(m.cancellation_date),
            if m.ctu { "si" } else { "no" },
            g.pec.as_deref().unwrap_or_default(),
            m.email.as_deref().unwrap_or_default(),
            home.map_or("", |h| &h.street),
            home.map_or("", |h| &h.postcode),
            home.map_or("", |h| &h.municipality),
            home.map_or("", |h| &h.province),
        );
    }
    text
}

/// The roll written as `certa member import` writes new members, 5 000 to a
/// transaction; their ids.
async fn write_roll(store: &store::Store, code: &str, roll: &[Generated], first_day: NaiveDate) -> Result<Vec<i64>> {
    let communicated_on = (first_day - Days::new(60)).to_string();
    let now = store::millis(Utc::now());
    let mut ids = Vec::with_capacity(roll.len());
    for chunk in roll.chunks(5000) {
        let mut tx = store.begin().await?;
        ids.extend(insert_batch(&mut tx, code, chunk, &communicated_on, now).await?);
        tx.commit().await?;
    }
    Ok(ids)
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
        .map(|(g, (status, data))| row(&g.member, status, data))
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

/// What the bench adds to the roll as written: addresses found invalid, letters sent.
async fn mark_roll(store: &store::Store, roll: &[Generated], ids: &[i64], first_day: NaiveDate) -> Result<()> {
    let now = store::millis(Utc::now());
    let mut tx = store.begin().await?;
    for (g, &id) in roll.iter().zip(ids) {
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
async fn change_roll(
    store: &store::Store,
    code: &str,
    roll: &[Generated],
    newcomers: &[Generated],
    day: NaiveDate,
) -> Result<usize> {
    let listed: Vec<&Generated> = roll.iter().filter(|g| g.listed()).collect();
    let picks = 2 * newcomers.len();
    if listed.len() < picks {
        bail!("too few listed members to change");
    }
    let now = store::millis(Utc::now());
    let day_text = day.to_string();
    let mut tx = store.begin().await?;
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
            reg::update_member(&mut tx, stored.id, &row(&m, &tag(&m.status), &data), now).await?;
        }
    }
    let newcomers: Vec<Generated> = newcomers
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

fn secs(t: Timed) -> f64 {
    t.wall.as_secs_f64()
}

/// The measurement with the median wall time.
fn median(runs: &[Timed]) -> Timed {
    let mut sorted = runs.to_vec();
    sorted.sort_by_key(|t| t.wall);
    sorted[sorted.len() / 2]
}
