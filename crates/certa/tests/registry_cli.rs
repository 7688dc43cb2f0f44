//! The Order's registry on the real `certa` binary, each test on a data
//! directory of its own made with `certa init`:
//!
//! - a roll of 1 000 generated members with bad rows: the exact per-row report,
//!   nothing half-written when a row fails at write time, and a second import
//!   that changes nothing;
//! - INI-PEC deltas across days (insertion, change of PEC, cancellation) equal
//!   the expected files byte for byte, and a day without changes is recorded;
//! - ReGIndE files, whole and incremental, valid against the project's XSD with
//!   the real `xmllint --noout --schema`;
//! - the compliance cycle driven by `--date`: warning, 30 days, suspension list,
//!   suspension, restoration after `member set-pec`.

mod support;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use registry::{CodiceFiscale, Sex};
use serde_json::Value;

use support::{certa, fails_on, json_on, ok_on};

const ORDER: &str = "OMCEO-FI";

struct Provider {
    dir: tempfile::TempDir,
    data: PathBuf,
}

impl Provider {
    /// `certa init` and one Order.
    fn new() -> Provider {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let out = certa()
            .args(["init", "--domain", "pec.certa.test", "--name", "Certa Test", "--data"])
            .arg(&data)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let p = Provider { dir, data };
        p.ok(&[
            "order",
            "add",
            ORDER,
            "--name",
            "Ordine dei Medici Chirurghi e degli Odontoiatri della Provincia di Firenze",
            "--tax-id",
            "80003530484",
            "--codice-ente",
            "80003530484",
            "--pec",
            "segreteria.fi@pec.omceo.it",
        ]);
        p
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn file(&self, name: &str, content: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, content).unwrap();
        path
    }

    /// Runs a command that must succeed; its standard output.
    fn ok(&self, args: &[&str]) -> String {
        ok_on(&self.data, args)
    }

    /// Runs a command that must fail; its standard error.
    fn fails(&self, args: &[&str]) -> String {
        fails_on(&self.data, args)
    }

    fn json(&self, args: &[&str]) -> Value {
        json_on(&self.data, args)
    }

    fn import(&self, roll: &Path, date: &str) -> Value {
        self.json(&[
            "member",
            "import",
            roll.to_str().unwrap(),
            "--order",
            ORDER,
            "--date",
            date,
            "--json",
        ])
    }

    fn members(&self) -> usize {
        self.json(&["member", "list", "--order", ORDER, "--json"])
            .as_array()
            .unwrap()
            .len()
    }
}

fn cf(surname: &str, name: &str, birth: NaiveDate, sex: Sex) -> String {
    CodiceFiscale::compute(surname, name, birth, sex, "D612")
        .unwrap()
        .as_str()
        .to_owned()
}

const HEADER: &str = "Codice Fiscale;Cognome;Nome;Data di nascita;Sesso;Numero iscrizione;Data iscrizione;Stato;Data cancellazione;CTU;PEC;Indirizzo;CAP;Comune;Provincia\n";

/// The roll of `n` generated members, born a day apart.
fn generated(n: usize) -> Vec<String> {
    let first = NaiveDate::from_ymd_opt(1950, 1, 1).unwrap();
    (0..n)
        .map(|i| {
            let birth = first + chrono::Days::new(i as u64);
            let code = cf("Rossi", "Mario", birth, Sex::Male);
            format!(
                "{code};Rossi;Mario;{};M;{};15/09/2010;attivo;;no;m{i}@pec.it;Via dei Servi 12;50122;Firenze;FI\n",
                birth.format("%d/%m/%Y"),
                1000 + i
            )
        })
        .collect()
}

