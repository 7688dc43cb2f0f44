//! The demo's Order: OMCEO-AL, the Order of the demo's convention, kept on the first provider, its own PEC a
//! mailbox there, a small roll whose members have real codici fiscali, and its
//! reserved area on the first provider's web pages. Luca Verdi's PEC on the
//! roll is his demo mailbox on the second provider, so the one-time link the
//! Order sends him can be read in that provider's webmail; he has just opened
//! a mailbox on the first provider too (`new_mailbox`), the address to
//! communicate, which the Order asks him to confirm from that mailbox.

use anyhow::Result;
use chrono::NaiveDate;

use office::Office;
use office::mailboxes::{self, NewMailbox};
use office::registry::import::{self, RollFile};
use office::registry::orders::{self, NewOrder};
use office::registry::pec_checker::CheckLists;
use registry::{CodiceFiscale, Sex};
use store::mailboxes::DEFAULT_QUOTA;

use super::{DemoInfo, DemoMailbox, DemoProvider, OnCommandLine, random_password};
use crate::provider::Provider;

const CODE: &str = "OMCEO-AL";
const NAME: &str = "Ordine dei Medici Chirurghi e degli Odontoiatri della Provincia di Alessandria";
/// Made up for the demo, with a valid check digit (and the code of a tax office).
const TAX_ID: &str = "80027910480";
/// The Order's mailbox's name on the first provider's domain.
const MAILBOX: &str = "omceo-al";

/// The Order in `demo.json`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct DemoOrder {
    pub code: String,
    pub name: String,
    /// The Order's own PEC (a mailbox of the first provider) and its password.
    pub pec: String,
    pub pec_password: String,
    /// Where members ask for their link (the first provider's web pages).
    pub reserved_area_url: Option<String>,
    pub members: Vec<DemoMember>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct DemoMember {
    pub codice_fiscale: String,
    pub name: String,
    /// The PEC on the roll (the link goes there), if any.
    pub pec: Option<String>,
    /// The ordinary e-mail on the roll (the link goes there without a PEC).
    pub email: Option<String>,
    /// A mailbox the member holds on the first provider and has not told the
    /// Order yet: communicated in the reserved area, it is confirmed from there.
    #[serde(default)]
    pub new_mailbox: Option<DemoMailbox>,
}

/// Surname, name, birth, sex, PEC (`{second}`: the second provider's domain), e-mail.
type Person = (
    &'static str,
    &'static str,
    (i32, u32, u32),
    Sex,
    &'static str,
    &'static str,
);

const ROLL: [Person; 4] = [
    (
        "Verdi",
        "Luca",
        (1982, 7, 20),
        Sex::Male,
        "luca.verdi@{second}",
        "luca.verdi@example.org",
    ),
    (
        "Conti",
        "Giulia",
        (1979, 11, 3),
        Sex::Female,
        "giulia.conti@{second}",
        "",
    ),
    (
        "Galli",
        "Paolo",
        (1968, 2, 14),
        Sex::Male,
        "",
        "paolo.galli@example.org",
    ),
    ("Ferri", "Elena", (1990, 5, 28), Sex::Female, "", ""),
];

/// The Order and its roll on `provider` (`first` in demo.json), made the first
/// time; the Order's mailbox keeps the password of the previous run.
pub async fn ensure(provider: &Provider, first: &DemoProvider, previous: Option<&DemoInfo>) -> Result<DemoOrder> {
    let office = Office::new(provider.engine.clone());
    let pec = format!("{MAILBOX}@{}", first.domain);
    let previous = previous.and_then(|p| p.order.as_ref());
    let pec_password = mailbox(
        &office,
        &pec,
        previous.filter(|o| o.pec == pec).map(|o| &o.pec_password),
    )
    .await?;
    let second = second_domain(first);
    let mut members = roll(&second)?;
    // Luca Verdi has just opened a PEC on the first provider.
    let luca = format!("luca.verdi@{}", first.domain);
    let known = previous
        .and_then(|o| o.members.iter().find_map(|m| m.new_mailbox.as_ref()))
        .filter(|m| m.address == luca)
        .map(|m| &m.password);
    let password = mailbox(&office, &luca, known).await?;
    members[0].0.new_mailbox = Some(DemoMailbox {
        address: luca,
        password,
    });
    if orders::show(&office, CODE).await.is_err() {
        let order = NewOrder {
            code: CODE,
            name: NAME,
            tax_id: TAX_ID,
            codice_ente: TAX_ID,
            pec: &pec,
            delegate: None,
        };
        orders::add(&office, &order).await.named(&[])?;
        let csv = csv(&members);
        let file = RollFile {
            order: CODE,
            bytes: csv.as_bytes(),
            date: None,
            lists: &CheckLists::default(),
        };
        import::import(&office, &file, &mut |_| {}).await.named(&[])?;
    }
    Ok(DemoOrder {
        code: CODE.to_string(),
        name: NAME.to_string(),
        pec,
        pec_password,
        reserved_area_url: first.web_url.as_ref().map(|u| format!("{u}area-riservata/{CODE}")),
        members: members.into_iter().map(|(m, _)| m).collect(),
    })
}

