//! The Order's reserved area (`office::registry::reserved`): the one-time link
//! by PEC or by e-mail (once, for 30 minutes, the answer the same for a code
//! not on the roll), the member's own record only, a communicated PEC checked
//! as `member set-pec` checks it and recorded with the reserved-area channel
//! so that the next INI-PEC file carries it, a mailbox of this installation
//! recorded only once confirmed, and the limits on requests and wrong links;
//! on both storage back ends.

mod common;
mod registry_support;

use std::net::IpAddr;

use chrono::Duration;
use office::Office;
use office::mailboxes::{self, NewMailbox};
use office::registry::inipec;
use office::registry::members;
use office::registry::pec_checker::CheckLists;
use office::registry::reserved::{self, Asked, Communicated, LinkRefusal, MemberUser, Problem};
use registry::Sex;
use registry::inipec::IniPecFormat;
use registry_support::{HEADER, ORDER, Row, add_order, at, day, import};

const ORDER_PEC: &str = "segreteria@pec.office.test";
const BASE: &str = "https://pec.office.test/";

fn lists() -> CheckLists {
    CheckLists {
        provider_domains: vec!["pec.it".into(), "legalmail.it".into()],
        institutional_domains: vec!["ospedale.toscana.it".into()],
    }
}

fn verdi() -> Row<'static> {
    Row::new("Verdi", "Luca", day(1982, 7, 20), Sex::Male, "luca.verdi@pec.it")
}

fn rossi() -> Row<'static> {
    Row::new("Rossi", "Mario", day(1980, 1, 1), Sex::Male, "mario.rossi@pec.it")
}

/// No PEC; an ordinary e-mail on the roll.
fn bianchi() -> Row<'static> {
    Row::new("Bianchi", "Anna", day(1975, 3, 1), Sex::Female, "")
}

fn ip(last: u8) -> IpAddr {
    IpAddr::from([192, 0, 2, last])
}

/// The Order with its mailbox here and a roll of three (Bianchi with an e-mail).
async fn order_with_roll(office: &Office) {
    let mailbox = NewMailbox {
        address: ORDER_PEC,
        password: "segreteria segreteria",
        quota_bytes: 1 << 20,
    };
    mailboxes::add_mailbox(office, &mailbox).await.unwrap();
    add_order(office, ORDER_PEC).await;
    let mut text = format!("{};Email\n", HEADER.trim_end());
    for (row, email) in [(verdi(), ""), (rossi(), ""), (bianchi(), "anna.bianchi@example.org")] {
        text.push_str(&format!("{};{email}\n", row.line().trim_end()));
    }
    import(office, &text, day(2026, 3, 2), &lists()).await;
}

/// The text of the latest message the Order's mailbox sent.
async fn last_sent(office: &Office) -> String {
    let mut c = office.store().conn().await.unwrap();
    let sent = store::pec::sent_by(&mut c, ORDER_PEC).await.unwrap();
    let m = store::pec::by_identificativo(&mut c, sent.last().expect("a message sent"))
        .await
        .unwrap()
        .unwrap();
    text_of(&office.store().blobs().get(&m.original_blob).await.unwrap())
}

/// The text of a message, decoded (quoted-printable wraps a link's line).
fn text_of(raw: &[u8]) -> String {
    let message = mail_parser::MessageParser::default().parse(raw).expect("a message");
    let to: Vec<String> = message
        .to()
        .into_iter()
        .flat_map(|a| a.iter())
        .filter_map(|a| a.address().map(str::to_owned))
        .collect();
    format!("To: {}\n{}", to.join(", "), message.body_text(0).expect("a text body"))
}