#[test]
fn a_roll_of_1000_with_bad_rows_is_reported_row_by_row_and_imported_once() {
    let p = Provider::new();
    let rows = generated(1000);
    let mut text = String::from(HEADER);
    for (i, row) in rows.iter().enumerate() {
        text.push_str(row);
        match i {
            // Line numbers: the header is line 1, row i is line i + 2 until the first insertion.
            99 => text.push_str("RSSMRA80A01H501X;Rossi;Mario;;;;;;;;;;;;\n"),
            499 => text.push_str(&rows[10]),
            799 => text.push_str(&format!(
                "{};;Mario;;;;;;;;;;;;\n",
                cf(
                    "Verdi",
                    "Mario",
                    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap(),
                    Sex::Male
                )
            )),
            _ => {}
        }
    }
    let roll = p.file("roll.csv", &text);
    let report = p.import(&roll, "2025-06-02");
    assert_eq!(
        (
            &report["imported"],
            &report["updated"],
            &report["unchanged"],
            &report["rejected"]
        ),
        (&Value::from(1000), &Value::from(0), &Value::from(0), &Value::from(3))
    );
    let rejected: Vec<(u64, String)> = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["outcome"] == "rejected")
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                r["reasons"][0].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(rejected.len(), 3);
    assert_eq!(rejected[0].0, 102);
    assert!(
        rejected[0].1.starts_with("bad codice fiscale \"RSSMRA80A01H501X\""),
        "{}",
        rejected[0].1
    );
    assert_eq!(
        rejected[1],
        (503, "duplicate codice fiscale, already on line 12".to_owned())
    );
    assert_eq!(rejected[2], (804, "no surname (cognome)".to_owned()));
    assert_eq!(p.members(), 1000);

    // The same file again: every accepted row unchanged, the same rejections.
    let again = p.import(&roll, "2025-06-03");
    assert_eq!(
        (
            &again["imported"],
            &again["updated"],
            &again["unchanged"],
            &again["rejected"]
        ),
        (&Value::from(0), &Value::from(0), &Value::from(1000), &Value::from(3))
    );
    let one = p.json(&[
        "member",
        "show",
        rows[0].split(';').next().unwrap(),
        "--order",
        ORDER,
        "--json",
    ]);
    assert_eq!(one["pec"].as_array().unwrap().len(), 1, "{one}");
}

#[test]
fn an_import_that_fails_at_write_time_leaves_the_store_unchanged() {
    let p = Provider::new();
    let rows = generated(50);
    let roll = p.file("roll.csv", &format!("{HEADER}{}", rows[..20].concat()));
    p.import(&roll, "2025-06-02");
    // Row 40 of the next file fails inside the database, after 39 rows were written.
    let victim = rows[40].split(';').next().unwrap().to_owned();
    let db = p.data.join("certa.db");
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        use store::sqlx::{Connection, SqliteConnection};
        let mut c = SqliteConnection::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        let trigger = format!(
            "CREATE TRIGGER refuse BEFORE INSERT ON registry_members WHEN NEW.codice_fiscale = '{victim}' \
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        );
        store::sqlx::query(store::sqlx::AssertSqlSafe(trigger))
            .execute(&mut c)
            .await
            .unwrap();
    });
    let mut changed = rows.concat();
    changed = changed.replace("Via dei Servi 12", "Via Larga 1");
    let roll = p.file("roll2.csv", &format!("{HEADER}{changed}"));
    let err = p.fails(&["member", "import", roll.to_str().unwrap(), "--order", ORDER]);
    assert!(err.contains(&victim) && err.contains("refused by the test"), "{err}");
    assert_eq!(p.members(), 20);
    let first = p.json(&[
        "member",
        "show",
        rows[0].split(';').next().unwrap(),
        "--order",
        ORDER,
        "--json",
    ]);
    assert_eq!(first["member"]["legal_domicile"]["street"], "Via dei Servi 12");
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Three members: Anna Bianchi, Luca Verdi, Mario Rossi (sorted by codice fiscale: B, R, V).
fn three(status_verdi: &str, cancelled_verdi: &str, ctu: &str) -> (String, [String; 3]) {
    let b = cf("Bianchi", "Anna", date(1975, 3, 1), Sex::Female);
    let v = cf("Verdi", "Luca", date(1982, 7, 20), Sex::Male);
    let r = cf("Rossi", "Mario", date(1980, 1, 1), Sex::Male);
    let text = format!(
        "{HEADER}\
         {r};Rossi;Mario;01/01/1980;M;1234;02/06/2010;attivo;;{ctu};mario.rossi@pec.it;Via dei Servi 12;50122;Firenze;FI\n\
         {b};Bianchi;Anna;01/03/1975;F;987;15/09/2001;attivo;;{ctu};anna.bianchi@legalmail.it;Via Larga 1;50123;Firenze;FI\n\
         {v};Verdi;Luca;20/07/1982;M;555;01/02/2012;{status_verdi};{cancelled_verdi};no;luca.verdi@pec.it;Via Roma 3;50100;Firenze;FI\n"
    );
    (text, [b, r, v])
}

