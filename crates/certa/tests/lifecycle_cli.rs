//! The lifecycle's operator commands on the real `certa` binary, each test on a
//! data directory of its own made with `certa init`:
//!
//! - bad input (conventions, subscriptions, payments, certa.toml) is refused with an
//!   error naming the field, and nothing is half-written;
//! - a CSV and a camt.053 statement, written here, with matched, unmatched,
//!   duplicate, ambiguous and malformed lines: every line's outcome is reported,
//!   the matched orders are paid from the old expiry, and importing again changes nothing;
//! - a payment recorded by the operator: refused, applied, already applied;
//! - `lifecycle run --now` delivers the notices once; `lifecycle simulate` reads the
//!   store and changes nothing;
//! - the payment webhook of `certa serve` over TLS with Python's http.client, and the
//!   daily machine of `certa serve` delivering a notice on its own.

mod support;

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use chrono::NaiveDate;
use serde_json::Value;

use support::{Proc, certa, certa_on, fails_on, json_on, ok_on, wait_until};

const DOMAIN: &str = "pec.dcssrl.it";
const TAX_ID: &str = "RSSMRA85T10A562S";

/// DCS as in the notices: yearly EUR 6.50 + VAT, tacit renewal, weekly notices from 90
/// days before expiry into the PEC mailbox and the ordinary e-mail, suspended at 11:00
/// on the expiry day for 20 days, then closed with its contents.
const DCS: &str = r#"code = "CROAS-DCS-2024"
order = "Consiglio Regionale dell'Ordine degli Assistenti Sociali"
domains = ["pec.dcssrl.it"]
offer = { from = 2024-01-22 }

[[plans]]
name = "annuale"
first_term_months = 12
net = "6.50"
quota = "1 GB"
renewal = "tacit"
notices = { every_days = 7, from_days_before = 90 }
channels = ["pec-mailbox", "ordinary-email"]
expiry = { policy = "suspend", at = "11:00", days = 20, then_close = true }
retention_days = 0
"#;

/// Poste's offer of 2016, on this test's domain: its window closed on 2016-11-18.
const POSTE: &str = r#"code = "FNOMCEO-POSTE-2016"
order = "Ordine dei Medici di Alessandria"
domains = ["pec.dcssrl.it"]
offer = { from = 2016-09-19, to = 2016-11-18 }
list_price = { net = "25.00" }

[[plans]]
name = "annuale"
first_term_months = 12
renewal_term_months = 36
net = "13.20"
quota = "1 GB"
renewal = "explicit"
notices = { before = [30, 5], after = [25] }
channels = ["pec-mailbox"]
expiry = { policy = "receive-only-grace", days = 30 }
retention_days = 0
"#;

struct Provider {
    _dir: tempfile::TempDir,
    data: PathBuf,
}

impl Provider {
    /// `certa init` with the given extra arguments, on a fresh directory.
    fn init(extra: &[&str]) -> Provider {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let out = certa()
            .args(["init", "--domain", DOMAIN, "--name", "DCS Test S.r.l.", "--data"])
            .arg(&data)
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        Provider { _dir: dir, data }
    }

    fn new() -> Provider {
        Provider::init(&[])
    }

    fn file(&self, name: &str, content: &str) -> PathBuf {
        let path = self._dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        path
    }

    fn certa(&self, args: &[&str]) -> Output {
        certa_on(&self.data, args)
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

    fn convention(&self, toml: &str) {
        let file = self.file("convention.toml", toml);
        self.ok(&["convention", "create", file.to_str().unwrap()]);
    }

    fn mailbox(&self, address: &str) {
        self.ok(&["mailbox", "add", address, "--password", "una password lunga"]);
    }

    /// A mailbox subscribed to DCS's yearly plan on `at`.
    fn subscribe(&self, address: &str, at: &str) {
        self.mailbox(address);
        self.ok(&[
            "subscription",
            "create",
            address,
            "--convention",
            "CROAS-DCS-2024",
            "--plan",
            "annuale",
            "--tax-id",
            TAX_ID,
            "--name",
            "Mario Rossi",
            "--billing-address",
            "Via Roma 1, 15121 Alessandria",
            "--email",
            "mario.rossi@example.com",
            "--at",
            at,
        ]);
    }

    /// The renewal order of `address` created at `now`: its ID.
    fn order(&self, address: &str, now: &str) -> String {
        let v = self.json(&["subscription", "renew", address, "--now", now, "--json"]);
        v["id"].as_str().unwrap().to_string()
    }

    fn show(&self, address: &str) -> Value {
        self.json(&["subscription", "show", address, "--json"])
    }

    fn messages(&self, address: &str) -> Vec<Value> {
        let v = self.json(&["mailbox", "show", address, "--json"]);
        v["messages"].as_array().unwrap().clone()
    }

    fn status(&self, address: &str) -> String {
        let list = self.json(&["mailbox", "list", "--json"]);
        let m = list
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["address"] == address)
            .unwrap();
        m["status"].as_str().unwrap().to_string()
    }

