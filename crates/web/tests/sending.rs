//! Writing a PEC from the webmail and following it: the compose form (limits,
//! no Bcc), a message with an attachment to a local and a remote recipient
//! through the access point, its copy in Sent, its timeline fragment reaching
//! "delivered" as the jobs run; refusals said in words beside the form with
//! what was typed kept; another mailbox's message is 404; cross-site posts are
//! refused. Route by route, through the router, as a browser sends requests.

mod common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Request, StatusCode, header};
use common::{Browser, HOST, Page, Site, address};
use office::Office;
use store::Backend;
use testkit::net::Net;
use web::tls::Peer;
use web::{AppState, Settings};

/// One part of a multipart/form-data body (RFC 7578).
enum Part<'a> {
    Text(&'a str, &'a [u8]),
    File(&'a str, &'a str, &'a str, Vec<u8>),
}

const BOUNDARY: &str = "----certa-test-boundary-7d3f";

fn body(parts: &[Part<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        out.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match p {
            Part::Text(name, value) => {
                out.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes());
                out.extend_from_slice(value);
            }
            Part::File(name, file, content_type, bytes) => {
                out.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: {content_type}\r\n\r\n"
                    )
                    .as_bytes(),
                );
                out.extend_from_slice(bytes);
            }
        }
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    out
}

/// The compose form posted with `origin`, as a browser sends it.
async fn post_form(b: &mut Browser, parts: &[Part<'_>], origin: &str) -> Page {
    let cookies: Vec<String> = b.cookies.iter().map(|(n, v)| format!("{n}={v}")).collect();
    let request = Request::builder()
        .method("POST")
        .uri("/compose")
        .header(header::HOST, HOST)
        .header(header::ORIGIN, origin)
        .header(header::COOKIE, cookies.join("; "))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(body(parts)))
        .unwrap();
    b.send(request).await
}

async fn compose(b: &mut Browser, parts: &[Part<'_>]) -> Page {
    post_form(b, parts, &format!("https://{HOST}")).await
}

async fn csrf(b: &mut Browser) -> String {
    let page = b.get("/compose").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.csrf()
}

async fn accepted_count(office: &Office) -> usize {
    let mut c = office.store().conn().await.unwrap();
    store::pec::accepted_after(&mut c, 0, 1000).await.unwrap().len()
}

fn uploads_left(office: &Office) -> usize {
    let dir = office.store().blobs().root().parent().unwrap().join("uploads");
    std::fs::read_dir(dir).map_or(0, |d| d.count())
}

/// The identificativo of a `/sent/{identificativo}?sent=1` redirect.
fn identificativo_of(page: &Page) -> String {
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let location = page.location();
    let rest = location.strip_prefix("/sent/").expect(location);
    rest.trim_end_matches("?sent=1").to_string()
}

/// The `hx-get` URL of the timeline fragment on a page, if it still polls.
fn poll_url(body: &str) -> Option<String> {
    let at = body.find("hx-get=\"")?;
    let rest = &body[at + "hx-get=\"".len()..];
    Some(rest[..rest.find('"').unwrap()].replace("&amp;", "&"))
}

#[tokio::test]
async fn the_form_shows_the_limits_before_sending_and_has_no_bcc() {
    let site = Site::new().await;
    let mut b = site.logged_in("mario").await;
    let page = b.get("/compose").await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "Dimensione massima di un messaggio: 100,0 MB",
        "Destinatari al massimo: 500",
        "Dimensione per numero di destinatari al massimo: 30,0 MB",
        "Nessun destinatario nascosto (Ccn)",
        "enctype=\"multipart/form-data\"",
        "name=\"attachments\" type=\"file\" multiple",
        "value=\"completa\" checked",
    ] {
        assert!(page.body.contains(text), "{text} missing");
    }
    assert!(!page.body.to_lowercase().contains("name=\"bcc\""));
    for control in ["to", "cc", "subject", "text", "attachments", "receipt-breve"] {
        assert!(
            page.body.contains(&format!("<label for=\"{control}\"")),
            "{control} has no label"
        );
    }
    assert!(!page.body.contains("<script>") && !page.body.contains("style="));
}

