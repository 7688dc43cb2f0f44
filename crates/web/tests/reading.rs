//! Reading and search in the webmail, route by route: an envelope received
//! from the other provider of `testkit::net` is shown as the message inside
//! (subject, text, attachment downloaded byte for byte) with its
//! certification; its HTML only in a sandboxed frame with its own CSP; the
//! folder list links to the folder; opening marks it read; a receipt links to
//! the sent message's timeline; another mailbox's message, part and folder and
//! an id that does not exist answer 404; search by identificativo.

mod common;

use std::net::SocketAddr;

use axum::extract::connect_info::MockConnectInfo;
use axum::http::StatusCode;
use common::Browser;
use engine::access::Submission;
use store::Backend;
use testkit::net::Net;
use web::tls::Peer;
use web::{AppState, Settings};

const PDF: &[u8] = b"%PDF-1.4\n\x00\x01\x02\xff binary bytes of the act\n%%EOF\n";

fn message_with_html_and_attachment(from: &str, to: &str) -> Vec<u8> {
    use base64::Engine as _;
    let pdf = base64::engine::general_purpose::STANDARD.encode(PDF);
    format!(
        "From: Luca Verdi <{from}>\r\nTo: {to}\r\nSubject: Atto di citazione\r\nMessage-ID: <atto-7@sud.test>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"out\"\r\n\r\n\
         --out\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n\
         --alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nIn allegato l'atto, cordiali saluti.\r\n\
         --alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>In allegato l'atto</p><script>alert('x')</script><img src=\"https://tracker.example/p.gif\">\r\n\
         --alt--\r\n\
         --out\r\nContent-Type: application/pdf; name=\"atto.pdf\"\r\nContent-Disposition: attachment; filename=\"atto.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{pdf}\r\n--out--\r\n"
    )
    .into_bytes()
}

fn router_of(office: &office::Office) -> axum::Router {
    web::router(AppState::new(office.clone(), Settings::default()))
        .layer(MockConnectInfo(Peer(SocketAddr::from(([192, 0, 2, 9], 40000)))))
}

fn browser_on(office: &office::Office) -> Browser {
    Browser::on(router_of(office))
}