    fn blob(&self, message: &Value) -> String {
        let blob = message["message"]["blob"].as_str().unwrap();
        let path = self.data.join("blobs").join(&blob[0..2]).join(&blob[2..4]).join(blob);
        String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned()
    }
}

fn rome_today() -> NaiveDate {
    chrono::Utc::now().with_timezone(&chrono_tz::Europe::Rome).date_naive()
}

#[test]
fn bad_conventions_are_refused_naming_the_field_and_nothing_is_stored() {
    let p = Provider::new();
    let cases: [(&str, &str, &str); 5] = [
        ("net = \"6.50\"", "net = \"-6.50\"", "plans[0].net: negative amount"),
        (
            "net = \"6.50\"",
            "net = \"sei e cinquanta\"",
            "plans[0].net: \"sei e cinquanta\" is not an amount",
        ),
        (
            "offer = {",
            "time_zone = \"Europe/Roma\"\noffer = {",
            "time_zone: unknown time zone \"Europe/Roma\"",
        ),
        ("every_days = 7", "every_days = 0", "plans[0].notices.every_days"),
        (
            "notices = { every_days = 7, from_days_before = 90 }",
            "notices = { before = [] }",
            "plans[0].notices",
        ),
    ];
    for (from, to, expected) in cases {
        let file = p.file("bad.toml", &DCS.replace(from, to));
        let err = p.fails(&["convention", "create", file.to_str().unwrap()]);
        assert!(err.contains(expected), "{to}: {err}");
        assert_eq!(p.json(&["convention", "list", "--json"]), serde_json::json!([]), "{to}");
    }
    // An unknown key names itself.
    let file = p.file("bad.toml", &DCS.replace("quota = ", "quote = \"1 GB\"\nquota = "));
    let err = p.fails(&["convention", "create", file.to_str().unwrap()]);
    assert!(err.contains("quote"), "{err}");
    assert_eq!(p.json(&["convention", "list", "--json"]), serde_json::json!([]));

    // The good one is stored once; a second create is refused, --replace replaces.
    p.convention(DCS);
    let file = p.file("again.toml", DCS);
    let err = p.fails(&["convention", "create", file.to_str().unwrap()]);
    assert!(err.contains("exists already") && err.contains("--replace"), "{err}");
    let file = p.file("again.toml", &DCS.replace("net = \"6.50\"", "net = \"7.00\""));
    p.ok(&["convention", "create", file.to_str().unwrap(), "--replace"]);
    let list = p.json(&["convention", "list", "--json"]);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["plans"][0]["gross"], "8.54");
    let shown = p.ok(&["convention", "show", "croas-dcs-2024"]);
    assert!(shown.contains("7,00 € + VAT 22 % = 8,54 €"), "{shown}");
    assert!(shown.contains("every 7 days from 90 days before expiry"), "{shown}");
    assert!(
        shown.contains("suspended at 11:00 on the expiry day for 20 days, then closed"),
        "{shown}"
    );
    let err = p.fails(&["convention", "show", "NOPE"]);
    assert!(err.contains("unknown convention code \"NOPE\""), "{err}");
}