#[test]
fn inipec_deltas_across_days_equal_the_expected_files() {
    let p = Provider::new();
    let (roll, [b, r, v]) = three("attivo", "", "no");
    p.import(&p.file("roll.csv", &roll), "2025-06-02");
    let export = |day: &str| {
        let out = p.path(&format!("inipec-{day}.csv"));
        let text = p.ok(&[
            "export",
            "inipec",
            "--order",
            ORDER,
            "--date",
            day,
            "--out",
            out.to_str().unwrap(),
        ]);
        (text, std::fs::read(&out).ok())
    };
    let header =
        "Indirizzo PEC;Nome;Cognome;Numero Iscrizione;Codice Fiscale;Stato;Data Iscrizione;Data Cancellazione\r\n";

    let (_, day1) = export("2025-06-02");
    let expected = format!(
        "{header}anna.bianchi@legalmail.it;Anna;Bianchi;987;{b};2;15/09/2001;\r\n\
         mario.rossi@pec.it;Mario;Rossi;1234;{r};2;02/06/2010;\r\n\
         luca.verdi@pec.it;Luca;Verdi;555;{v};2;01/02/2012;\r\n"
    );
    assert_eq!(String::from_utf8(day1.unwrap()).unwrap(), expected);

    p.ok(&[
        "member",
        "set-pec",
        &r,
        "m.rossi@legalmail.it",
        "--order",
        ORDER,
        "--channel",
        "pec",
        "--date",
        "2025-06-03",
    ]);
    let (_, day2) = export("2025-06-03");
    assert_eq!(
        String::from_utf8(day2.unwrap()).unwrap(),
        format!("{header}m.rossi@legalmail.it;Mario;Rossi;1234;{r};1;;\r\n")
    );

    let (roll, _) = three("cancellato", "04/06/2025", "no");
    let roll = roll.replace("mario.rossi@pec.it", "m.rossi@legalmail.it");
    let report = p.import(&p.file("roll2.csv", &roll), "2025-06-04");
    assert_eq!(
        (&report["updated"], &report["unchanged"]),
        (&Value::from(1), &Value::from(2)),
        "{report}"
    );
    let (_, day3) = export("2025-06-04");
    assert_eq!(
        String::from_utf8(day3.unwrap()).unwrap(),
        format!("{header}luca.verdi@pec.it;Luca;Verdi;555;{v};3;;04/06/2025\r\n")
    );

    let (text, day4) = export("2025-06-05");
    assert!(day4.is_none());
    assert!(text.contains("no changes on 2025-06-05"), "{text}");
    let history = p.ok(&["export", "history", "--order", ORDER]);
    assert!(history.contains("INI-PEC  2025-06-04  1 rows"), "{history}");
    assert!(history.contains("INI-PEC  2025-06-05  no changes"), "{history}");
    // A day already exported gives the same file again, and an earlier day is refused.
    assert_eq!(
        export("2025-06-03").1.unwrap(),
        format!("{header}m.rossi@legalmail.it;Mario;Rossi;1234;{r};1;;\r\n").into_bytes()
    );
    let err = p.fails(&["export", "inipec", "--order", ORDER, "--date", "2025-06-01"]);
    assert!(err.contains("--date 2025-06-01"), "{err}");
}

