//! The Order's registry on this installation's own PEC, against real servers
//! (`certa demo`: two providers, the real binary, real deliveries between them):
//!
//! - the diffida campaign goes out as real PEC from the Order's mailbox; a
//!   diffida delivered to a member at the other provider is recorded as
//!   received on the day of its delivery receipt (the 30 days run from it); one
//!   sent to a mailbox of this installation that was closed comes back as a
//!   non-delivery, is void, and that member is then warned by letter; running
//!   the campaign again sends nothing twice;
//! - the operator closing a mailbox flags it on the member who communicated it;
//! - the ReGIndE file is signed (CAdES) by the Order's registered delegate and
//!   sent as a PEC to the Ministry's mailbox, where the signature verifies with
//!   `openssl cms`, the content validates against the project's XSD with
//!   `xmllint`, and the envelope passes `pec-check.py`; a certificate of anyone
//!   but the delegate is refused and nothing is recorded.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use chrono::NaiveDate;
use mail_parser::MimeHeaders as _;
use registry::{CodiceFiscale, Sex};
use serde_json::Value;

use support::*;

const ORDER: &str = "OMCEO-FI";
const HEADER: &str = "Codice Fiscale;Cognome;Nome;Data di nascita;Sesso;Numero iscrizione;Data iscrizione;Stato;Data cancellazione;CTU;PEC;Indirizzo;CAP;Comune;Provincia\n";

/// The Order, with its mailbox on provider 0.
fn add_order(demo: &Demo) -> String {
    let data = demo.data(0);
    let pec = format!("segreteria@{}", demo.domain(0));
    ok_on(
        &data,
        &["mailbox", "add", &pec, "--password", "segreteria segreteria segreteria"],
    );
    ok_on(
        &data,
        &[
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
            &pec,
            "--delegate",
            &delegate_cf(),
            "--delegate-surname",
            "Rossi",
            "--delegate-name",
            "Mario",
        ],
    );
    pec
}

fn cf(surname: &str, name: &str, birth: (i32, u32, u32), sex: Sex) -> String {
    let birth = NaiveDate::from_ymd_opt(birth.0, birth.1, birth.2).unwrap();
    CodiceFiscale::compute(surname, name, birth, sex, "D612")
        .unwrap()
        .as_str()
        .to_owned()
}

fn delegate_cf() -> String {
    cf("Rossi", "Mario", (1960, 4, 2), Sex::Male)
}

fn today() -> NaiveDate {
    chrono::Utc::now().with_timezone(&chrono_tz::Europe::Rome).date_naive()
}

fn member(data: &Path, cf: &str) -> Value {
    json_on(data, &["member", "show", cf, "--order", ORDER, "--json"])
}

fn steps(member: &Value) -> Vec<(String, String, Option<String>)> {
    member["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["kind"].as_str().unwrap().to_string(),
                s["on_date"].as_str().unwrap().to_string(),
                s["message"].as_str().map(str::to_string),
            )
        })
        .collect()
}