#[test]
fn bad_subscriptions_are_refused_naming_the_field_and_nothing_is_written() {
    let p = Provider::new();
    p.convention(DCS);
    let poste = p.file("poste.toml", POSTE);
    p.ok(&["convention", "create", poste.to_str().unwrap()]);
    let address = "anna.bianchi@pec.dcssrl.it";
    p.mailbox(address);
    let create = |convention: &str, plan: &str, tax_id: &str, at: &str, extra: &[&str]| {
        let mut args = vec![
            "subscription",
            "create",
            address,
            "--convention",
            convention,
            "--plan",
            plan,
            "--tax-id",
            tax_id,
            "--name",
            "Anna Bianchi",
            "--billing-address",
            "Via Roma 1",
            "--at",
            at,
        ];
        args.extend_from_slice(extra);
        p.certa(&args)
    };
    let nothing_written = || {
        assert_eq!(p.json(&["subscription", "list", "--json"]), serde_json::json!([]));
        let err = p.fails(&["subscription", "show", address]);
        assert!(err.contains("has no subscription"), "{err}");
    };
    let at = "2024-03-10T09:00:00+01:00";
    let cases: [(&str, &str, &str, &str, &str); 5] = [
        (
            "NOPE-2024",
            "annuale",
            TAX_ID,
            at,
            "--convention: unknown convention code \"NOPE-2024\"",
        ),
        (
            "FNOMCEO-POSTE-2016",
            "annuale",
            TAX_ID,
            at,
            "offer window of convention FNOMCEO-POSTE-2016 ended on 2016-11-18",
        ),
        (
            "CROAS-DCS-2024",
            "annuale",
            "RSSMRA85T10A562X",
            at,
            "--tax-id: \"RSSMRA85T10A562X\"",
        ),
        (
            "CROAS-DCS-2024",
            "mensile",
            TAX_ID,
            at,
            "--plan: convention CROAS-DCS-2024 has no plan \"mensile\"",
        ),
        (
            "CROAS-DCS-2024",
            "annuale",
            TAX_ID,
            "2023-12-01T09:00:00+01:00",
            "offer window of convention CROAS-DCS-2024 opens on 2024-01-22",
        ),
    ];
    for (convention, plan, tax_id, at, expected) in cases {
        let out = create(convention, plan, tax_id, at, &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains(expected), "{expected}: {err}");
        nothing_written();
    }
    // Outside the offer window the list price is the way, when asked for.
    let out = create("FNOMCEO-POSTE-2016", "annuale", TAX_ID, at, &[]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--list-price"));
    let out = create("FNOMCEO-POSTE-2016", "annuale", TAX_ID, at, &["--list-price"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let sub = p.show(address);
    assert_eq!(
        (sub["convention"].as_str(), sub["pricing"].as_str()),
        (Some("FNOMCEO-POSTE-2016"), Some("list-price"))
    );
    assert_eq!(sub["expiry"], "2025-03-10");
    // A second subscription of the same address is refused.
    let out = create("CROAS-DCS-2024", "annuale", TAX_ID, at, &[]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("already has a subscription"));
}

#[test]
fn bad_lifecycle_configuration_names_the_key() {
    let p = Provider::new();
    let config = p.data.join("certa.toml");
    let original = std::fs::read_to_string(&config).unwrap();
    let cases = [
        ("[lifecycle]\ninterval_secs = 5\n", "interval_secs"),
        ("[lifecycle]\ninterval_seconds = -5\n", "interval_seconds"),
        ("[lifecycle]\ninterval_seconds = 100000\n", "interval_seconds"),
        ("[lifecycle]\nrenewal_url = \"ftp://x\"\n", "renewal_url"),
        ("[lifecycle]\nmanagement_address = \"gestione\"\n", "management_address"),
        ("[lifecycle]\npayment_methods = []\n", "payment_methods"),
        (
            "[lifecycle.webhook]\nlisten = \"127.0.0.1:0\"\nsecret = \"short\"\n",
            "secret",
        ),
        (
            "[lifecycle.webhook]\nlisten = \"127.0.0.1:0\"\nsecret_file = \"nowhere\"\n",
            "secret_file",
        ),
        (
            "[lifecycle.webhook]\nlisten = \"localhost\"\nsecret = \"0123456789abcdef0123\"\n",
            "listen",
        ),
    ];
    for (section, key) in cases {
        std::fs::write(&config, format!("{original}\n{section}")).unwrap();
        let err = p.fails(&["convention", "list"]);
        assert!(err.contains(key), "{section}: {err}");
    }
    std::fs::write(
        &config,
        format!(
            "{original}\n[lifecycle]\nprovider_name = \"DCS\"\npayment_methods = [\"bonifico su IBAN IT00X\"]\n\
             renewal_url = \"https://dcs.test/rinnovo/{{order}}\"\n"
        ),
    )
    .unwrap();
    p.convention(DCS);
    p.subscribe("mario@pec.dcssrl.it", "2024-03-10T09:00:00+01:00");
    let order = p.ok(&[
        "subscription",
        "renew",
        "mario@pec.dcssrl.it",
        "--now",
        "2025-02-01T10:00:00+01:00",
    ]);
    assert!(order.contains("bonifico su IBAN IT00X"), "{order}");
    assert!(order.contains("https://dcs.test/rinnovo/CRT-2025-000001"), "{order}");
    assert!(order.contains("7,93 € VAT included (6,50 € + VAT 22 %)"), "{order}");
    assert!(order.contains("2025-03-10 -> 2026-03-10"), "{order}");
}

/// The report line of statement line `n`.
fn report_line(report: &str, n: usize) -> &str {
    let prefix = format!("line {n:>5}  ");
    report
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no report line {n} in:\n{report}"))
}

fn camt_entry(amount: &str, reference: &str, id: &str) -> String {
    format!(
        r#"      <Ntry>
        <Amt Ccy="EUR">{amount}</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><Dt>2025-03-14</Dt></BookgDt>
        <ValDt><Dt>2025-03-14</Dt></ValDt>
        <AcctSvcrRef>{id}</AcctSvcrRef>
        <NtryDtls><TxDtls>
          <RltdPties><Dbtr><Nm>ESPOSITO GIULIA</Nm></Dbtr></RltdPties>
          <RmtInf><Ustrd>{reference}</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>
"#
    )
}

fn camt(entries: &[String]) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>LIFECYCLE-CLI-1</MsgId><CreDtTm>2025-03-17T06:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>STMT-1</Id>
      <CreDtTm>2025-03-17T06:00:00</CreDtTm>
      <Acct><Id><IBAN>IT00X0000000000000000000001</IBAN></Id><Ccy>EUR</Ccy></Acct>
{}    </Stmt>
  </BkToCstmrStmt>
</Document>
"#,
        entries.concat()
    )
}

/// Every subscription's JSON, with its orders and payments.
fn snapshot(p: &Provider, addresses: &[String]) -> Vec<Value> {
    addresses.iter().map(|a| p.show(a)).collect()
}

#[test]
fn bank_statements_pay_the_matched_orders_once_and_report_every_line() {
    let p = Provider::new();
    p.convention(DCS);
    let addresses: Vec<String> = ["a", "b", "c", "d", "e"]
        .iter()
        .map(|u| format!("{u}@{DOMAIN}"))
        .collect();
    let mut orders = Vec::new();
    for a in &addresses {
        p.subscribe(a, "2024-03-10T09:00:00+01:00");
        orders.push(p.order(a, "2025-02-01T10:00:00+01:00"));
    }
    let [a, b, c, d, e] = [0, 1, 2, 3, 4].map(|i| orders[i].clone());
    let csv = format!(
        "Conto corrente;IT00X0000000000000000000001\n\
         \n\
         Data contabile;Data valuta;Importo;Divisa;Causale;Ordinante;Id operazione\n\
         12/03/2025;12/03/2025;7,93;EUR;\"BONIFICO SEPA; RINNOVO PEC {a}\";ROSSI MARIO;CRO-A\n\
         13/03/2025;13/03/2025;50,00;EUR;QUOTA ISCRIZIONE ALBO 2025;NERI LUCA;CRO-X\n\
         12/03/2025;12/03/2025;7,93;EUR;\"BONIFICO SEPA; RINNOVO PEC {a}\";ROSSI MARIO;CRO-A\n\
         14/03/2025;14/03/2025;15,86;EUR;ORDINI {b} E {c};BIANCHI LUCIA;CRO-BC\n\
         31/02/2025;14/03/2025;7,93;EUR;{d};GIALLI PIERO;CRO-D\n\
         14/03/2025;14/03/2025;7,00;EUR;{d};GIALLI PIERO;CRO-D2\n",
        a = a.to_lowercase().replace('-', " "),
    );
    let csv = p.file("estratto.csv", &csv);
    let csv = csv.to_str().unwrap();
    let now = "2025-03-17T09:00:00+01:00";
    let before = snapshot(&p, &addresses);

    // A dry run reports and applies nothing.
    let dry = p.ok(&["payment", "import", csv, "--dry-run", "--now", now]);
    assert!(report_line(&dry, 4).contains(&format!("matched {a}")), "{dry}");
    assert!(dry.contains("dry run: nothing applied"), "{dry}");
    assert_eq!(snapshot(&p, &addresses), before);

    let report = p.ok(&["payment", "import", csv, "--now", now]);
    assert!(report_line(&report, 4).contains(&format!("matched {a}")), "{report}");
    assert!(report_line(&report, 5).contains("unmatched"), "{report}");
    assert!(report_line(&report, 6).contains("duplicate"), "{report}");
    assert!(
        report_line(&report, 7).contains(&format!("ambiguous: {b}, {c}")),
        "{report}"
    );
    assert!(report_line(&report, 8).contains("malformed"), "{report}");
    assert!(
        report_line(&report, 9).contains(&format!("amount mismatch {d}")),
        "{report}"
    );
    assert!(
        report.contains(&format!(
            "line 4: order {a} paid (7,93 €): {} renewed from 2025-03-10 to 2026-03-10",
            addresses[0]
        )),
        "{report}"
    );
    // Paid from the old expiry (2025-03-10), not from the booking date.
    let paid = p.show(&addresses[0]);
    assert_eq!(paid["expiry"], "2026-03-10");
    assert_eq!(paid["orders"][0]["state"], "paid");
    assert_eq!(paid["orders"][0]["payment_id"], "CRO-A");
    assert_eq!(paid["payments"][0]["payment_id"], "CRO-A");
    for (i, sub) in snapshot(&p, &addresses).iter().enumerate().skip(1) {
        assert_eq!(sub, &before[i], "{} changed", addresses[i]);
    }

    // The same statement again: every line that paid is now a duplicate; nothing changes.
    let after_first = snapshot(&p, &addresses);
    let again = p.ok(&["payment", "import", csv, "--now", now]);
    assert!(report_line(&again, 4).contains("duplicate"), "{again}");
    assert!(!again.contains("  matched CRT"), "{again}");
    assert_eq!(snapshot(&p, &addresses), after_first);

    // camt.053: a match, the CSV's payment again (duplicate), another payment of a paid
    // order, an ambiguous reference, an unreadable amount, no order ID.
    let statement = camt(&[
        camt_entry("7.93", &format!("RINNOVO PEC {e} ESPOSITO"), "CAMT-E"),
        camt_entry("7.93", &format!("RINNOVO PEC {a}"), "CRO-A"),
        camt_entry("7.93", &format!("SECONDO PAGAMENTO {a}"), "CAMT-A2"),
        camt_entry("15.86", &format!("{b} {c}"), "CAMT-BC"),
        camt_entry("sette", &d, "CAMT-D"),
        camt_entry("12.00", "CONTRIBUTO", "CAMT-X"),
    ]);
    let xml = p.file("estratto.xml", &statement);
    let xml = xml.to_str().unwrap();
    let v = p.json(&["payment", "import", xml, "--now", now, "--json"]);
    let kinds: Vec<&str> = v["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "matched",
            "duplicate",
            "already paid",
            "ambiguous",
            "malformed",
            "unmatched"
        ],
        "{v}"
    );
    assert_eq!(v["applied"][0]["applied"]["new_expiry"], "2026-03-10", "{v}");
    assert_eq!(p.show(&addresses[4])["expiry"], "2026-03-10");
    let after_camt = snapshot(&p, &addresses);
    let again = p.json(&["payment", "import", xml, "--now", now, "--json"]);
    assert_eq!(again["lines"][0]["outcome"], "duplicate", "{again}");
    assert_eq!(again["applied"], serde_json::json!([]));
    assert_eq!(snapshot(&p, &addresses), after_camt);
    // Importing the CSV a third time still changes nothing.
    p.ok(&["payment", "import", csv, "--now", now]);
    assert_eq!(snapshot(&p, &addresses), after_camt);

    // Files that are no statement at all are refused whole.
    let html = p.file("pagina.xml", "<html><body>estratto</body></html>");
    let err = p.fails(&["payment", "import", html.to_str().unwrap()]);
    assert!(err.contains("camt.053"), "{err}");
    let text = p.file("note.csv", "appunti;senza\nintestazione;valida\n");
    let err = p.fails(&["payment", "import", text.to_str().unwrap()]);
    assert!(err.contains("no header row"), "{err}");
    assert_eq!(snapshot(&p, &addresses), after_camt);
}

