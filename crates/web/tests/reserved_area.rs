//! The Order's reserved area, route by route: the link asked for with the same
//! answer whether or not the code is on the roll, used by a POST only and
//! once; a member sees only their own record, another Order's address is 404;
//! cross-site POSTs refused; link requests and wrong links limited; an
//! address refused, warned or recorded in words, a mailbox here confirmed.

mod common;
#[path = "../../office/tests/registry_support/mod.rs"]
mod registry_support;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::connect_info::MockConnectInfo;
use axum::http::StatusCode;
use chrono::Duration;
use common::{Browser, HOST};
use office::Office;
use office::mailboxes::{self, NewMailbox};
use office::registry::import::{self, RollFile};
use office::registry::orders::{self, NewOrder};
use office::registry::pec_checker::CheckLists;
use registry::Sex;
use registry_support::{ORDER, Row, add_order, day, roll};
use testkit::office::Stopped;
use web::tls::Peer;
use web::{AppState, Settings};

const ORDER_PEC: &str = "segreteria@pec.office.test";
const OTHER: &str = "OAPPC-RM";

fn verdi() -> Row<'static> {
    Row::new("Verdi", "Luca", day(1982, 7, 20), Sex::Male, "luca.verdi@pec.it")
}

fn rossi() -> Row<'static> {
    Row::new("Rossi", "Mario", day(1980, 1, 1), Sex::Male, "mario.rossi@pec.it")
}

fn lists() -> CheckLists {
    CheckLists {
        provider_domains: vec!["pec.it".into()],
        institutional_domains: Vec::new(),
    }
}

struct Area {
    office: Office,
    clock: Arc<Stopped>,
    settings: Settings,
    _dir: tempfile::TempDir,
}

impl Area {
    /// The Order OMCEO-FI (its mailbox here, Verdi and Rossi on its roll) and
    /// another Order with a member of its own.
    async fn new() -> Area {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(Stopped(std::sync::Mutex::new(registry_support::at())));
        let office = testkit::office::office_on(dir.path(), None, clock.clone()).await;
        let mailbox = NewMailbox {
            address: ORDER_PEC,
            password: "segreteria segreteria",
            quota_bytes: 1 << 20,
        };
        mailboxes::add_mailbox(&office, &mailbox).await.unwrap();
        add_order(&office, ORDER_PEC).await;
        registry_support::import(&office, &roll(&[verdi(), rossi()]), day(2026, 3, 2), &lists()).await;
        let other = NewOrder {
            code: OTHER,
            name: "Ordine degli Architetti di Roma",
            tax_id: "80053230589",
            codice_ente: "80053230589",
            pec: "oappc@pec.office.test",
            delegate: None,
        };
        orders::add(&office, &other).await.unwrap();
        let neri = Row::new("Neri", "Carla", day(1990, 5, 5), Sex::Female, "carla.neri@pec.it");
        let text = roll(&[neri]);
        let file = RollFile {
            order: OTHER,
            bytes: text.as_bytes(),
            date: Some(day(2026, 3, 2)),
            lists: &lists(),
        };
        import::import(&office, &file, &mut |_| {}).await.unwrap();
        let settings = Settings {
            public_url: format!("https://{HOST}/"),
            ..Settings::default()
        };
        Area {
            office,
            clock,
            settings,
            _dir: dir,
        }
    }

    /// A browser from the client address `192.0.2.{last}`.
    fn browser(&self, last: u8) -> Browser {
        let settings = Settings {
            public_url: self.settings.public_url.clone(),
            ..Settings::default()
        };
        let router = web::router(AppState::new(self.office.clone(), settings))
            .layer(MockConnectInfo(Peer(SocketAddr::from(([192, 0, 2, last], 40000)))));
        Browser::on(router)
    }

    /// The identificativi of what the Order's mailbox sent.
    async fn sent(&self) -> Vec<String> {
        store::pec::sent_by(&mut self.office.store().conn().await.unwrap(), ORDER_PEC)
            .await
            .unwrap()
    }