#[test]
fn diffide_go_as_pec_from_the_orders_mailbox_and_their_delivery_is_recorded() {
    let demo = Demo::start(CERTA, None);
    let data = demo.data(0);
    let order_pec = add_order(&demo);
    // A mailbox here that its holder will lose.
    let closing = format!("dott.conte@{}", demo.domain(0));
    ok_on(
        &data,
        &["mailbox", "add", &closing, "--password", "conte conte conte conte"],
    );

    // Conte: a box of this installation; Bianchi: a box of the hospital she works for
    // (the other provider's domain, given as an employer's institutional domain);
    // Verdi: no PEC at all; Rossi: a personal PEC here.
    let conte = cf("Conte", "Nicola", (1982, 8, 15), Sex::Male);
    let bianchi = cf("Bianchi", "Anna", (1975, 3, 1), Sex::Female);
    let verdi = cf("Verdi", "Luca", (1982, 7, 20), Sex::Male);
    let rossi = cf("Rossi", "Paolo", (1970, 5, 5), Sex::Male);
    let (hospital, personal) = (demo.address(1, 0).to_string(), demo.address(0, 0).to_string());
    let roll = format!(
        "{HEADER}\
         {conte};Conte;Nicola;15/08/1982;M;1502;01/02/2012;attivo;;no;{closing};Via Roma 3;50100;Firenze;FI\n\
         {bianchi};Bianchi;Anna;01/03/1975;F;987;15/09/2001;attivo;;no;{hospital};Via Larga 1;50123;Firenze;FI\n\
         {verdi};Verdi;Luca;20/07/1982;M;555;01/02/2012;attivo;;no;;Via Roma 5;50100;Firenze;FI\n\
         {rossi};Rossi;Paolo;05/05/1970;M;1234;02/06/2010;attivo;;no;{personal};Via dei Servi 12;50122;Firenze;FI\n"
    );
    let file = demo.path("roll.csv");
    std::fs::write(&file, roll).unwrap();
    let institutional = demo.domain(1).to_string();
    let report = json_on(
        &data,
        &[
            "member",
            "import",
            file.to_str().unwrap(),
            "--order",
            ORDER,
            "--institutional-domain",
            &institutional,
            "--json",
        ],
    );
    assert_eq!(report["imported"], 4, "{report}");
    // The import checks addresses like `set-pec`: the employer's PEC is named.
    let rows = report["rows"].as_array().unwrap();
    let warnings_of = |cf: &str| -> String {
        let row = rows.iter().find(|r| r["codice_fiscale"] == cf).unwrap();
        row["warnings"].to_string()
    };
    assert!(
        warnings_of(&bianchi).contains("institutional"),
        "{}",
        warnings_of(&bianchi)
    );
    assert_eq!(warnings_of(&rossi), "[]");
    assert_eq!(warnings_of(&conte), "[]");

    // The operator closes Conte's box: the registry learns he has no valid PEC any more.
    let out = ok_on(&data, &["mailbox", "status", &closing, "closed"]);
    assert!(
        out.contains(&format!(
            "flagged as no longer valid on member {conte} of Order {ORDER}"
        )),
        "{out}"
    );
    let shown = member(&data, &conte);
    let official = &shown["pec"][0];
    assert_eq!(official["valid"], false, "{shown}");
    assert!(
        official["flag"].as_str().unwrap().contains("closed by the operator"),
        "{shown}"
    );

    let report = json_on(&data, &["compliance", "report", "--order", ORDER, "--json"]);
    assert_eq!(
        report["report"]["without_valid_pec"],
        serde_json::json!([bianchi, conte, verdi]),
        "{report}"
    );

    // The campaign: Verdi needs a letter; the other two go as PEC through the engine.
    let err = fails_on(&data, &["compliance", "warn", "--order", ORDER]);
    assert!(err.contains("--letters"), "{err}");
    let letters = demo.path("letters.txt");
    let tomorrow = (today() + chrono::Days::new(1)).to_string();
    let err = fails_on(
        &data,
        &[
            "compliance",
            "warn",
            "--order",
            ORDER,
            "--letters",
            letters.to_str().unwrap(),
            "--date",
            &tomorrow,
        ],
    );
    assert!(err.contains("dated by its acceptance"), "{err}");
    let out = ok_on(
        &data,
        &[
            "compliance",
            "warn",
            "--order",
            ORDER,
            "--letters",
            letters.to_str().unwrap(),
        ],
    );
    assert!(out.contains(&format!("{ORDER}: 2 warned by PEC, 1 by letter")), "{out}");
    assert!(std::fs::read_to_string(&letters).unwrap().contains("Luca Verdi"));

    // Bianchi's diffida reaches the other provider: a real transport envelope.
    let envelope = wait_until("the diffida in Bianchi's mailbox", Duration::from_secs(60), || {
        mailbox(&demo.data(1), &hospital)
            .into_iter()
            .find(|m| m.pec_kind.as_deref() == Some("busta-trasporto"))
    });
    let raw = std::fs::read(&envelope.path).unwrap();
    let text = String::from_utf8_lossy(&raw);
    assert!(text.contains("Diffida ad adempiere"), "the envelope's subject");
    let findings = pec_check(&envelope.path, &demo.ca());
    assert!(findings.is_empty(), "pec-check on the diffida: {findings:?}");

    // The next report reads the outcomes from the provider's records.
    let (b, c) = wait_until("both outcomes recorded", Duration::from_secs(60), || {
        ok_on(&data, &["compliance", "report", "--order", ORDER]);
        let (b, c) = (steps(&member(&data, &bianchi)), steps(&member(&data, &conte)));
        let done = |s: &[(String, String, Option<String>)]| s.iter().any(|x| x.0 == "received" || x.0 == "undelivered");
        (done(&b) && done(&c)).then_some((b, c))
    });
    let day = today().to_string();
    assert_eq!(b.len(), 2, "{b:?}");
    assert_eq!((b[0].0.as_str(), b[0].1.as_str()), ("warned", day.as_str()));
    assert_eq!((b[1].0.as_str(), b[1].1.as_str()), ("received", day.as_str()));
    assert!(
        b[0].2.is_some() && b[0].2 == b[1].2,
        "the receipt names the diffida's message: {b:?}"
    );
    assert_eq!(
        c.iter().map(|s| s.0.as_str()).collect::<Vec<_>>(),
        ["warned", "undelivered"],
        "{c:?}"
    );

    // The Order's mailbox holds the receipts: two acceptances, one delivery, one non-delivery.
    let order_box = mailbox(&data, &order_pec);
    assert_eq!(count(&order_box, "accettazione"), 2);
    assert_eq!(count(&order_box, "avvenuta-consegna"), 1);
    assert_eq!(count(&order_box, "errore-consegna"), 1);

    // Bianchi's term runs 30 days from delivery (Verdi's from the letter, its receipt
    // not being known); Conte's diffida is void: a letter is due.
    let report = json_on(&data, &["compliance", "report", "--order", ORDER, "--json"]);
    let deadline = (today() + chrono::Days::new(30)).to_string();
    assert_eq!(
        report["report"]["warned"],
        serde_json::json!([[bianchi, deadline], [verdi, deadline]]),
        "{report}"
    );
    assert_eq!(
        report["report"]["diffida_due"],
        serde_json::json!([[conte, { "channel": "letter" }]]),
        "{report}"
    );

    // Again: Conte by letter, and no PEC twice.
    let out = ok_on(
        &data,
        &[
            "compliance",
            "warn",
            "--order",
            ORDER,
            "--letters",
            letters.to_str().unwrap(),
        ],
    );
    assert!(out.contains(&format!("{ORDER}: 0 warned by PEC, 1 by letter")), "{out}");
    assert!(std::fs::read_to_string(&letters).unwrap().contains("Nicola Conte"));
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(count(&mailbox(&data, &order_pec), "accettazione"), 2);
    // Rossi, compliant, got nothing.
    assert_eq!(count(&mailbox(&data, &personal), "busta-trasporto"), 0);
}