#[test]
fn an_operator_payment_is_refused_applied_and_then_already_applied() {
    let p = Provider::new();
    p.convention(DCS);
    let address = format!("mario@{DOMAIN}");
    p.subscribe(&address, "2024-03-10T09:00:00+01:00");
    // Unpaid at expiry: suspended at 11:00 on the expiry day.
    let run = p.ok(&["lifecycle", "run", "--now", "2025-03-12T12:00:00+01:00"]);
    assert!(run.contains("suspend at 10/03/2025 11:00:00"), "{run}");
    assert_eq!(p.status(&address), "suspended");
    let order = p.show(&address)["orders"][0]["id"].as_str().unwrap().to_string();
    let pay = |amount: &str, id: &str| {
        p.certa(&[
            "payment",
            "record",
            &order,
            &format!("--amount={amount}"),
            "--payment-id",
            id,
            "--paid-at",
            "2025-03-15T10:00:00+01:00",
            "--now",
            "2025-03-15T10:00:00+01:00",
            "--json",
        ])
    };
    let before = p.show(&address);
    for (amount, expected) in [
        ("6.50", "--amount: amount 6,50 € does not match order"),
        ("sette", "--amount: \"sette\" is not an amount"),
        ("-7.93", "--amount: negative amount"),
    ] {
        let out = pay(amount, "BON-1");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains(expected), "{amount}: {err}");
        assert_eq!(p.show(&address), before, "nothing recorded for {amount}");
    }
    let err = p.fails(&[
        "payment",
        "record",
        "CRT-2025-999999",
        "--amount",
        "7.93",
        "--payment-id",
        "BON-1",
    ]);
    assert!(err.contains("ORDER_ID: no order CRT-2025-999999"), "{err}");

    let out = pay("7,93", "BON-1");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["outcome"], "renewed");
    assert_eq!(v["new_expiry"], "2026-03-10");
    assert_eq!(v["reactivated"], true);
    assert_eq!(p.status(&address), "active");
    let paid = p.show(&address);
    assert_eq!(
        (paid["state"].as_str(), paid["expiry"].as_str()),
        (Some("active"), Some("2026-03-10"))
    );

    let out = pay("7.93", "BON-1");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["outcome"], "already applied", "{v}");
    let out = pay("7.93", "BON-2");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["outcome"], "order already paid", "{v}");
    assert_eq!(v["paid_by"], "BON-1");
    let text = p.ok(&["payment", "record", &order, "--amount", "7.93", "--payment-id", "BON-1"]);
    assert!(text.contains("already applied"), "{text}");
    // Nothing changed by the repeats but the record of the refund due.
    let mut after = p.show(&address);
    let log = after["timeline"].as_array().cloned().unwrap_or_default();
    assert!(
        log.last()
            .is_some_and(|e| e.to_string().contains("payment-refused") && e.to_string().contains("refund due")),
        "{log:?}"
    );
    let mut before = paid.clone();
    after["timeline"] = Value::Null;
    before["timeline"] = Value::Null;
    assert_eq!(after, before, "nothing changed by the repeats");
}

