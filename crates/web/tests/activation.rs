//! Activation by convention code and paying by card, route by route: the code
//! form and the offer (a wrong code, a closed window), the order form (each
//! bad input named on its field, the values kept, the password never echoed,
//! a cross-site POST refused), the order's page opened by its link only, and
//! the built-in test payment page calling the real payment webhook over HTTPS
//! (paid, declined, or refused by the webhook when the signature is forged).

mod common;
#[path = "../../office/tests/lifecycle_support/mod.rs"]
mod lifecycle_support;

use std::sync::Arc;

use axum::http::StatusCode;
use common::{Browser, Site};
use lifecycle_support::{ARUBA, convention, example, mailbox};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_util::sync::CancellationToken;
use web::Settings;
use web::test_payment::TestPayments;

const GIULIA_CF: &str = "BNCGLI80A41A182V";
const SECRET: &[u8] = b"a webhook secret of the tests, long enough";

fn order_form<'a>(mailbox: &'a str, tax_id: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("plan", "triennale"),
        ("tax_id", tax_id),
        ("name", "Giulia Bianchi"),
        ("billing_address", "Via Po 2, 15121 Alessandria"),
        ("email", ""),
        ("mailbox", mailbox),
        ("password", "una password lunga"),
        ("password2", "una password lunga"),
    ]
}