/// A self-signed certificate for `cf` (subject serialNumber `TINIT-<cf>`): (cert, key).
fn signing_certificate(dir: &Path, name: &str, cf: &str) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join(format!("{name}.crt")), dir.join(format!("{name}.key")));
    let status = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .args(["-subj", &format!("/CN={name}/serialNumber=TINIT-{cf}")])
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    (cert, key)
}

#[test]
fn the_reginde_file_is_signed_by_the_delegate_and_sent_by_pec_to_the_ministry() {
    let demo = Demo::start(CERTA, None);
    let data = demo.data(0);
    add_order(&demo);
    let ministry = format!("prot.dgsia@{}", demo.domain(1));
    ok_on(
        &demo.data(1),
        &[
            "mailbox",
            "add",
            &ministry,
            "--password",
            "ministero ministero ministero",
        ],
    );
    let (a, b) = (
        cf("Bianchi", "Anna", (1975, 3, 1), Sex::Female),
        cf("Conte", "Nicola", (1982, 8, 15), Sex::Male),
    );
    let roll = format!(
        "{HEADER}\
         {a};Bianchi;Anna;01/03/1975;F;987;15/09/2001;attivo;;si;anna.bianchi@{d};Via Larga 1;50123;Firenze;FI\n\
         {b};Conte;Nicola;15/08/1982;M;1502;01/02/2012;attivo;;si;nicola.conte@{d};Via Roma 3;50100;Firenze;FI\n",
        d = demo.domain(1)
    );
    let file = demo.path("roll.csv");
    std::fs::write(&file, roll).unwrap();
    ok_on(&data, &["member", "import", file.to_str().unwrap(), "--order", ORDER]);

    let (cert, key) = signing_certificate(demo.dir(), "Mario Rossi", &delegate_cf());
    let (other_cert, other_key) = signing_certificate(demo.dir(), "Anna Bianchi", &a);
    let send = |cert: &Path, key: &Path, out: &Path| {
        certa_on(
            &data,
            &[
                "export",
                "reginde",
                "--order",
                ORDER,
                "--send-to",
                &ministry,
                "--signer-cert",
                cert.to_str().unwrap(),
                "--signer-key",
                key.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
        )
    };
    // Someone else's certificate: refused before anything is sent or recorded.
    let sent_xml = demo.path("sent.xml");
    let refused = send(&other_cert, &other_key, &sent_xml);
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("F001") && err.contains(&delegate_cf()), "{err}");
    let history = json_on(&data, &["export", "history", "--order", ORDER, "--json"]);
    assert_eq!(history["reginde"], serde_json::json!([]), "{history}");

    let out = send(&cert, &key, &sent_xml);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("sent by PEC from segreteria@{} to {ministry}", demo.domain(0))),
        "{stdout}"
    );
    let history = json_on(&data, &["export", "history", "--order", ORDER, "--json"]);
    let identificativo = history["reginde"][0]["message"]
        .as_str()
        .expect("the PEC is recorded")
        .to_string();
    assert_eq!(history["reginde"][0]["whole"], true);

    // At the Ministry: one envelope, whose message carries exactly one attachment.
    let envelope = wait_until("the roll at the Ministry", Duration::from_secs(60), || {
        mailbox(&demo.data(1), &ministry)
            .into_iter()
            .find(|m| m.pec_kind.as_deref() == Some("busta-trasporto"))
    });
    assert_eq!(envelope.identificativo.as_deref(), Some(identificativo.as_str()));
    let findings = pec_check(&envelope.path, &demo.ca());
    assert!(findings.is_empty(), "pec-check on the ReGIndE PEC: {findings:?}");
    let raw = std::fs::read(&envelope.path).unwrap();
    let pec::parse::Parsed::Pec(parsed) = pec::parse::parse(&raw, None) else {
        panic!("not a PEC envelope");
    };
    let original = parsed.postacert.expect("the original message");
    let message = mail_parser::MessageParser::default().parse(&original).unwrap();
    let attachments: Vec<_> = message.attachments().collect();
    assert_eq!(attachments.len(), 1, "exactly one attachment");
    assert_eq!(attachments[0].attachment_name(), Some("ComunicazioniSoggetti.xml.p7m"));
    let p7m = demo.path("ComunicazioniSoggetti.xml.p7m");
    std::fs::write(&p7m, attachments[0].contents()).unwrap();

    // The signature verifies against the delegate's certificate and encloses the file sent.
    let verified = demo.path("verified.xml");
    let out = Command::new("openssl")
        .args(["cms", "-verify", "-binary", "-inform", "DER", "-in"])
        .arg(&p7m)
        .arg("-CAfile")
        .arg(&cert)
        .arg("-out")
        .arg(&verified)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl cms -verify: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read(&verified).unwrap(), std::fs::read(&sent_xml).unwrap());
    // CAdES: the signing-certificate-v2 attribute is among the signed ones.
    let printed = Command::new("openssl")
        .args(["cms", "-cmsout", "-print", "-inform", "DER", "-in"])
        .arg(&p7m)
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&printed.stdout);
    assert!(
        printed.contains("signingCertificateV2") || printed.contains("1.2.840.113549.1.9.16.2.47"),
        "no ESS signing-certificate-v2 attribute"
    );
    let xsd = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../registry/schema/ComunicazioniSoggetti.xsd"
    );
    let lint = Command::new("xmllint")
        .args(["--noout", "--schema", xsd])
        .arg(&verified)
        .output()
        .unwrap();
    assert!(
        lint.status.success(),
        "xmllint: {}",
        String::from_utf8_lossy(&lint.stderr)
    );
    let xml = std::fs::read_to_string(&verified).unwrap();
    assert!(xml.contains(&a) && xml.contains(&b));

    // The Order's mailbox has the acceptance and, from the other provider, the delivery receipt.
    let order_box = wait_until("the delivery receipt", Duration::from_secs(60), || {
        let m = mailbox(&data, &format!("segreteria@{}", demo.domain(0)));
        (count(&m, "avvenuta-consegna") == 1).then_some(m)
    });
    assert_eq!(count(&order_box, "accettazione"), 1);
}
