//! The holder's subscription page, route by route: only for a logged-in
//! holder and only their own subscription; every change a POST from this site
//! with the session's token; bad input named beside its form; the
//! cancellation shown, confirmed, sent as a PEC and recorded; the archive
//! built and downloaded; the password changed; renewal to the renewal page.

mod common;
#[path = "../../office/tests/lifecycle_support/mod.rs"]
mod lifecycle_support;

use axum::http::StatusCode;
use common::{Browser, PASSWORD, Site};
use lifecycle::subscription::Pricing;
use lifecycle_support::{DCS, convention, rome};
use office::mailboxes::{self, NewMailbox};
use office::subscriptions::{self, NewSubscription};

const MARIO: &str = "mario.rossi@pec.dcssrl.it";
const ANNA: &str = "anna.neri@pec.dcssrl.it";
const MANAGEMENT: &str = "gestione.servizi@pec.dcssrl.it";

/// A site with DCS, Mario and Anna subscribed under it (each with their own
/// holder), DCS's management mailbox, and `plain` (a mailbox without a
/// subscription).
async fn site() -> Site {
    let site = Site::new().await;
    site.clock.set(rome(2025, 1, 15, 10, 0));
    convention(&site.office, DCS).await;
    for address in [MARIO, ANNA, MANAGEMENT] {
        let new = NewMailbox {
            address,
            password: PASSWORD,
            quota_bytes: 1 << 30,
        };
        mailboxes::add_mailbox(&site.office, &new).await.unwrap();
    }
    for (address, tax_id, name) in [
        (MARIO, "RSSMRA85T10A562S", "Mario Rossi"),
        (ANNA, "06363391001", "Anna Neri"),
    ] {
        let new = NewSubscription {
            address,
            convention: DCS,
            plan: "annuale",
            tax_id,
            name,
            billing_address: "Via Roma 1, 15121 Alessandria",
            email: Some("riferimento@example.com"),
            pricing: Pricing::Convention,
            at: Some(rome(2024, 3, 10, 9, 30)),
        };
        subscriptions::create(&site.office, &new).await.unwrap();
    }
    site
}