/// The mailbox `address` on the first provider with the password of the
/// previous run, made (or given a new password) when there is none.
async fn mailbox(office: &Office, address: &str, known: Option<&String>) -> Result<String> {
    let exists = mailboxes::list(office)
        .await
        .named(&[])?
        .iter()
        .any(|m| m.address == address);
    Ok(match (exists, known) {
        (true, Some(p)) => p.clone(),
        (true, None) => {
            let p = random_password();
            mailboxes::set_password(office, address, &p).await.named(&[])?;
            p
        }
        (false, _) => {
            let p = random_password();
            let new = NewMailbox {
                address,
                password: &p,
                quota_bytes: DEFAULT_QUOTA,
            };
            mailboxes::add_mailbox(office, &new).await.named(&[])?;
            p
        }
    })
}

/// The other demo provider's domain.
fn second_domain(first: &DemoProvider) -> String {
    super::PROVIDERS
        .iter()
        .map(|s| s.domain)
        .find(|d| *d != first.domain)
        .unwrap_or("sud.pec.test")
        .to_string()
}

/// The roll's members with their birth data.
fn roll(second: &str) -> Result<Vec<(DemoMember, (NaiveDate, Sex))>> {
    ROLL.iter()
        .map(|&(surname, name, (y, m, d), sex, pec, email)| {
            let birth = NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| anyhow::anyhow!("bad demo birth date"))?;
            // A182: Alessandria.
            let cf = CodiceFiscale::compute(surname, name, birth, sex, "A182")?;
            let some = |s: &str| (!s.is_empty()).then(|| s.replace("{second}", second));
            Ok((
                DemoMember {
                    codice_fiscale: cf.as_str().to_string(),
                    name: format!("{name} {surname}"),
                    pec: some(pec),
                    email: some(email),
                    new_mailbox: None,
                },
                (birth, sex),
            ))
        })
        .collect()
}

/// The roll as the Order's secretariat writes it.
fn csv(members: &[(DemoMember, (NaiveDate, Sex))]) -> String {
    let mut text = String::from(
        "Codice Fiscale;Cognome;Nome;Data di nascita;Sesso;Numero iscrizione;Data iscrizione;Stato;PEC;Email\n",
    );
    for (i, (m, (birth, sex))) in members.iter().enumerate() {
        let (name, surname) = m.name.split_once(' ').unwrap_or((&m.name, ""));
        text.push_str(&format!(
            "{};{surname};{name};{};{};{};15/09/2010;attivo;{};{}\n",
            m.codice_fiscale,
            birth.format("%d/%m/%Y"),
            if *sex == Sex::Male { "M" } else { "F" },
            4100 + i,
            m.pec.as_deref().unwrap_or_default(),
            m.email.as_deref().unwrap_or_default(),
        ));
    }
    text
}

/// The banner's lines about the Order.
pub fn print(o: &DemoOrder) {
    println!("{} ({}), kept on the first provider", o.name, o.code);
    println!("  its PEC          {}   password {}", o.pec, o.pec_password);
    if let Some(url) = &o.reserved_area_url {
        println!("  reserved area    {url}");
    }
    if let Some(m) = o.members.iter().find(|m| m.pec.is_some()) {
        println!(
            "  a member         {} enters with codice fiscale {}: the link arrives as a PEC in {}'s webmail",
            m.name,
            m.codice_fiscale,
            m.pec.as_deref().unwrap_or_default()
        );
        if let Some(new) = &m.new_mailbox {
            println!(
                "  his new PEC      {}   password {}: communicated there, it is confirmed from its webmail",
                new.address, new.password
            );
        }
    }
    println!();
}