    /// The token after `/{what}/` in the message the Order sends next (the
    /// link goes after the page's answer): waits up to 10 s for it.
    async fn next_token(&self, before: usize, what: &str) -> String {
        for _ in 0..200 {
            let sent = self.sent().await;
            if sent.len() > before {
                let mut c = self.office.store().conn().await.unwrap();
                let m = store::pec::by_identificativo(&mut c, sent.last().unwrap())
                    .await
                    .unwrap()
                    .unwrap();
                let raw = self.office.store().blobs().get(&m.original_blob).await.unwrap();
                // Quoted-printable wraps the link's line: undo the soft breaks.
                let text = String::from_utf8_lossy(&raw).replace("=\r\n", "");
                let marker = format!("/{what}/");
                let at = text.find(&marker).unwrap_or_else(|| panic!("no link in:\n{text}"));
                return text[at + marker.len()..]
                    .chars()
                    .take_while(char::is_ascii_hexdigit)
                    .collect();
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("no message sent by the Order");
    }

    /// A browser logged in as Verdi through his link.
    async fn verdi(&self, last: u8) -> Browser {
        let mut b = self.browser(last);
        let before = self.sent().await.len();
        let asked = b
            .post(
                &format!("/area-riservata/{ORDER}/accesso"),
                &[("codice_fiscale", &verdi().cf())],
            )
            .await;
        assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
        let token = self.next_token(before, "accesso").await;
        let entered = b.post(&format!("/area-riservata/{ORDER}/accesso/{token}"), &[]).await;
        assert_eq!(entered.status, StatusCode::SEE_OTHER, "{}", entered.body);
        b
    }
}

#[tokio::test]
async fn a_member_enters_by_a_one_time_link_and_sees_only_their_own_record() {
    let area = Area::new().await;
    let mut b = area.browser(1);
    let form = b.get(&format!("/area-riservata/{ORDER}")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.body
            .contains(&format!(r#"action="/area-riservata/{ORDER}/accesso""#))
    );
    assert!(form.body.contains("Ordine dei Medici Chirurghi"));
    assert_eq!(b.get("/area-riservata/NESSUNO").await.status, StatusCode::NOT_FOUND);

    // The same answer for a member and for a code not on the roll.
    let before = area.sent().await.len();
    let member = b
        .post(
            &format!("/area-riservata/{ORDER}/accesso"),
            &[("codice_fiscale", &verdi().cf())],
        )
        .await;
    let stranger_cf = registry_support::cf("Gialli", "Ugo", day(1970, 2, 2), Sex::Male);
    let stranger = b
        .post(
            &format!("/area-riservata/{ORDER}/accesso"),
            &[("codice_fiscale", &stranger_cf)],
        )
        .await;
    assert_eq!((member.status, stranger.status), (StatusCode::OK, StatusCode::OK));
    assert_eq!(member.body, stranger.body, "nothing tells who is on the roll");
    assert!(member.body.contains("id=\"link-sent\""));
    let bad = b
        .post(
            &format!("/area-riservata/{ORDER}/accesso"),
            &[("codice_fiscale", "VRDLCU")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Codice fiscale:"), "{}", bad.body);

    let token = area.next_token(before, "accesso").await;
    let link = format!("/area-riservata/{ORDER}/accesso/{token}");
    // Opening the link shows a button; only its POST uses the link.
    for _ in 0..2 {
        let shown = b.get(&link).await;
        assert_eq!(shown.status, StatusCode::OK);
        assert!(shown.body.contains(&format!(r#"action="{link}""#)));
    }
    assert_eq!(
        b.get(&format!("/area-riservata/{ORDER}/scheda")).await.status,
        StatusCode::SEE_OTHER
    );
    let entered = b.post(&link, &[]).await;
    assert_eq!(entered.status, StatusCode::SEE_OTHER);
    assert_eq!(entered.location(), format!("/area-riservata/{ORDER}/scheda"));
    let cookie = entered.header("set-cookie").unwrap();
    assert!(
        cookie.starts_with("__Host-certa-member=")
            && cookie.contains("HttpOnly")
            && cookie.contains("Secure")
            && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );

    let record = b.get(&format!("/area-riservata/{ORDER}/scheda")).await;
    assert_eq!(record.status, StatusCode::OK);
    for shown in [verdi().cf().as_str(), "luca.verdi@pec.it", "Luca Verdi"] {
        assert!(record.body.contains(shown), "{shown} on the record:\n{}", record.body);
    }
    assert!(!record.body.contains(&rossi().cf()) && !record.body.contains("mario.rossi"));
    // Another Order's address, with Verdi's session: not found.
    assert_eq!(
        b.get(&format!("/area-riservata/{OTHER}/scheda")).await.status,
        StatusCode::NOT_FOUND
    );
    let other = b
        .post(
            &format!("/area-riservata/{OTHER}/pec"),
            &[("csrf", &record.csrf()), ("address", "luca@pec.it")],
        )
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);

    // Used once.
    let again = area.browser(1).post(&link, &[]).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert!(again.body.contains("Questo link non è valido"), "{}", again.body);

    // Logged out: the record is behind the link again.
    let out = b
        .post(&format!("/area-riservata/{ORDER}/esci"), &[("csrf", &record.csrf())])
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(
        b.get(&format!("/area-riservata/{ORDER}/scheda")).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn an_expired_link_does_not_open() {
    let area = Area::new().await;
    let mut b = area.browser(2);
    let before = area.sent().await.len();
    b.post(
        &format!("/area-riservata/{ORDER}/accesso"),
        &[("codice_fiscale", &rossi().cf())],
    )
    .await;
    let token = area.next_token(before, "accesso").await;
    area.clock.set(registry_support::at() + Duration::minutes(31));
    let late = b.post(&format!("/area-riservata/{ORDER}/accesso/{token}"), &[]).await;
    assert_eq!(late.status, StatusCode::NOT_FOUND);
    assert!(late.body.contains("è scaduto"), "{}", late.body);
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let area = Area::new().await;
    let mut b = area.verdi(3).await;
    let record = b.get(&format!("/area-riservata/{ORDER}/scheda")).await;
    let csrf = record.csrf();
    let pec = format!("/area-riservata/{ORDER}/pec");
    let fields = [("csrf", csrf.as_str()), ("address", "luca.nuovo@pec.it")];
    let evil = b.post_from(&pec, &fields, Some("https://evil.example")).await;
    assert_eq!(evil.status, StatusCode::FORBIDDEN);
    let without = b.post(&pec, &[("address", "luca.nuovo@pec.it"), ("csrf", "")]).await;
    assert_eq!(without.status, StatusCode::FORBIDDEN);
    let wrong = b
        .post(
            &pec,
            &[
                ("address", "luca.nuovo@pec.it"),
                ("csrf", "0123456789abcdef0123456789abcdef"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    // A link's POST from another site neither opens nor spends it.
    let before = area.sent().await.len();
    let mut c = area.browser(3);
    c.post(
        &format!("/area-riservata/{ORDER}/accesso"),
        &[("codice_fiscale", &verdi().cf())],
    )
    .await;
    let token = area.next_token(before, "accesso").await;
    let link = format!("/area-riservata/{ORDER}/accesso/{token}");
    assert_eq!(
        c.post_from(&link, &[], Some("https://evil.example")).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(c.post(&link, &[]).await.status, StatusCode::SEE_OTHER);
    let shown = members_official(&area.office).await;
    assert_eq!(shown, "luca.verdi@pec.it", "nothing was recorded by the refused posts");
}

async fn members_official(office: &Office) -> String {
    let shown = office::registry::members::show(office, ORDER, &verdi().cf())
        .await
        .unwrap();
    shown.pec.into_iter().find(|p| p.official).unwrap().address
}

#[tokio::test]
async fn brute_force_on_the_member_login_is_limited() {
    let area = Area::new().await;
    let mut b = area.browser(4);
    let ask = format!("/area-riservata/{ORDER}/accesso");
    for _ in 0..5 {
        let r = b.post(&ask, &[("codice_fiscale", &rossi().cf())]).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let sixth = b.post(&ask, &[("codice_fiscale", &rossi().cf())]).await;
    assert_eq!(sixth.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(sixth.body.contains("Troppe richieste"), "{}", sixth.body);

    let before = area.sent().await.len();
    let mut other = area.browser(5);
    other.post(&ask, &[("codice_fiscale", &verdi().cf())]).await;
    let good = area.next_token(before, "accesso").await;
    for i in 0..10 {
        let wrong = other
            .post(&format!("/area-riservata/{ORDER}/accesso/{i:064x}"), &[])
            .await;
        assert_eq!(wrong.status, StatusCode::NOT_FOUND);
    }
    let locked = other
        .post(&format!("/area-riservata/{ORDER}/accesso/{good}"), &[])
        .await;
    assert_eq!(
        locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right link, from a client that guessed"
    );
    // Let the links asked for be sent before the store closes.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
}

#[tokio::test]
async fn an_address_is_refused_warned_or_recorded_in_words_and_a_mailbox_here_is_confirmed() {
    let area = Area::new().await;
    let mut b = area.verdi(6).await;
    let csrf = b.get(&format!("/area-riservata/{ORDER}/scheda")).await.csrf();
    let pec = format!("/area-riservata/{ORDER}/pec");

    let cec = b
        .post(&pec, &[("csrf", &csrf), ("address", "luca@postacertificata.gov.it")])
        .await;
    assert_eq!(cec.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(cec.body.contains("è una CEC-PAC"), "{}", cec.body);
    let taken = b
        .post(&pec, &[("csrf", &csrf), ("address", "mario.rossi@pec.it")])
        .await;
    assert!(taken.body.contains("già stato comunicato da un altro iscritto"));
    assert!(!taken.body.contains(&rossi().cf()), "whose it is is not said");

    let warned = b.post(&pec, &[("csrf", &csrf), ("address", "luca@gmail.com")]).await;
    assert_eq!(warned.status, StatusCode::OK);
    assert!(
        warned
            .body
            .contains("gmail.com non risulta il dominio di un gestore PEC"),
        "{}",
        warned.body
    );
    assert!(warned.body.contains(r#"name="anyway""#));
    assert_eq!(
        members_official(&area.office).await,
        "luca.verdi@pec.it",
        "a warning records nothing"
    );

    // In English, the warned address kept.
    b.cookies.push(("certa-lang".into(), "en".into()));
    let kept = b
        .post(&pec, &[("csrf", &csrf), ("address", "luca@gmail.com"), ("anyway", "1")])
        .await;
    assert_eq!(kept.status, StatusCode::OK);
    assert!(
        kept.body
            .contains("is now your official PEC, communicated on 10/03/2026"),
        "{}",
        kept.body
    );
    assert_eq!(members_official(&area.office).await, "luca@gmail.com");

    // A mailbox of this provider: a PEC to it with a link, recorded once confirmed.
    let here = "luca.verdi@pec.office.test";
    let mailbox = NewMailbox {
        address: here,
        password: "luca luca luca",
        quota_bytes: 1 << 20,
    };
    mailboxes::add_mailbox(&area.office, &mailbox).await.unwrap();
    let before = area.sent().await.len();
    let asked = b.post(&pec, &[("csrf", &csrf), ("address", here)]).await;
    assert!(asked.body.contains("id=\"to-confirm\""), "{}", asked.body);
    let token = area.next_token(before, "conferma").await;
    let record = b.get(&format!("/area-riservata/{ORDER}/scheda")).await;
    assert!(record.body.contains("Awaiting confirmation"));
    assert_eq!(members_official(&area.office).await, "luca@gmail.com");
    // Confirmed from the mailbox, in any browser.
    let mut webmail = area.browser(7);
    let confirm = format!("/area-riservata/{ORDER}/conferma/{token}");
    assert!(
        webmail
            .get(&confirm)
            .await
            .body
            .contains(&format!(r#"action="{confirm}""#))
    );
    let done = webmail.post(&confirm, &[]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("è ora la sua PEC ufficiale"));
    assert_eq!(members_official(&area.office).await, here);
    assert_eq!(webmail.post(&confirm, &[]).await.status, StatusCode::NOT_FOUND, "once");
}