/// Issue 11: a second payment of a paid order is not applied, and a script sees it
/// in the exit code, with the text on standard error or the JSON on standard output.
#[test]
fn a_second_payment_of_a_paid_order_fails_so_that_a_script_sees_the_refund_due() {
    let p = Provider::new();
    p.convention(DCS);
    let address = format!("mario@{DOMAIN}");
    p.subscribe(&address, "2024-03-10T09:00:00+01:00");
    let order = p.order(&address, "2025-02-01T10:00:00+01:00");
    let pay = |id: &str, json: bool| {
        let mut args = vec!["payment", "record", &order, "--amount", "7.93", "--payment-id", id];
        if json {
            args.push("--json");
        }
        p.certa(&args)
    };
    assert!(pay("BON-1", false).status.success());
    let text = pay("BON-2", false);
    assert_eq!(text.status.code(), Some(1));
    assert!(text.stdout.is_empty(), "{}", String::from_utf8_lossy(&text.stdout));
    let err = String::from_utf8_lossy(&text.stderr);
    assert!(
        err.contains(&format!(
            "certa: order {order} was already paid by payment BON-1: payment BON-2 not applied (refund it)"
        )),
        "{err}"
    );
    let json = pay("BON-3", true);
    assert_eq!(json.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        (v["outcome"].as_str(), v["paid_by"].as_str()),
        (Some("order already paid"), Some("BON-1"))
    );
    // A replay of the payment applied is no failure.
    assert!(pay("BON-1", true).status.success());
}