async fn logged_in(office: &office::Office, address: &str) -> Browser {
    let mut b = browser_on(office);
    let r = b.login(address, testkit::net::PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    b
}

/// The first `href="{prefix}N"` of a page.
fn link(body: &str, prefix: &str) -> String {
    let at = body
        .find(&format!("href=\"{prefix}"))
        .unwrap_or_else(|| panic!("no {prefix} link in {body}"));
    let rest = &body[at + 6..];
    rest[..rest.find('"').unwrap()].to_string()
}

#[tokio::test]
async fn an_envelope_from_the_other_provider_shows_the_message_inside_and_its_attachment() {
    let mut net = Net::start(Backend::Sqlite).await;
    let mario = net.nord().create_mailbox("mario").await;
    let anna = net.nord().create_mailbox("anna").await;
    let luca = net.sud().create_mailbox("luca").await;
    let raw = message_with_html_and_attachment(&luca, &mario);
    let sud = net.sud().engine.clone();
    let identificativo = match sud
        .submit(&luca, &luca, std::slice::from_ref(&mario), &raw)
        .await
        .unwrap()
    {
        Submission::Accepted { identificativo } => identificativo,
        other => panic!("{other:?}"),
    };
    net.pump().await;
    let office = net.nord().office();
    let mut b = logged_in(&office, &mario).await;

    let folders = b.get("/mail").await;
    assert_eq!(folders.status, StatusCode::OK);
    let inbox = link(&folders.body, "/mail/");
    let list = b.get(&inbox).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(
        list.body.contains("Atto di citazione"),
        "the inner subject: {}",
        list.body
    );
    assert!(
        list.body.contains("Luca Verdi &#60;luca@sud.pec.test&#62;"),
        "the inner sender: {}",
        list.body
    );
    assert!(list.body.contains("Messaggio certificato"), "the kind in words");
    assert!(list.body.contains("badge-certified"), "the kind as a badge");
    assert!(
        list.body.contains("<strong>Atto di citazione</strong>"),
        "unread in bold"
    );
    assert!(
        list.body
            .contains(r#"<span class="badge badge-attachment">con allegati</span>"#),
        "the attachment mark"
    );

    let href = link(&list.body, "/message/");
    let page = b.get(&href).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<h1>Atto di citazione</h1>"));
    assert!(
        page.body.contains("In allegato l&#39;atto, cordiali saluti."),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(&identificativo),
        "the certification's identificativo"
    );
    assert!(
        page.body.contains("Certa Sud S.p.A."),
        "the provider whose signature it is"
    );
    assert!(
        page.body.contains("valida, di un gestore dell&#39;indice"),
        "{}",
        page.body
    );
    assert!(page.body.contains("proof-actions"), "the proof actions");
    assert!(!page.body.contains("<script>alert"), "the HTML never in the page");
    assert!(
        page.body.contains("<iframe class=\"message-html\" sandbox=\"\""),
        "a sandboxed frame"
    );

    let html = b.get(&format!("{href}/html")).await;
    assert_eq!(html.status, StatusCode::OK);
    assert_eq!(
        html.header("content-security-policy"),
        Some("sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'self'")
    );
    assert_eq!(html.header("x-frame-options"), Some("SAMEORIGIN"));
    assert!(html.body.contains("<p>In allegato l'atto</p>"));

    let part = link(&page.body, &format!("{href}/part/"));
    let download = b.get(&part).await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.header("content-type"), Some("application/pdf"));
    assert!(
        download
            .header("content-disposition")
            .unwrap()
            .starts_with("attachment; filename=\"atto.pdf\"")
    );
    let bytes = bytes_of(&router_of(&office), &b, &part).await;
    assert_eq!(bytes, PDF, "byte for byte");

    // Opened: read, and IMAP sees it (the store's flag change).
    let list = b.get(&inbox).await;
    assert!(!list.body.contains("<strong>Atto di citazione</strong>"));

    // Another mailbox: nothing of it, by any route.
    let mut other = logged_in(&office, &anna).await;
    for path in [href.clone(), format!("{href}/html"), part.clone(), inbox.clone()] {
        let r = other.get(&path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            !r.body.contains("Atto di citazione") && !r.body.contains(&identificativo),
            "{path}"
        );
    }
    let missing = b.get("/message/99999999").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("Non trovato."));
    assert_eq!(b.get("/message/abc").await.status, StatusCode::NOT_FOUND);
    assert_eq!(b.get("/mail/abc").await.status, StatusCode::NOT_FOUND);
    assert_eq!(b.get(&format!("{href}/part/999")).await.status, StatusCode::NOT_FOUND);

    let found = b.get(&format!("/search?identificativo={identificativo}")).await;
    assert_eq!(found.status, StatusCode::OK);
    assert!(found.body.contains(&href), "{}", found.body);
    assert!(found.body.contains("<label for=\"s-msgid\">"));

    // The sender's acceptance receipt, on its provider, links to the timeline.
    let mut l = logged_in(&net.sud().office(), &luca).await;
    let search = l.get("/search?kind=receipt").await;
    let receipt = link(&search.body, "/message/");
    let receipt_page = l.get(&receipt).await;
    assert!(
        receipt_page.body.contains("Ricevuta di avvenuta consegna"),
        "{}",
        receipt_page.body
    );
    assert!(
        receipt_page.body.contains(&format!("href=\"/sent/{identificativo}\"")),
        "{}",
        receipt_page.body
    );
    net.stop().await;
}

async fn bytes_of(router: &axum::Router, b: &Browser, path: &str) -> Vec<u8> {
    use axum::body::Body;
    use axum::http::{Request, header};
    use tower::ServiceExt;
    let cookies: Vec<String> = b.cookies.iter().map(|(n, v)| format!("{n}={v}")).collect();
    let r = Request::builder()
        .uri(path)
        .header(header::HOST, common::HOST)
        .header(header::COOKIE, cookies.join("; "))
        .body(Body::empty())
        .unwrap();
    let response = router.clone().oneshot(r).await.unwrap();
    axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec()
}