async fn logged_in(site: &Site, address: &str) -> Browser {
    let mut b = site.browser();
    let r = b.login(address, PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    b
}

#[tokio::test]
async fn without_a_login_every_route_leads_to_the_login_page() {
    let site = site().await;
    let mut b = site.browser();
    for path in [
        "/abbonamento",
        "/abbonamento/disdetta",
        "/abbonamento/disdetta/stato",
        "/abbonamento/archivio",
        "/abbonamento/archivio/stato",
        "/abbonamento/archivio/scarica",
        "/abbonamento/ordini/CRT-2025-000001/ricevuta",
    ] {
        let r = b.get(path).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}");
        assert!(r.location().starts_with("/login?next="), "{path}: {}", r.location());
    }
    for path in [
        "/abbonamento/dati",
        "/abbonamento/rinnovo",
        "/abbonamento/disdetta",
        "/abbonamento/archivio",
        "/abbonamento/password",
    ] {
        let r = b.post(path, &[("csrf", "x"), ("confirm", "yes")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}");
        assert!(r.location().starts_with("/login"), "{path}");
    }
    let page = b.get("/abbonamento").await;
    assert!(!page.body.contains(MARIO));
}

#[tokio::test]
async fn a_holder_sees_only_their_own_subscription() {
    let site = site().await;
    let anna_order = subscriptions::renew(&site.office, ANNA, None).await.unwrap().order;
    office::payments::record(
        &site.office,
        &office::payments::Payment {
            order_id: &anna_order.id,
            amount: lifecycle::money::Money::from_cents(793),
            payment_id: "BON-ANNA",
            paid_at: None,
            source: "bank",
            detail: None,
        },
    )
    .await
    .unwrap();

    let mut mario = logged_in(&site, MARIO).await;
    let page = mario.get("/abbonamento").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for shown in [
        MARIO,
        "Mario Rossi",
        "RSSMRA85T10A562S",
        "CROAS-DCS-2024",
        "Consiglio Regionale dell&#39;Ordine degli Assistenti Sociali",
        "10/03/2025",
        "attiva",
        "annuale",
        "7,93 €",
        "Via Roma 1, 15121 Alessandria",
        "attivazione",
        r#"href="/abbonamento">Abbonamento</a>"#,
    ] {
        assert!(page.body.contains(shown), "{shown} on the page:\n{}", page.body);
    }
    assert!(!page.body.contains("Anna Neri") && !page.body.contains(&anna_order.id));
    let receipt = mario
        .get(&format!("/abbonamento/ordini/{}/ricevuta", anna_order.id))
        .await;
    assert_eq!(receipt.status, StatusCode::NOT_FOUND, "another holder's receipt");
    assert!(!receipt.body.contains("Anna Neri"));

    let mut anna = logged_in(&site, ANNA).await;
    let page = anna.get("/abbonamento").await;
    assert!(page.body.contains(&anna_order.id) && page.body.contains("pagato"));
    let receipt = anna
        .get(&format!("/abbonamento/ordini/{}/ricevuta", anna_order.id))
        .await;
    assert_eq!(receipt.status, StatusCode::OK);
    for shown in [
        "Anna Neri",
        "06363391001",
        "BON-ANNA",
        "7,93 €",
        "10/03/2026",
        "bonifico bancario",
    ] {
        assert!(receipt.body.contains(shown), "{shown}:\n{}", receipt.body);
    }

    // A mailbox outside any convention: the page says so.
    let mut plain = site.logged_in("mario").await;
    let page = plain.get("/abbonamento").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("non ha un abbonamento"), "{}", page.body);

    // In English by the switch.
    mario.post("/lang", &[("lang", "en"), ("back", "/abbonamento")]).await;
    let english = mario.get("/abbonamento").await;
    assert!(english.body.contains("My subscription") && english.body.contains("Orders and payments"));
}