/// Issue 11: a transfer naming a cancelled order says so, instead of "no order ID".
#[test]
fn a_statement_line_naming_a_cancelled_order_reports_it_cancelled() {
    let p = Provider::new();
    p.convention(DCS);
    let address = format!("mario@{DOMAIN}");
    p.subscribe(&address, "2024-03-10T09:00:00+01:00");
    let order = p.order(&address, "2025-02-01T10:00:00+01:00");
    p.ok(&[
        "subscription",
        "cancel",
        &address,
        "--legal-time",
        "2025-02-02T10:00:00+01:00",
        "--now",
        "2025-02-02T10:05:00+01:00",
    ]);
    let csv = p.file(
        "estratto.csv",
        &format!(
            "Data contabile;Data valuta;Importo;Divisa;Causale;Ordinante;Id operazione\n\
             12/03/2025;12/03/2025;7,93;EUR;RINNOVO PEC {order};ROSSI MARIO;CRO-C\n"
        ),
    );
    let report = p.ok(&[
        "payment",
        "import",
        csv.to_str().unwrap(),
        "--now",
        "2025-03-17T09:00:00+01:00",
    ]);
    let line = report_line(&report, 2);
    assert!(
        line.contains(&format!("cancelled {order}: it cannot be paid")),
        "{report}"
    );
    assert!(!line.contains("unmatched"), "{report}");
    let v = p.json(&[
        "payment",
        "import",
        csv.to_str().unwrap(),
        "--now",
        "2025-03-17T09:00:00+01:00",
        "--json",
    ]);
    assert_eq!(v["lines"][0]["outcome"], "cancelled", "{v}");
    assert_eq!(v["lines"][0]["order_id"], order.as_str(), "{v}");
    assert_eq!(v["applied"], serde_json::json!([]));
}

#[test]
fn lifecycle_run_delivers_each_notice_once_and_suspends_at_eleven() {
    let p = Provider::new();
    p.convention(DCS);
    let address = format!("mario@{DOMAIN}");
    p.subscribe(&address, "2024-03-10T09:00:00+01:00");
    assert!(p.messages(&address).is_empty());

    let now = "2025-02-20T12:00:00+01:00";
    let first = p.ok(&["lifecycle", "run", "--now", now]);
    assert!(first.contains("performed: send-notice 2"), "{first}");
    let lines: Vec<&str> = first.lines().filter(|l| l.starts_with(&address)).collect();
    assert_eq!(lines.len(), 2, "one line per notice: {first}");
    assert!(
        lines[0].contains("pec-mailbox") && lines[1].contains("ordinary-email"),
        "{first}"
    );
    // Into the PEC mailbox: an Italian notice naming box, expiry, order, amount, link.
    let inbox = p.messages(&address);
    assert_eq!(inbox.len(), 1);
    let notice = p.blob(&inbox[0]);
    let order = p.show(&address)["orders"][0]["id"].as_str().unwrap().to_string();
    for part in [address.as_str(), "10/03/2025", order.as_str(), "7,93", "rinnovo"] {
        assert!(notice.contains(part), "{part} missing from the notice:\n{notice}");
    }
    // The ordinary e-mail's copy waits in the queue for the smarthost.
    let queue = p.json(&["queue", "--json"]);
    assert_eq!(queue["counts"]["queued"], 1, "{queue}");

    // The same instant again: nothing.
    let again = p.json(&["lifecycle", "run", "--now", now, "--json"]);
    assert_eq!(again["report"]["performed"], serde_json::json!({}), "{again}");
    assert_eq!(again["report"]["events"], serde_json::json!([]), "{again}");
    assert_eq!(p.messages(&address).len(), 1);

    // 10:59 on the expiry day: still active (the last weekly notice only); 11:00: suspended.
    let before = p.ok(&["lifecycle", "run", "--now", "2025-03-10T10:59:00+01:00"]);
    assert!(!before.contains("suspend"), "{before}");
    assert_eq!(p.status(&address), "active");
    let at = p.ok(&["lifecycle", "run", "--now", "2025-03-10T11:00:00+01:00"]);
    assert!(at.contains("suspend at 10/03/2025 11:00:00"), "{at}");
    assert_eq!(p.status(&address), "suspended");
    assert_eq!(p.show(&address)["state"], "suspended");
}