fn xmllint(schema: &Path, file: &Path) {
    let out = std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(schema)
        .arg(file)
        .output()
        .expect("xmllint is required (run-tests installs libxml2-utils)");
    assert!(
        out.status.success(),
        "{}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn reginde_whole_and_incremental_validate_against_the_schema() {
    let p = Provider::new();
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("../registry/schema/ComunicazioniSoggetti.xsd");
    let (roll, [b, r, _]) = three("attivo", "", "si");
    p.import(&p.file("roll.csv", &roll), "2025-06-02");
    let whole = p.path("whole.xml");
    p.ok(&[
        "export",
        "reginde",
        "--order",
        ORDER,
        "--month",
        "2025-06",
        "--out",
        whole.to_str().unwrap(),
    ]);
    xmllint(&schema, &whole);
    let text = std::fs::read_to_string(&whole).unwrap();
    assert!(text.contains("<ComunicazioneInteroAlbo>true</ComunicazioneInteroAlbo>"));
    assert!(text.contains(&b) && text.contains(&r));
    assert_eq!(text.matches("<Soggetto>").count(), 2, "only the court experts");

    let none = p.ok(&[
        "export",
        "reginde",
        "--order",
        ORDER,
        "--month",
        "2025-07",
        "--incremental",
    ]);
    assert!(none.contains("no changes for ReGIndE"), "{none}");
    p.ok(&[
        "member",
        "set-pec",
        &b,
        "anna@legalmail.it",
        "--order",
        ORDER,
        "--channel",
        "paper",
        "--date",
        "2025-07-02",
    ]);
    let incremental = p.path("incremental.xml");
    p.ok(&[
        "export",
        "reginde",
        "--order",
        ORDER,
        "--month",
        "2025-07",
        "--out",
        incremental.to_str().unwrap(),
    ]);
    xmllint(&schema, &incremental);
    let text = std::fs::read_to_string(&incremental).unwrap();
    assert!(text.contains("<ComunicazioneInteroAlbo>false</ComunicazioneInteroAlbo>"));
    assert!(text.contains("<OperazioneRichiesta>modifica</OperazioneRichiesta>") && text.contains("anna@legalmail.it"));
    assert_eq!(text.matches("<Soggetto>").count(), 1);
}

#[test]
fn the_compliance_cycle_runs_by_date_warning_deadline_suspension_restoration() {
    let p = Provider::new();
    let (roll, [b, r, _]) = three("attivo", "", "no");
    // Anna Bianchi communicated no PEC.
    let roll = roll.replace("anna.bianchi@legalmail.it", "");
    p.import(&p.file("roll.csv", &roll), "2025-01-02");
    let report = p.json(&[
        "compliance",
        "report",
        "--order",
        ORDER,
        "--date",
        "2025-01-09",
        "--json",
    ]);
    assert_eq!(report["report"]["without_valid_pec"], serde_json::json!([b]));

    let err = p.fails(&["compliance", "warn", "--order", ORDER, "--date", "2025-01-10"]);
    assert!(err.contains("--letters"), "{err}");
    let letters = p.path("letters.txt");
    let out = p.ok(&[
        "compliance",
        "warn",
        "--order",
        ORDER,
        "--date",
        "2025-01-10",
        "--letters",
        letters.to_str().unwrap(),
    ]);
    assert!(out.contains("0 warned by PEC, 1 by letter"), "{out}");
    let letter = std::fs::read_to_string(&letters).unwrap();
    assert!(
        letter.contains("Anna Bianchi") && letter.contains("entro il 09/02/2025"),
        "{letter}"
    );
    // A second campaign warns nobody twice.
    let out = p.ok(&[
        "compliance",
        "warn",
        "--order",
        ORDER,
        "--date",
        "2025-01-11",
        "--letters",
        letters.to_str().unwrap(),
    ]);
    assert!(out.contains("0 warned by PEC, 0 by letter"), "{out}");

    let due = p.json(&["compliance", "due", "--order", ORDER, "--date", "2025-02-09", "--json"]);
    assert_eq!(due, serde_json::json!([]), "the 30 days include the 9th of February");
    let due = p.json(&["compliance", "due", "--order", ORDER, "--date", "2025-02-10", "--json"]);
    assert_eq!(
        due,
        serde_json::json!([{ "codice_fiscale": b, "deadline": "2025-02-09" }])
    );
    p.ok(&[
        "compliance",
        "due",
        "--order",
        ORDER,
        "--date",
        "2025-02-11",
        "--suspend",
    ]);
    let shown = p.json(&["member", "show", &b, "--order", ORDER, "--json"]);
    assert_eq!(shown["member"]["status"], "suspended");

    let out = p.ok(&[
        "member",
        "set-pec",
        &b,
        "anna@legalmail.it",
        "--order",
        ORDER,
        "--channel",
        "reserved-area",
        "--date",
        "2025-02-20",
    ]);
    assert!(out.contains("suspension of 2025-02-11 lifted"), "{out}");
    let shown = p.json(&["member", "show", &b, "--order", ORDER, "--json"]);
    assert_eq!(shown["member"]["status"], "active");
    let kinds: Vec<(&str, &str)> = shown["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["kind"].as_str().unwrap(), s["on_date"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("letter", "2025-01-10"),
            ("suspension-listed", "2025-02-10"),
            ("suspended", "2025-02-11"),
            ("restored", "2025-02-20")
        ]
    );
    let report = p.json(&[
        "compliance",
        "report",
        "--order",
        ORDER,
        "--date",
        "2025-02-21",
        "--json",
    ]);
    assert_eq!(report["report"]["without_valid_pec"], serde_json::json!([]));
    let _ = r;
}