#[tokio::test]
async fn an_anomaly_envelope_says_why_it_is_one() {
    let mut net = Net::start(Backend::Sqlite).await;
    let mario = net.nord().create_mailbox("mario").await;
    // Ordinary mail from outside: the receiving point delivers it in an anomaly envelope.
    let raw = format!(
        "From: someone@example.com\r\nTo: {mario}\r\nSubject: Posta qualunque\r\nMessage-ID: <x1@example.com>\r\n\r\nCiao.\r\n"
    );
    net.nord()
        .engine
        .receive("someone@example.com", std::slice::from_ref(&mario), raw.as_bytes())
        .await
        .unwrap();
    net.pump().await;
    let office = net.nord().office();
    let mut b = logged_in(&office, &mario).await;
    let found = b.get("/search?kind=anomaly").await;
    assert!(
        found.body.contains("Posta qualunque"),
        "the original's subject: {}",
        found.body
    );
    let page = b.get(&link(&found.body, "/message/")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Perché è un&#39;anomalia"), "{}", page.body);
    assert!(page.body.contains("Ciao."), "the original's text");
    net.stop().await;
}

#[tokio::test]
async fn a_subject_that_is_not_utf8_is_shown_with_replacement_characters() {
    for database in [None, Some(testkit::postgres::Database::create().await)] {
        let site = common::Site::on(database.as_ref().map(|d| d.url.as_str())).await;
        let mario = common::address("mario");
        let raw = b"From: a@b.it\r\nSubject: Perch\xe8 no\r\n\r\ntesto\r\n";
        let blob = site.office.store().blobs().put(raw).await.unwrap();
        let mut tx = site.office.store().begin().await.unwrap();
        let m = store::mailboxes::get(&mut tx, &mario).await.unwrap().unwrap();
        let inbox = store::messages::folder(&mut tx, m.id, "INBOX").await.unwrap().unwrap();
        let new = store::messages::NewMessage {
            blob: &blob,
            size: raw.len() as i64,
            internal_date: 1_000,
            flags: &[],
            pec_kind: None,
            identificativo: None,
        };
        store::messages::append_summarised(&mut tx, inbox.id, &new, &pec::summary(raw))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let mut b = site.logged_in("mario").await;
        let list = b.get(&format!("/mail/{}", inbox.id)).await;
        assert_eq!(list.status, StatusCode::OK);
        assert!(list.body.contains("Perch\u{FFFD} no"), "{}", list.body);
        let page = b.get(&link(&list.body, "/message/")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Perch\u{FFFD} no"));
        site.office.close().await;
        if let Some(db) = database {
            db.drop_now().await;
        }
    }
}

#[tokio::test]
async fn every_reading_route_asks_for_a_login() {
    let site = common::Site::new().await;
    let mut nobody = site.browser();
    for path in [
        "/mail/1",
        "/mail/1?receipts=hide",
        "/message/1",
        "/message/1/html",
        "/message/1/part/2",
        "/search",
        "/search?identificativo=x",
    ] {
        let r = nobody.get(path).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}");
        assert!(r.location().starts_with("/login?next="), "{path}: {}", r.location());
    }
    let mut mario = site.logged_in("mario").await;
    let empty = mario.get("/search").await;
    assert_eq!(empty.status, StatusCode::OK);
    for control in [
        "s-from",
        "s-to",
        "s-subject",
        "s-since",
        "s-until",
        "s-id",
        "s-msgid",
        "s-kind",
        "s-nd",
    ] {
        assert!(
            empty.body.contains(&format!("<label for=\"{control}\">")),
            "{control} has a label"
        );
    }
    let bad = mario.get("/search?since=ieri").await;
    assert_eq!(bad.status, StatusCode::OK);
    assert!(bad.body.contains("aria-invalid=\"true\""));
    assert_eq!(
        mario.get("/mail/1?older=nonsense").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}