#[tokio::test]
async fn a_pec_with_an_attachment_to_a_local_and_a_remote_recipient_reaches_delivered() {
    let mut net = Net::start(Backend::Sqlite).await;
    let mario = net.nord().create_mailbox("mario").await;
    net.nord().create_mailbox("anna").await;
    net.sud().create_mailbox("luca").await;
    let office = net.nord().office();
    let router = web::router(AppState::new(office.clone(), Settings::default()))
        .layer(MockConnectInfo(Peer(SocketAddr::from(([192, 0, 2, 8], 40000)))));
    let mut b = Browser::on(router);
    let r = b.login(&mario, testkit::net::PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let token = csrf(&mut b).await;
    let pdf: Vec<u8> = (0..150_000).map(|i| (i % 253) as u8).collect();
    let sent = compose(
        &mut b,
        &[
            Part::Text("csrf", token.as_bytes()),
            Part::Text("to", b"anna@nord.pec.test, Luca Verdi <luca@sud.pec.test>"),
            Part::Text("cc", b""),
            Part::Text("subject", "Atto di citazione – copia".as_bytes()),
            Part::Text("text", b"In allegato l'atto.\r\nCordiali saluti."),
            Part::Text("receipt", b"breve"),
            Part::File("attachments", "atto.pdf", "application/pdf", pdf.clone()),
            Part::File("attachments", "", "application/octet-stream", Vec::new()),
        ],
    )
    .await;
    let identificativo = identificativo_of(&sent);
    let page = b.get(sent.location()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Messaggio accettato dal punto di accesso"));
    assert!(page.body.contains(&identificativo));
    assert!(page.body.contains("hx-trigger=\"every 3s\""), "live while open");
    let poll = poll_url(&page.body).expect("a polling fragment");
    assert_eq!(b.get(&poll).await.status, StatusCode::NO_CONTENT, "nothing changed yet");

    net.pump().await;
    let fragment = b.get(&poll).await;
    assert_eq!(fragment.status, StatusCode::OK);
    assert!(!fragment.body.contains("<html"), "a fragment, not a page");
    assert_eq!(
        fragment.body.matches("<strong>Consegnato</strong>").count(),
        2,
        "{}",
        fragment.body
    );
    assert!(fragment.body.contains("Preso in carico dal gestore del destinatario"));
    assert!(fragment.body.contains("Consegnato nella casella del destinatario"));
    assert!(fragment.body.contains("emessa da Certa Sud S.p.A."));
    assert!(fragment.body.contains("href=\"/message/"), "each receipt linked by id");
    assert!(
        !fragment.body.contains("hx-trigger"),
        "every recipient is final: polling stops"
    );
    assert!(fragment.body.contains("Ogni destinatario ha il suo esito finale."));

    let list = b.get("/sent").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("Atto di citazione – copia"));
    assert!(list.body.contains("Consegnato a tutti (2)"), "{}", list.body);
    assert!(!list.body.contains("CONSEGNA:"), "receipts are not listed");

    // The copy in Sent is what the access point accepted.
    let mut c = office.store().conn().await.unwrap();
    let m = store::mailboxes::get(&mut c, &mario).await.unwrap().unwrap();
    let copies: Vec<_> = store::messages::list_mailbox(&mut c, m.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|(folder, _)| folder == "Sent")
        .collect();
    assert_eq!(copies.len(), 1);
    assert_eq!(copies[0].1.identificativo.as_deref(), Some(identificativo.as_str()));
    drop(c);
    let raw = office.store().blobs().get(&copies[0].1.blob).await.unwrap();
    let text = String::from_utf8_lossy(&raw);
    assert!(text.contains("X-TipoRicevuta: breve"));
    assert!(text.contains("filename=\"atto.pdf\""));
    assert_eq!(uploads_left(&office), 0);
    net.stop().await;
}

#[tokio::test]
async fn refusals_are_said_beside_the_form_and_what_was_typed_is_kept() {
    let site = Site::new().await;
    let mut b = site.logged_in("mario").await;
    let token = csrf(&mut b).await;
    let typed = |to: &'static [u8]| {
        vec![
            Part::Text("csrf", token.as_bytes()),
            Part::Text("to", to),
            Part::Text("subject", b"Prova di invio"),
            Part::Text("text", "Testo scritto con cura: è importante.".as_bytes()),
            Part::Text("receipt", b"sintetica"),
        ]
    };

    let r = compose(&mut b, &typed(b"anna@pec.office.test, anna.bianchi")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("«anna.bianchi» non è un indirizzo e-mail."),
        "{}",
        r.body
    );
    assert!(r.body.contains("id=\"to-problem\"") && r.body.contains("aria-invalid=\"true\""));
    assert!(r.body.contains("value=\"anna@pec.office.test, anna.bianchi\""));
    assert!(r.body.contains("value=\"Prova di invio\""));
    assert!(r.body.contains("Testo scritto con cura: è importante.</textarea>"));
    assert!(r.body.contains("value=\"sintetica\" checked"));

    // DM art. 12: the access point's own check, its notice in the INBOX.
    let many: Vec<String> = (0..501).map(|i| format!("d{i}@pec.office.test")).collect();
    let many = many.join(", ");
    let r = compose(&mut b, &typed(Box::leak(many.into_bytes().into_boxed_slice()))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("Troppi destinatari: 501 (al massimo 500)."),
        "{}",
        r.body
    );
    assert!(r.body.contains("avviso di non accettazione"));
    assert!(r.body.contains("href=\"/sent/"), "the notice's timeline is linked");

    // A subject whose bytes are not UTF-8.
    let r = compose(
        &mut b,
        &[
            Part::Text("csrf", token.as_bytes()),
            Part::Text("to", b"anna@pec.office.test"),
            Part::Text("subject", b"Caff\xe8 \xff"),
            Part::Text("text", b"ciao"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("non è testo UTF-8 valido"), "{}", r.body);
    assert!(r.body.contains("id=\"subject-problem\""));
    assert!(r.body.contains("value=\"anna@pec.office.test\""));

    // A 40 MB attachment over the 30 MB limit: refused as it arrives.
    let big = vec![0x5a_u8; 40 * 1024 * 1024];
    let mut parts = typed(b"anna@pec.office.test");
    parts.push(Part::File("attachments", "enorme.bin", "application/octet-stream", big));
    let r = compose(&mut b, &parts).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Troppo grande"), "{}", r.body);
    assert!(r.body.contains("Nulla è stato inviato né conservato."));
    assert!(r.body.contains("id=\"attachments-problem\""));
    assert!(r.body.contains("value=\"Prova di invio\""));

    // The same in English.
    b.post("/lang", &[("lang", "en"), ("back", "/compose")]).await;
    let r = compose(&mut b, &typed(b"anna.bianchi")).await;
    assert!(
        r.body.contains("“anna.bianchi” is not an e-mail address."),
        "{}",
        r.body
    );

    assert_eq!(accepted_count(&site.office).await, 0, "nothing was accepted");
    assert_eq!(uploads_left(&site.office), 0, "nothing of the uploads is left");
    let mut c = site.office.store().conn().await.unwrap();
    let mario = store::mailboxes::get(&mut c, &address("mario")).await.unwrap().unwrap();
    let kinds: Vec<Option<String>> = store::messages::list_mailbox(&mut c, mario.id)
        .await
        .unwrap()
        .into_iter()
        .map(|(_, m)| m.pec_kind)
        .collect();
    assert_eq!(
        kinds,
        [Some("non-accettazione".to_string())],
        "only the access point's notice"
    );
}

#[tokio::test]
async fn another_mailboxs_sent_message_is_not_found() {
    let site = Site::new().await;
    let mut mario = site.logged_in("mario").await;
    let token = csrf(&mut mario).await;
    let sent = compose(
        &mut mario,
        &[
            Part::Text("csrf", token.as_bytes()),
            Part::Text("to", b"anna@pec.office.test"),
            Part::Text("subject", b"Riservato"),
            Part::Text("text", b"Solo per Anna."),
        ],
    )
    .await;
    let identificativo = identificativo_of(&sent);
    site.office.engine().run_until_idle().await.unwrap();
    let page = mario.get(&format!("/sent/{identificativo}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let poll = poll_url(&page.body);
    assert!(poll.is_none(), "already final: no polling");

    let mut anna = site.logged_in("anna").await;
    for path in [
        format!("/sent/{identificativo}"),
        format!("/sent/{identificativo}/progress?stamp=x"),
        "/sent/nessuno@pec.office.test".to_string(),
    ] {
        let r = anna.get(&path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            !r.body.contains("Riservato") && !r.body.contains("Solo per Anna"),
            "{path}"
        );
    }
    let list = anna.get("/sent").await;
    assert!(!list.body.contains("Riservato"));
    // Nor can anna reply to or forward mario's copy in Sent by its id.
    let mut c = site.office.store().conn().await.unwrap();
    let m = store::mailboxes::get(&mut c, &address("mario")).await.unwrap().unwrap();
    let copy = store::messages::list_mailbox(&mut c, m.id)
        .await
        .unwrap()
        .into_iter()
        .find(|(f, _)| f == "Sent")
        .unwrap()
        .1;
    drop(c);
    for path in [
        format!("/compose?forward={}", copy.id),
        format!("/compose?reply={}", copy.id),
    ] {
        let r = anna.get(&path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!r.body.contains("Riservato"));
    }
}

#[tokio::test]
async fn a_cross_site_compose_is_refused_and_nothing_is_sent() {
    let site = Site::new().await;
    let mut b = site.logged_in("mario").await;
    let token = csrf(&mut b).await;
    let parts = [
        Part::Text("csrf", token.as_bytes()),
        Part::Text("to", b"anna@pec.office.test"),
        Part::Text("subject", b"Falso"),
    ];
    let r = post_form(&mut b, &parts, "https://evil.example").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let without = [
        Part::Text("csrf", b"not-the-token"),
        Part::Text("to", b"anna@pec.office.test"),
        Part::Text("subject", b"Falso"),
    ];
    let r = compose(&mut b, &without).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(accepted_count(&site.office).await, 0);
}

#[tokio::test]
async fn a_suspended_mailbox_is_told_it_cannot_send_and_the_access_point_refuses() {
    let site = Site::new().await;
    let mut b = site.logged_in("mario").await;
    office::mailboxes::set_status(&site.office, &address("mario"), store::mailboxes::Status::Suspended)
        .await
        .unwrap();
    let page = b.get("/compose").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("Questa casella è sospesa: non può inviare messaggi.")
    );
    assert!(page.body.contains("disabled"));
    let token = page.csrf();
    let r = compose(
        &mut b,
        &[
            Part::Text("csrf", token.as_bytes()),
            Part::Text("to", b"anna@pec.office.test"),
            Part::Text("subject", b"Prova"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body
            .contains("Il punto di accesso rifiuta l&#39;invio: la casella è sospesa."),
        "{}",
        r.body
    );
    assert_eq!(accepted_count(&site.office).await, 0);
}

#[tokio::test]
async fn a_reply_starts_from_the_message_inside_the_envelope() {
    let site = Site::new().await;
    let mut anna = site.logged_in("anna").await;
    let token = csrf(&mut anna).await;
    compose(
        &mut anna,
        &[
            Part::Text("csrf", token.as_bytes()),
            Part::Text("to", b"mario@pec.office.test"),
            Part::Text("subject", b"Udienza"),
            Part::Text("text", b"Rinviata al 3 aprile."),
        ],
    )
    .await;
    site.office.engine().run_until_idle().await.unwrap();
    let mut c = site.office.store().conn().await.unwrap();
    let m = store::mailboxes::get(&mut c, &address("mario")).await.unwrap().unwrap();
    let envelope = store::messages::list_mailbox(&mut c, m.id)
        .await
        .unwrap()
        .into_iter()
        .find(|(_, x)| x.pec_kind.as_deref() == Some("busta-trasporto"))
        .unwrap()
        .1;
    drop(c);
    let mut mario = site.logged_in("mario").await;
    let page = mario.get(&format!("/compose?reply={}", envelope.id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("value=\"anna@pec.office.test\""), "{}", page.body);
    assert!(page.body.contains("value=\"Re: Udienza\""));
    assert!(page.body.contains("&#62; Rinviata al 3 aprile."), "{}", page.body);
    assert!(page.body.contains(&format!("name=\"reply\" value=\"{}\"", envelope.id)));
    let page = mario.get(&format!("/compose?forward={}", envelope.id)).await;
    assert!(page.body.contains("value=\"Fwd: Udienza\""));
    assert!(
        page.body
            .contains("Messaggio inoltrato, allegato per intero: «Udienza»")
    );
}

#[tokio::test]
async fn bad_ids_are_not_found_and_an_ended_session_reloads_the_open_page() {
    let site = Site::new().await;
    let mut b = site.logged_in("mario").await;
    for path in [
        "/compose?reply=abc",
        "/compose?forward=-3",
        "/sent?before=xyz",
        "/sent/%00",
    ] {
        let r = b.get(path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert!(r.body.contains("Non trovato."), "{path}");
    }
    let token = csrf(&mut b).await;
    let sent = compose(
        &mut b,
        &[
            Part::Text("csrf", token.as_bytes()),
            Part::Text("to", b"anna@pec.office.test"),
            Part::Text("subject", b"In attesa"),
        ],
    )
    .await;
    let page = b.get(sent.location()).await;
    let poll = poll_url(&page.body).expect("still waiting for the jobs: it polls");
    site.advance(chrono::Duration::minutes(31));
    let r = b.get(&poll).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        r.header("hx-refresh"),
        Some("true"),
        "htmx reloads the page, which goes to the login"
    );
}