#[tokio::test]
async fn a_member_finds_the_offer_by_its_code_and_orders_a_mailbox() {
    let site = Site::new().await;
    convention(&site.office, ARUBA).await;
    let mut b = site.browser();

    let form = b.get("/attiva").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("Codice convenzione"));
    let wrong = b.get("/attiva?codice=OMCEO-XX-0000").await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND);
    assert!(wrong.body.contains("no convention has the code"), "{}", wrong.body);
    let found = b.get("/attiva?codice=omceo-al-0056").await;
    assert_eq!(found.status, StatusCode::SEE_OTHER);
    assert_eq!(found.location(), "/attiva/OMCEO-AL-0056");

    let offer = b.get("/attiva/OMCEO-AL-0056").await;
    assert_eq!(offer.status, StatusCode::OK);
    for shown in [
        "Ordine dei Medici Chirurghi e degli Odontoiatri della Provincia di Alessandria",
        "triennale",
        "36 mesi",
        "4,00 €",
        "22 %",
        "4,88 €",
        "su ordine e pagamento",
        "01/12/2018",
    ] {
        assert!(offer.body.contains(shown), "{shown} on the offer:\n{}", offer.body);
    }

    // The name, checked as it is typed.
    mailbox(&site.office, "mario.rossi@pec.it").await;
    let taken = b.get("/attiva/OMCEO-AL-0056/nome?mailbox=mario.rossi").await;
    assert!(taken.body.contains("mario.rossi@pec.it è già in uso"), "{}", taken.body);
    let free = b.get("/attiva/OMCEO-AL-0056/nome?mailbox=giulia.bianchi").await;
    assert!(
        free.body.contains("giulia.bianchi@pec.it è disponibile"),
        "{}",
        free.body
    );
    let bad = b.get("/attiva/OMCEO-AL-0056/nome?mailbox=-giulia").await;
    assert!(bad.body.contains("cannot be a mailbox name"), "{}", bad.body);

    // Bad input: named on its field, the other values kept, the password never sent back.
    let refused = b
        .post(
            "/attiva/OMCEO-AL-0056",
            &order_form("giulia.bianchi", "BNCGLI80A41A182M"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains(r#"id="tax_id-problem""#), "{}", refused.body);
    assert!(refused.body.contains("wrong check character"));
    assert!(refused.body.contains(r#"value="Via Po 2, 15121 Alessandria""#));
    assert!(!refused.body.contains("una password lunga"));
    let taken = b
        .post("/attiva/OMCEO-AL-0056", &order_form("mario.rossi", GIULIA_CF))
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert!(taken.body.contains("is taken"), "{}", taken.body);
    let mut mismatch = order_form("giulia.bianchi", GIULIA_CF);
    mismatch[7].1 = "un'altra password";
    let mismatch = b.post("/attiva/OMCEO-AL-0056", &mismatch).await;
    assert!(mismatch.body.contains("Le due password non coincidono"));

    // A cross-site POST is refused before anything is ordered.
    let forged = b
        .post_from(
            "/attiva/OMCEO-AL-0056",
            &order_form("giulia.bianchi", GIULIA_CF),
            Some("https://evil.example"),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    let ordered = b
        .post("/attiva/OMCEO-AL-0056", &order_form("giulia.bianchi", GIULIA_CF))
        .await;
    assert_eq!(ordered.status, StatusCode::SEE_OTHER, "{}", ordered.body);
    let page_path = ordered.location().to_string();
    assert!(page_path.starts_with("/attivazione/"), "{page_path}");
    let page = b.get(&page_path).await;
    assert_eq!(page.status, StatusCode::OK);
    let mut c = site.office.store().conn().await.unwrap();
    let order = store::lifecycle::orders_in(&mut c, "open").await.unwrap().remove(0);
    drop(c);
    for shown in [
        order.id.as_str(),
        "giulia.bianchi@pec.it",
        "Giulia Bianchi",
        "4,88 €",
        "In attesa di pagamento",
    ] {
        assert!(page.body.contains(shown), "{shown} on the order page:\n{}", page.body);
    }
    assert!(page.body.contains(&format!(
        r#"<code id="transfer-reference">{} giulia.bianchi@pec.it</code>"#,
        order.id
    )));
    assert!(
        !page.body.contains("/pagamento/"),
        "no card provider configured, no card button"
    );
    // The order number alone, or an altered link, opens nothing.
    for bad in [
        format!("/attivazione/{}", order.id),
        format!("{}x", &page_path[..page_path.len() - 1]),
    ] {
        let r = b.get(&bad).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{bad}");
        assert!(!r.body.contains("giulia.bianchi"), "{bad}");
    }
    // The test payment page exists only when configured.
    let token = page_path.trim_start_matches("/attivazione/");
    assert_eq!(
        b.get(&format!("/pagamento-di-prova/{token}")).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_closed_offer_window_is_told_in_words() {
    let site = Site::new().await;
    let ended = example(ARUBA).replace(ARUBA, "OMCEO-AL-0057").replace(
        "offer = { from = 2018-12-01 }",
        "offer = { from = 2018-12-01, to = 2019-01-31 }",
    );
    office::conventions::create(&site.office, &ended, false).await.unwrap();
    let r = site.browser().get("/attiva/OMCEO-AL-0057").await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("ended on 31/01/2019"), "{}", r.body);
}

/// The payment webhook on a loopback port over TLS with a development
/// certificate, and the test payment settings that call it with `secret`.
async fn webhook(site_office: &office::Office, secret: &[u8], shutdown: CancellationToken) -> TestPayments {
    let pki = pec::smime::dev_pki("pec.it", "Certa Test", &["localhost", "127.0.0.1"], chrono::Utc::now()).unwrap();
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pki.tls_cert_pem.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_slice(pki.tls_key_pem.as_bytes()).unwrap();
    let tls = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let (addr, _) = web::webhook::spawn(
        tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
        Arc::new(tls),
        site_office.engine().clone(),
        SECRET.to_vec(),
        shutdown,
    )
    .await
    .unwrap();
    TestPayments {
        webhook: addr,
        secret: secret.to_vec(),
        ca_pem: pki.ca_cert_pem.into_bytes(),
    }
}

/// A site whose card payments go to the test page, calling a webhook that
/// verifies with SECRET while the page signs with `signing`.
async fn paying_site(signing: &'static [u8], shutdown: CancellationToken) -> Site {
    let site = Site::new().await;
    let test = webhook(&site.office, signing, shutdown).await;
    let settings = Settings {
        card: Some(test.provider()),
        test_payments: Some(test),
        ..Settings::default()
    };
    site.with_settings(settings)
}

async fn ordered(b: &mut Browser) -> String {
    let r = b
        .post("/attiva/OMCEO-AL-0056", &order_form("giulia.bianchi", GIULIA_CF))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    r.location().trim_start_matches("/attivazione/").to_string()
}

#[tokio::test]
async fn the_test_payment_page_pays_through_the_webhook_and_the_mailbox_is_active() {
    let shutdown = CancellationToken::new();
    let site = paying_site(SECRET, shutdown.clone()).await;
    convention(&site.office, ARUBA).await;
    let mut b = site.browser();
    let token = ordered(&mut b).await;
    let page = b.get(&format!("/attivazione/{token}")).await;
    assert!(
        page.body.contains(&format!(r#"action="/pagamento/{token}""#)),
        "{}",
        page.body
    );

    let to_card = b.post(&format!("/pagamento/{token}"), &[]).await;
    assert_eq!(to_card.status, StatusCode::SEE_OTHER);
    assert_eq!(to_card.location(), format!("/pagamento-di-prova/{token}"));
    let test_page = b.get(to_card.location()).await;
    assert!(
        test_page.body.contains("PAGINA DI PAGAMENTO DI PROVA"),
        "{}",
        test_page.body
    );
    assert!(test_page.body.contains("4,88 €"));

    // Declined: nothing charged, the order still to pay, the attempt in the log.
    let declined = b
        .post(
            &format!("/pagamento-di-prova/{token}"),
            &[("card", "4000 0000 0000 0002"), ("outcome", "pay")],
        )
        .await;
    assert_eq!(declined.status, StatusCode::SEE_OTHER, "{}", declined.body);
    assert_eq!(declined.location(), format!("/attivazione/{token}?esito=rifiutato"));
    let page = b.get(declined.location()).await;
    assert!(page.body.contains("Il pagamento è stato rifiutato"));
    assert!(page.body.contains("In attesa di pagamento"));
    let mut c = site.office.store().conn().await.unwrap();
    let log = store::lifecycle::log_of(&mut c, "giulia.bianchi@pec.it").await.unwrap();
    assert!(log.iter().any(|e| e.event == "payment-declined"), "{log:?}");
    assert!(
        store::mailboxes::get(&mut c, "giulia.bianchi@pec.it")
            .await
            .unwrap()
            .is_none()
    );
    drop(c);

    let paid = b
        .post(
            &format!("/pagamento-di-prova/{token}"),
            &[("card", "4242 4242 4242 4242"), ("outcome", "pay")],
        )
        .await;
    assert_eq!(paid.status, StatusCode::SEE_OTHER, "{}", paid.body);
    let page = b.get(paid.location()).await;
    assert!(page.body.contains("Pagamento registrato"), "{}", page.body);
    assert!(page.body.contains("la casella è attiva"));
    let mut c = site.office.store().conn().await.unwrap();
    let m = store::mailboxes::get(&mut c, "giulia.bianchi@pec.it")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.status, store::mailboxes::Status::Active);
    drop(c);
    // Paid: there is nothing left to pay, so nothing can be charged twice.
    let again = b
        .post(&format!("/pagamento-di-prova/{token}"), &[("outcome", "pay")])
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body.contains("nothing to pay"), "{}", again.body);
    // The new holder logs in to the webmail with the password of the order.
    let login = b.login("giulia.bianchi@pec.it", "una password lunga").await;
    assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.body);
    shutdown.cancel();
}

#[tokio::test]
async fn a_forged_webhook_call_pays_nothing() {
    let shutdown = CancellationToken::new();
    let site = paying_site(b"not the webhook's secret, but long", shutdown.clone()).await;
    convention(&site.office, ARUBA).await;
    let mut b = site.browser();
    let token = ordered(&mut b).await;
    let r = b
        .post(&format!("/pagamento-di-prova/{token}"), &[("outcome", "pay")])
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    assert!(r.body.contains("X-Certa-Signature"), "{}", r.body);
    let page = b.get(&format!("/attivazione/{token}")).await;
    assert!(page.body.contains("In attesa di pagamento"));
    let mut c = site.office.store().conn().await.unwrap();
    assert!(
        store::mailboxes::get(&mut c, "giulia.bianchi@pec.it")
            .await
            .unwrap()
            .is_none()
    );
    shutdown.cancel();
}