#[tokio::test]
async fn a_cross_site_post_is_refused_and_changes_nothing() {
    let site = site().await;
    let mut mario = logged_in(&site, MARIO).await;
    let page = mario.get("/abbonamento").await;
    let csrf = page.csrf();
    let fields = [
        ("csrf", csrf.as_str()),
        ("billing_address", "Via Falsa 1"),
        ("email", "x@evil.example"),
        ("confirm", "yes"),
        ("current", PASSWORD),
        ("new", "nuova password 1"),
        ("repeat", "nuova password 1"),
    ];
    for path in [
        "/abbonamento/dati",
        "/abbonamento/disdetta",
        "/abbonamento/password",
        "/abbonamento/rinnovo",
        "/abbonamento/archivio",
    ] {
        let r = mario.post_from(path, &fields, Some("https://evil.example")).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path} from another site");
        let without_token: Vec<(&str, &str)> = fields.iter().filter(|(k, _)| *k != "csrf").copied().collect();
        let mut forged = without_token.clone();
        forged.push(("csrf", "0000"));
        let r = mario.post(path, &forged).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path} without the session's token");
    }
    let page = mario.get("/abbonamento").await;
    assert!(page.body.contains("Via Roma 1") && !page.body.contains("Via Falsa"));
    assert!(page.body.contains("id=\"cancel-start\""), "not cancelled");
    assert!(
        subscriptions::show(&site.office, MARIO)
            .await
            .unwrap()
            .orders
            .is_empty(),
        "no order made"
    );
    // The password is the same.
    assert_eq!(
        site.browser().login(MARIO, PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn bad_input_is_named_beside_its_form() {
    let site = site().await;
    let mut mario = logged_in(&site, MARIO).await;
    let csrf = mario.get("/abbonamento").await.csrf();

    let r = mario
        .post(
            "/abbonamento/dati",
            &[("csrf", &csrf), ("billing_address", "Via Po 2"), ("email", "mario")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body
            .contains("E-mail di riferimento (per gli avvisi): &#34;mario&#34; is not an e-mail address"),
        "{}",
        r.body
    );
    assert!(r.body.contains(r#"value="Via Po 2""#), "what was typed is kept");
    let r = mario
        .post(
            "/abbonamento/dati",
            &[("csrf", &csrf), ("billing_address", " "), ("email", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Indirizzo di fatturazione: empty"), "{}", r.body);

    let r = mario
        .post(
            "/abbonamento/password",
            &[
                ("csrf", &csrf),
                ("current", "sbagliata"),
                ("new", "nuova password 1"),
                ("repeat", "nuova password 1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("Password attuale: the current password is wrong"),
        "{}",
        r.body
    );
    let r = mario
        .post(
            "/abbonamento/password",
            &[
                ("csrf", &csrf),
                ("current", PASSWORD),
                ("new", "nuova password 1"),
                ("repeat", "nuova password 2"),
            ],
        )
        .await;
    assert!(
        r.body
            .contains("Ripeti la nuova password: the new password and its repetition differ"),
        "{}",
        r.body
    );

    // Without the confirmation box: the cancellation page again, with the reason.
    let r = mario.post("/abbonamento/disdetta", &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("id=\"cancel-problem\"") && r.body.contains("not confirmed"),
        "{}",
        r.body
    );
    assert!(r.body.contains("Disdetta della casella PEC mario.rossi@pec.dcssrl.it"));

    // Good input: saved, and said so.
    let r = mario
        .post(
            "/abbonamento/dati",
            &[
                ("csrf", &csrf),
                ("billing_address", "Via Po 2, 10123 Torino"),
                ("email", "m@example.org"),
            ],
        )
        .await;
    assert_eq!(
        (r.status, r.location()),
        (StatusCode::SEE_OTHER, "/abbonamento?fatto=dati")
    );
    let page = mario.get(r.location()).await;
    assert!(page.body.contains("Dati del titolare salvati.") && page.body.contains("Via Po 2, 10123 Torino"));
    assert!(page.body.contains("dati del titolare cambiati"), "in the timeline");
}

#[tokio::test]
async fn the_cancellation_is_confirmed_sent_as_a_pec_and_recorded() {
    let site = site().await;
    let mut mario = logged_in(&site, MARIO).await;
    let page = mario.get("/abbonamento/disdetta").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for shown in [
        "Cosa succede",
        "La casella non si rinnova più",
        "11/03/2025 00:00",
        MANAGEMENT,
        "Disdetta della casella PEC mario.rossi@pec.dcssrl.it",
        "RSSMRA85T10A562S",
        r#"name="confirm" value="yes" required"#,
    ] {
        assert!(page.body.contains(shown), "{shown}:\n{}", page.body);
    }
    let csrf = page.csrf();
    let r = mario
        .post("/abbonamento/disdetta", &[("csrf", &csrf), ("confirm", "yes")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/abbonamento?fatto=disdetta#disdetta");
    let page = mario.get("/abbonamento?fatto=disdetta").await;
    assert!(page.body.contains("Disdetta inviata come PEC il"), "{}", page.body);
    assert!(
        page.body.contains(r#"hx-get="/abbonamento/disdetta/stato""#),
        "polled while on its way"
    );

    // The provider's workers deliver it; the page's poll records it.
    site.office.engine().run_until_idle().await.unwrap();
    let fragment = mario.get("/abbonamento/disdetta/stato").await;
    assert!(fragment.body.contains("Disdetta registrata"), "{}", fragment.body);
    assert!(!fragment.body.contains("hx-get"), "no more polling");
    assert!(
        fragment.body.contains("id=\"cancel-legal-time\">15/01/2025 10:00:00"),
        "{}",
        fragment.body
    );
    assert!(fragment.body.contains("id=\"service-ends\">11/03/2025 00:00"));
    assert!(fragment.body.contains("Fine del servizio") && fragment.body.contains("Cancellazione dei contenuti"));
    let page = mario.get("/abbonamento").await;
    assert!(
        page.body.contains("La casella non si rinnova più") || page.body.contains("Questa casella non si rinnova più")
    );
    assert!(
        !page.body.contains("action=\"/abbonamento/rinnovo\""),
        "no renewal after a cancellation"
    );
    let sent = mario.get("/sent").await;
    assert!(sent.body.contains("Disdetta della casella PEC"), "in Sent");

    let r = mario
        .post("/abbonamento/disdetta", &[("csrf", &csrf), ("confirm", "yes")])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("already recorded at legal time"), "{}", r.body);
    let again = mario.get("/abbonamento/disdetta").await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn the_archive_is_prepared_with_its_progress_and_downloaded() {
    let site = site().await;
    let mut mario = logged_in(&site, MARIO).await;
    let page = mario.get("/abbonamento/archivio").await;
    assert!(page.body.contains("Prepara l&#39;archivio"), "{}", page.body);
    let none = mario.get("/abbonamento/archivio/scarica").await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
    let csrf = page.csrf();
    let r = mario.post("/abbonamento/archivio", &[("csrf", &csrf)]).await;
    assert_eq!(
        (r.status, r.location()),
        (StatusCode::SEE_OTHER, "/abbonamento/archivio")
    );
    let mut fragment = mario.get("/abbonamento/archivio/stato").await;
    for _ in 0..200 {
        if fragment.body.contains("archive-download") {
            break;
        }
        assert!(fragment.body.contains("<progress"), "{}", fragment.body);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        fragment = mario.get("/abbonamento/archivio/stato").await;
    }
    assert!(fragment.body.contains("Archivio pronto"), "{}", fragment.body);
    let file = mario.get("/abbonamento/archivio/scarica").await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.header("content-type"), Some("application/gzip"));
    assert!(
        file.header("content-disposition")
            .unwrap()
            .starts_with(&format!("attachment; filename=\"{MARIO}-2025-01-15.tar.gz")),
        "{:?}",
        file.header("content-disposition")
    );
    // Anna has none of Mario's.
    let mut anna = logged_in(&site, ANNA).await;
    assert_eq!(
        anna.get("/abbonamento/archivio/scarica").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_password_changes_and_the_other_sessions_end() {
    let site = site().await;
    let mut here = logged_in(&site, MARIO).await;
    let mut elsewhere = logged_in(&site, MARIO).await;
    let csrf = here.get("/abbonamento").await.csrf();
    let r = here
        .post(
            "/abbonamento/password",
            &[
                ("csrf", &csrf),
                ("current", PASSWORD),
                ("new", "nuova password 1"),
                ("repeat", "nuova password 1"),
            ],
        )
        .await;
    assert_eq!(
        (r.status, r.location()),
        (StatusCode::SEE_OTHER, "/abbonamento?fatto=password")
    );
    let page = here.get(r.location()).await;
    assert_eq!(page.status, StatusCode::OK, "this session goes on under its new token");
    assert!(page.body.contains("Password cambiata"));
    let gone = elsewhere.get("/abbonamento").await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER, "the other session ended");
    assert_eq!(
        site.browser().login(MARIO, PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        site.browser().login(MARIO, "nuova password 1").await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn renewing_opens_the_renewal_page_of_the_current_order() {
    let site = site().await;
    let mut mario = logged_in(&site, MARIO).await;
    let csrf = mario.get("/abbonamento").await.csrf();
    let r = mario.post("/abbonamento/rinnovo", &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location().starts_with("/rinnovo/"), "{}", r.location());
    let order = subscriptions::show(&site.office, MARIO).await.unwrap().orders[0]
        .id
        .clone();
    let renewal = mario.get(r.location()).await;
    assert_eq!(renewal.status, StatusCode::OK);
    assert!(renewal.body.contains(&order) && renewal.body.contains("7,93 €"));
    let page = mario.get("/abbonamento").await;
    assert!(
        page.body.contains(&order) && page.body.contains("da pagare"),
        "{}",
        page.body
    );
}