#[test]
fn lifecycle_simulate_reads_the_store_and_changes_nothing() {
    let p = Provider::new();
    p.convention(DCS);
    let address = format!("mario@{DOMAIN}");
    p.subscribe(&address, "2024-03-10T09:00:00+01:00");
    let sub = p.show(&address);
    let messages = p.messages(&address);
    let out = p.ok(&["lifecycle", "simulate", "--from", "2025-02-20", "--to", "2025-04-15"]);
    let m = &address;
    let expected = [
        format!("2025-02-20 00:00 CET  {m}  notice Recurring {{ days_before: 20 }} via PecMailbox (expiry 2025-03-10)"),
        format!(
            "2025-02-20 00:00 CET  {m}  notice Recurring {{ days_before: 20 }} via OrdinaryEmail (expiry 2025-03-10)"
        ),
        format!("2025-02-25 00:00 CET  {m}  notice Recurring {{ days_before: 13 }} via PecMailbox (expiry 2025-03-10)"),
        format!(
            "2025-02-25 00:00 CET  {m}  notice Recurring {{ days_before: 13 }} via OrdinaryEmail (expiry 2025-03-10)"
        ),
        format!("2025-03-04 00:00 CET  {m}  notice Recurring {{ days_before: 6 }} via PecMailbox (expiry 2025-03-10)"),
        format!(
            "2025-03-04 00:00 CET  {m}  notice Recurring {{ days_before: 6 }} via OrdinaryEmail (expiry 2025-03-10)"
        ),
        format!("2025-03-10 11:00 CET  {m}  suspended: cannot send nor receive"),
        format!("2025-03-30 11:00 CEST  {m}  closed"),
        format!("2025-03-30 11:00 CEST  {m}  contents deleted"),
        "9 events".to_string(),
    ];
    let events: Vec<&str> = out.lines().skip_while(|l| !l.starts_with("2025-")).collect();
    assert_eq!(events, expected.iter().map(String::as_str).collect::<Vec<_>>(), "{out}");
    assert_eq!(p.show(&address), sub, "simulate changed the subscription");
    assert_eq!(p.messages(&address), messages, "simulate delivered something");
    assert_eq!(p.status(&address), "active");

    // What the daily machine did is not simulated again.
    p.ok(&["lifecycle", "run", "--now", "2025-02-20T12:00:00+01:00"]);
    let out = p.ok(&[
        "lifecycle",
        "simulate",
        "--from",
        "2025-02-20",
        "--to",
        "2025-02-28",
        "--mailbox",
        m,
    ]);
    assert!(!out.contains("days_before: 20"), "{out}");
    assert!(out.contains("days_before: 13"), "{out}");
    let err = p.fails(&[
        "lifecycle",
        "simulate",
        "--from",
        "2025-02-20",
        "--to",
        "2025-02-28",
        "--mailbox",
        "x@pec.dcssrl.it",
    ]);
    assert!(err.contains("--mailbox: x@pec.dcssrl.it has no subscription"), "{err}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// POSTs `body` to the webhook with Python's http.client over TLS trusting `ca`;
/// `signature` is the header's value, if any. The status and the JSON answer.
fn post(url: &str, ca: &Path, body: &str, signature: Option<&str>) -> (u16, Value) {
    const SCRIPT: &str = r#"
import http.client, json, ssl, sys, urllib.parse
url, ca, body, sig = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
u = urllib.parse.urlparse(url)
conn = http.client.HTTPSConnection(u.hostname, u.port, context=ssl.create_default_context(cafile=ca), timeout=30)
headers = {"Content-Type": "application/json"}
if sig:
    headers["X-Certa-Signature"] = sig
conn.request("POST", u.path, body=body.encode(), headers=headers)
r = conn.getresponse()
print(json.dumps({"status": r.status, "body": json.loads(r.read().decode())}))
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", SCRIPT, url])
        .arg(ca)
        .args([body, signature.unwrap_or("")])
        .output()
        .expect("python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    (v["status"].as_u64().unwrap() as u16, v["body"].clone())
}

#[test]
fn the_webhook_of_certa_serve_records_signed_payments_once_and_the_daily_machine_runs() {
    let ports: Vec<String> = (0..4).map(|_| format!("127.0.0.1:{}", free_port())).collect();
    let p = Provider::init(&[
        "--submission",
        &ports[0],
        "--submissions",
        &ports[1],
        "--inbound",
        &ports[2],
    ]);
    let secret = "segreto-condiviso-di-prova-0123456789";
    p.file("webhook.secret", &format!("{secret}\n"));
    let config = p.data.join("certa.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "\n[lifecycle]\ninterval_seconds = 1\n\n[lifecycle.webhook]\nlisten = \"{}\"\nsecret_file = \"../webhook.secret\"\n",
        ports[3]
    ));
    std::fs::write(&config, text).unwrap();
    p.convention(DCS);
    // Expiring in 9 days (the servers run on the real clock): a weekly notice is due now.
    let today = rome_today();
    let expiry = today + chrono::Days::new(9);
    let activated = expiry.checked_sub_months(chrono::Months::new(12)).unwrap();
    let address = format!("mario@{DOMAIN}");
    p.subscribe(&address, &format!("{activated}T09:00:00+01:00"));
    assert_eq!(p.show(&address)["expiry"], expiry.to_string());
    let order = p.order(&address, &chrono::Utc::now().to_rfc3339());

    let mut child = certa()
        .args(["serve", "--data"])
        .arg(&p.data)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut serve = Proc(child);
    let mut lines = std::io::BufReader::new(stdout).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("certa serve ended before the webhook was up")
            .unwrap();
        if let Some(url) = line.strip_prefix("payment webhook: ") {
            break url.to_string();
        }
    };
    assert_eq!(url, format!("https://{}/payments/webhook", ports[3]));
    let ca = p.data.join("keys/ca.pem");

    // The daily machine of certa serve delivers the due notice on its own.
    wait_until("the notice from the daily machine", Duration::from_secs(30), || {
        (p.messages(&address).len() == 1).then_some(())
    });

    let body = format!(
        r#"{{"payment_id":"pay_001","order_id":"{order}","amount":"7.93","paid_at":"{}","method":"card"}}"#,
        chrono::Utc::now().to_rfc3339()
    );
    let sign = |body: &str| web::webhook::signature(secret.as_bytes(), body.as_bytes());
    let before = p.show(&address);
    let wrong = web::webhook::signature(b"un altro segreto qualunque", body.as_bytes());
    for signature in [None, Some(wrong.as_str()), Some("sha256=00")] {
        let (status, answer) = post(&url, &ca, &body, signature);
        assert_eq!(status, 401, "{signature:?}: {answer}");
    }
    // Signed, but not the signed body.
    let (status, _) = post(&url, &ca, &body.replace("7.93", "7.94"), Some(&sign(&body)));
    assert_eq!(status, 401);
    assert_eq!(p.show(&address), before, "nothing recorded without a valid signature");

    let malformed = r#"{"payment_id":"pay_001","amount":"7.93"}"#;
    let (status, answer) = post(&url, &ca, malformed, Some(&sign(malformed)));
    assert_eq!(status, 400);
    assert!(answer["error"].as_str().unwrap().contains("\"order_id\""), "{answer}");
    let bad_amount = body.replace("\"7.93\"", "\"sette\"");
    let (status, answer) = post(&url, &ca, &bad_amount, Some(&sign(&bad_amount)));
    assert_eq!(status, 400);
    assert!(answer["error"].as_str().unwrap().contains("\"amount\""), "{answer}");
    let unknown = body.replace(&order, "CRT-2020-999999");
    let (status, _) = post(&url, &ca, &unknown, Some(&sign(&unknown)));
    assert_eq!(status, 404);
    let mismatch = body.replace("\"7.93\"", "\"6.50\"");
    let (status, answer) = post(&url, &ca, &mismatch, Some(&sign(&mismatch)));
    assert_eq!(status, 422, "{answer}");
    assert_eq!(p.show(&address)["orders"], before["orders"]);

    let (status, answer) = post(&url, &ca, &body, Some(&sign(&body)));
    assert_eq!(status, 200, "{answer}");
    let next = expiry.checked_add_months(chrono::Months::new(12)).unwrap();
    assert_eq!(answer["outcome"], "renewed");
    assert_eq!(answer["new_expiry"], next.to_string());
    let paid = p.show(&address);
    assert_eq!(paid["expiry"], next.to_string());
    assert_eq!(paid["orders"][0]["payment_id"], "pay_001");

    // A replay, even years later, changes nothing.
    let (status, answer) = post(&url, &ca, &body, Some(&sign(&body)));
    assert_eq!(status, 200);
    assert_eq!(answer["outcome"], "already applied", "{answer}");
    assert_eq!(p.show(&address)["orders"], paid["orders"]);

    // SIGTERM: every task stops and the server exits cleanly.
    serve.terminate();
    let status = serve.0.wait().unwrap();
    assert!(status.success(), "certa serve exited with {status}");
}