/// The token after `/{what}/` in a message's text.
fn token_in(text: &str, what: &str) -> String {
    let marker = format!("/{what}/");
    let at = text
        .find(&marker)
        .unwrap_or_else(|| panic!("no link to {what} in:\n{text}"));
    text[at + marker.len()..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect()
}

/// Verdi logged in through a link sent to his PEC.
async fn verdi_logged_in(office: &Office) -> MemberUser {
    reserved::send_link(office, ORDER, &verdi().cf(), BASE)
        .await
        .unwrap()
        .unwrap();
    let token = token_in(&last_sent(office).await, "accesso");
    let session = reserved::open_link(office, ORDER, &token, ip(1))
        .await
        .unwrap()
        .unwrap();
    reserved::session(office, &session.token).await.unwrap().unwrap()
}

#[tokio::test]
async fn a_link_goes_by_pec_to_the_official_address_and_opens_once_within_30_minutes() {
    common::on_both_clocked(at(), |office, clock| async move {
        order_with_roll(&office).await;
        let sent = reserved::send_link(&office, ORDER, &verdi().cf().to_lowercase(), BASE)
            .await
            .unwrap()
            .expect("Verdi is on the roll");
        assert_eq!((sent.to.as_str(), sent.by), ("luca.verdi@pec.it", "pec"));
        let text = last_sent(&office).await;
        assert!(text.starts_with("To: luca.verdi@pec.it\n"), "{text}");
        assert!(
            text.contains(&format!("{BASE}area-riservata/{ORDER}/accesso/")),
            "{text}"
        );
        let token = token_in(&text, "accesso");
        assert_eq!(token.len(), 64, "32 random bytes");
        let stored: (String,) = store::sqlx::query_as("SELECT token_hash FROM registry_member_tokens")
            .fetch_one(&mut *office.store().conn().await.unwrap())
            .await
            .unwrap();
        assert_ne!(stored.0, token, "only the token's hash is kept");

        let session = reserved::open_link(&office, ORDER, &token, ip(1))
            .await
            .unwrap()
            .unwrap();
        let user = reserved::session(&office, &session.token).await.unwrap().unwrap();
        assert_eq!(
            (user.order.as_str(), user.codice_fiscale.as_str()),
            (ORDER, verdi().cf().as_str())
        );
        assert_eq!(user.name, "Luca Verdi");
        assert_eq!(
            reserved::open_link(&office, ORDER, &token, ip(1))
                .await
                .unwrap()
                .unwrap_err(),
            LinkRefusal::NotValid,
            "once"
        );

        // 31 minutes later a new link no longer opens.
        reserved::send_link(&office, ORDER, &verdi().cf(), BASE)
            .await
            .unwrap()
            .unwrap();
        let late = token_in(&last_sent(&office).await, "accesso");
        clock.set(at() + Duration::minutes(31));
        assert_eq!(
            reserved::open_link(&office, ORDER, &late, ip(1))
                .await
                .unwrap()
                .unwrap_err(),
            LinkRefusal::NotValid
        );
        // The session opened before ended after 30 idle minutes.
        assert!(reserved::session(&office, &session.token).await.unwrap().is_none());

        // A code not on the roll: nothing sent, nothing told.
        let before = store::pec::sent_by(&mut office.store().conn().await.unwrap(), ORDER_PEC)
            .await
            .unwrap()
            .len();
        let stranger = registry_support::cf("Neri", "Carla", day(1990, 5, 5), Sex::Female);
        assert!(
            reserved::send_link(&office, ORDER, &stranger, BASE)
                .await
                .unwrap()
                .is_none()
        );
        let after = store::pec::sent_by(&mut office.store().conn().await.unwrap(), ORDER_PEC)
            .await
            .unwrap()
            .len();
        assert_eq!(before, after);
    })
    .await;
}

#[tokio::test]
async fn without_a_pec_the_link_goes_to_the_ordinary_email_through_the_smarthost() {
    common::on_both(at(), |office| async move {
        order_with_roll(&office).await;
        let sent = reserved::send_link(&office, ORDER, &bianchi().cf(), BASE)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((sent.to.as_str(), sent.by), ("anna.bianchi@example.org", "e-mail"));
        let jobs = store::jobs::list(&mut office.store().conn().await.unwrap(), "queued", 100)
            .await
            .unwrap();
        let mail = jobs.iter().find(|j| j.kind == "mail").expect("a job for the smarthost");
        assert!(mail.payload.contains("anna.bianchi@example.org"), "{}", mail.payload);
        let work: engine::work::Work = serde_json::from_str(&mail.payload).unwrap();
        let engine::work::Work::Mail { blob, .. } = work else {
            panic!("not a mail job")
        };
        let text = text_of(&office.store().blobs().get(&blob).await.unwrap());
        assert!(text.starts_with("To: anna.bianchi@example.org"), "{text}");
        let token = token_in(&text, "accesso");
        let session = reserved::open_link(&office, ORDER, &token, ip(2))
            .await
            .unwrap()
            .unwrap();
        let user = reserved::session(&office, &session.token).await.unwrap().unwrap();
        assert_eq!(user.codice_fiscale, bianchi().cf());
    })
    .await;
}

/// Another Order on the installation (no members needed).
async fn another_order(office: &Office) {
    let other = office::registry::orders::NewOrder {
        code: "OAPPC-RM",
        name: "Ordine degli Architetti di Roma",
        tax_id: "80053230589",
        codice_ente: "80053230589",
        pec: "oappc@pec.office.test",
        delegate: None,
    };
    office::registry::orders::add(office, &other).await.unwrap();
}

#[tokio::test]
async fn a_member_sees_their_own_record_and_nothing_under_another_order() {
    common::on_both(at(), |office| async move {
        order_with_roll(&office).await;
        let user = verdi_logged_in(&office).await;
        let record = reserved::record(&office, &user, &ORDER.to_lowercase()).await.unwrap();
        assert_eq!(record.member().codice_fiscale.as_str(), verdi().cf());
        assert_eq!(record.history().len(), 1);
        assert_eq!(record.history()[0].address, "luca.verdi@pec.it");
        assert!(record.order_name.starts_with("Ordine dei Medici"));
        let other = reserved::record(&office, &user, "OAPPC-RM").await.unwrap_err();
        assert!(matches!(other, office::Error::NotFound { .. }), "{other}");
        let link = reserved::open_link(&office, "OAPPC-RM", "ab", ip(3)).await.unwrap();
        assert_eq!(link.unwrap_err(), LinkRefusal::NotValid);
        // Verdi's link under another Order's address: refused, and not spent.
        another_order(&office).await;
        reserved::send_link(&office, ORDER, &verdi().cf(), BASE)
            .await
            .unwrap()
            .unwrap();
        let token = token_in(&last_sent(&office).await, "accesso");
        let elsewhere = reserved::open_link(&office, "OAPPC-RM", &token, ip(3)).await.unwrap();
        assert_eq!(elsewhere.unwrap_err(), LinkRefusal::NotValid);
        assert!(
            reserved::open_link(&office, ORDER, &token, ip(3))
                .await
                .unwrap()
                .is_ok()
        );
    })
    .await;
}

#[tokio::test]
async fn a_communicated_pec_is_checked_recorded_by_the_reserved_area_and_reaches_the_next_inipec_file() {
    common::on_both_clocked(at(), |office, clock| async move {
        order_with_roll(&office).await;
        let first = inipec::export(&office, ORDER, None, &IniPecFormat::default())
            .await
            .unwrap();
        assert!(first.rows > 0);
        clock.set(at() + Duration::days(1));
        let user = verdi_logged_in(&office).await;
        let say = |address: &'static str, anyway: bool| {
            let office = office.clone();
            let user = user.clone();
            async move {
                reserved::communicate(&office, &user, ORDER, address, anyway, &lists(), BASE)
                    .await
                    .unwrap()
            }
        };
        let refused = |c: Communicated| match c {
            Communicated::Refused { problems, .. } => problems,
            other => panic!("not refused: {other:?}"),
        };
        assert_eq!(
            refused(say("luca.verdi@ospedale.toscana.it", false).await),
            [Problem::Institutional {
                domain: "ospedale.toscana.it".into()
            }]
        );
        assert_eq!(
            refused(say("luca.verdi@postacertificata.gov.it", false).await),
            [Problem::CecPac {
                domain: "postacertificata.gov.it".into()
            }]
        );
        assert_eq!(
            refused(say("mario.rossi@pec.it", false).await),
            [Problem::AnotherMembers]
        );
        assert_eq!(
            refused(say("LUCA.VERDI@pec.it ", false).await),
            [Problem::AlreadyOfficial]
        );
        assert!(matches!(
            refused(say("not an address", false).await)[..],
            [Problem::Malformed { .. }]
        ));
        match say("luca.verdi@gmail.com", false).await {
            Communicated::Warned { problems, .. } => {
                assert_eq!(
                    problems,
                    [Problem::NotAPecDomain {
                        domain: "gmail.com".into()
                    }]
                )
            }
            other => panic!("not warned: {other:?}"),
        }
        let shown = members::show(&office, ORDER, &verdi().cf()).await.unwrap();
        assert_eq!(shown.pec.len(), 1, "nothing refused or only warned was recorded");

        let Communicated::Recorded(done) = say("Luca.Verdi@legalmail.it", false).await else {
            panic!("not recorded")
        };
        assert_eq!(done.address, "luca.verdi@legalmail.it");
        assert_eq!(done.communicated_on, day(2026, 3, 11));
        let shown = members::show(&office, ORDER, &verdi().cf()).await.unwrap();
        let official = shown.pec.iter().find(|p| p.official).unwrap();
        assert_eq!(
            (
                official.address.as_str(),
                official.channel.as_str(),
                official.communicated_on.as_str()
            ),
            ("luca.verdi@legalmail.it", "reserved-area", "2026-03-11")
        );
        let next = inipec::export(&office, ORDER, None, &IniPecFormat::default())
            .await
            .unwrap();
        let file = String::from_utf8_lossy(next.file.as_deref().expect("a file with the change")).into_owned();
        assert_eq!(next.rows, 1, "{file}");
        assert!(
            file.contains("luca.verdi@legalmail.it") && file.contains(&verdi().cf()),
            "{file}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_mailbox_of_this_installation_is_recorded_only_once_its_holder_confirms_it() {
    common::on_both(at(), |office| async move {
        order_with_roll(&office).await;
        let here = "luca.verdi@pec.office.test";
        let mailbox = NewMailbox {
            address: here,
            password: "luca luca luca",
            quota_bytes: 1 << 20,
        };
        mailboxes::add_mailbox(&office, &mailbox).await.unwrap();
        let user = verdi_logged_in(&office).await;
        let missing = reserved::communicate(&office, &user, ORDER, "nessuno@pec.office.test", false, &lists(), BASE)
            .await
            .unwrap();
        assert!(
            matches!(&missing, Communicated::Refused { problems, .. } if problems == &[Problem::NoSuchMailbox]),
            "{missing:?}"
        );
        let asked = reserved::communicate(&office, &user, ORDER, here, false, &lists(), BASE)
            .await
            .unwrap();
        assert!(matches!(asked, Communicated::ToConfirm { .. }), "{asked:?}");
        let text = last_sent(&office).await;
        assert!(
            text.starts_with(&format!("To: {here}\n")),
            "the confirmation goes to the mailbox itself"
        );
        let token = token_in(&text, "conferma");
        let record = reserved::record(&office, &user, ORDER).await.unwrap();
        assert_eq!(record.pending.len(), 1);
        assert_eq!(record.pending[0].address, here);
        let official = record.history().iter().find(|p| p.official).unwrap();
        assert_eq!(
            official.address, "luca.verdi@pec.it",
            "not recorded before the confirmation"
        );
        let file = inipec::export(&office, ORDER, None, &IniPecFormat::default())
            .await
            .unwrap();
        let text = String::from_utf8_lossy(file.file.as_deref().unwrap()).into_owned();
        assert!(!text.contains(here), "INI-PEC does not get an unconfirmed address");

        let done = reserved::confirm(&office, ORDER, &token, ip(4), &lists())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(done.address, here);
        let record = reserved::record(&office, &user, ORDER).await.unwrap();
        let official = record.history().iter().find(|p| p.official).unwrap();
        assert_eq!(
            (official.address.as_str(), official.channel.as_str()),
            (here, "reserved-area")
        );
        assert!(record.pending.is_empty());
        assert_eq!(
            reserved::confirm(&office, ORDER, &token, ip(4), &lists())
                .await
                .unwrap()
                .unwrap_err(),
            LinkRefusal::NotValid,
            "once"
        );
    })
    .await;
}

#[tokio::test]
async fn link_requests_are_limited_per_member_and_wrong_links_per_client() {
    common::on_both(at(), |office| async move {
        order_with_roll(&office).await;
        let cf = verdi().cf();
        let ask = |cf: String, from: u8| {
            let office = office.clone();
            async move {
                reserved::request_link(&office, ORDER, &cf, ip(from), BASE)
                    .await
                    .unwrap()
                    .outcome
            }
        };
        for _ in 0..5 {
            assert_eq!(ask(cf.clone(), 5).await, Asked::Taken);
        }
        let sixth = ask(cf.clone(), 6).await;
        assert!(
            matches!(sixth, Asked::Throttled(t) if t.minutes > 0),
            "a sixth link in the hour for one member, from anywhere: {sixth:?}"
        );
        assert_eq!(
            ask(rossi().cf(), 6).await,
            Asked::Taken,
            "another member is not held up"
        );
        let bad = ask("RSSMRA80A01H501".into(), 6).await;
        assert!(matches!(bad, Asked::BadCodiceFiscale { .. }), "{bad:?}");
        let unknown = reserved::request_link(&office, "NESSUNO", &cf, ip(6), BASE).await;
        assert!(matches!(unknown, Err(office::Error::NotFound { field: "order", .. })));

        // Ten wrong links from one client: then not even a good one opens from there.
        reserved::send_link(&office, ORDER, &rossi().cf(), BASE)
            .await
            .unwrap()
            .unwrap();
        let good = token_in(&last_sent(&office).await, "accesso");
        for i in 0..10 {
            let wrong = format!("{:064x}", i);
            let r = reserved::open_link(&office, ORDER, &wrong, ip(7)).await.unwrap();
            assert_eq!(r.unwrap_err(), LinkRefusal::NotValid);
        }
        let locked = reserved::open_link(&office, ORDER, &good, ip(7)).await.unwrap();
        assert!(matches!(locked, Err(LinkRefusal::Throttled(_))), "{locked:?}");
        assert!(
            reserved::open_link(&office, ORDER, &good, ip(8)).await.unwrap().is_ok(),
            "from another client the link still opens"
        );
        // Let the links asked for above be sent before the store closes.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    })
    .await;
}
