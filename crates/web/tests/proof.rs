//! Proof and the public verifier, route by route: a message's original `.eml`,
//! the proof bundle (its files, hashes and signatures checked with `sha256sum
//! -c` and `openssl cms -verify`), another mailbox's message answering 404, a
//! receipt refused for deletion while its message is kept, and the verifier
//! with a real provider's receipt, a malformed and an oversized upload.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{Browser, HOST, Page, Site, address};
use engine::access::Submission;
use testkit::bundle::{openssl_verifies, sha256sum_check, unpack};

/// mario sends a PEC to anna on the same provider; every job runs, so mario's
/// INBOX holds its acceptance and delivery receipts. The identificativo.
async fn sent(site: &Site) -> String {
    let (mario, anna) = (address("mario"), address("anna"));
    let raw = format!(
        "From: {mario}\r\nTo: {anna}\r\nSubject: Atto di citazione\r\nMessage-ID: <atto-1@client.test>\r\n\r\nIn allegato.\r\n"
    );
    let engine = site.office.engine();
    let identificativo = match engine
        .submit(&mario, &mario, std::slice::from_ref(&anna), raw.as_bytes())
        .await
        .unwrap()
    {
        Submission::Accepted { identificativo } => identificativo,
        other => panic!("{other:?}"),
    };
    while engine.run_until_idle().await.unwrap() > 0 {}
    identificativo
}

async fn mailbox(site: &Site, user: &str) -> i64 {
    let mut c = site.office.store().conn().await.unwrap();
    store::mailboxes::get(&mut c, &address(user)).await.unwrap().unwrap().id
}

/// mario's messages of `kind` (None: not PEC) about `identificativo`.
async fn message(site: &Site, kind: Option<&str>, identificativo: &str) -> store::messages::StoredMessage {
    let id = mailbox(site, "mario").await;
    let mut c = site.office.store().conn().await.unwrap();
    store::messages::list_mailbox(&mut c, id)
        .await
        .unwrap()
        .into_iter()
        .map(|(_, m)| m)
        .find(|m| m.pec_kind.as_deref() == kind && m.identificativo.as_deref() == Some(identificativo))
        .unwrap()
}

/// The verifier's form posted with `file` as its `message` field.
async fn upload(b: &mut Browser, file: &[u8]) -> Page {
    let mut body = b"--xYzZY\r\nContent-Disposition: form-data; name=\"message\"; filename=\"r.eml\"\r\n\
                     Content-Type: message/rfc822\r\n\r\n"
        .to_vec();
    body.extend_from_slice(file);
    body.extend_from_slice(b"\r\n--xYzZY--\r\n");
    let r = Request::builder()
        .method("POST")
        .uri("/verify")
        .header(header::HOST, HOST)
        .header(header::ORIGIN, format!("https://{HOST}"))
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=xYzZY")
        .body(Body::from(body))
        .unwrap();
    b.send(r).await
}

fn real_vector(name: &str) -> Vec<u8> {
    std::fs::read(testkit::conformance::shared().join("vectors/real").join(name)).unwrap()
}

#[tokio::test]
async fn a_message_downloads_as_its_stored_bytes_and_only_for_its_mailbox() {
    let site = Site::new().await;
    let identificativo = sent(&site).await;
    let receipt = message(&site, Some("accettazione"), &identificativo).await;
    let stored = site.office.store().blobs().get(&receipt.blob).await.unwrap();
    let path = format!("/message/{}/eml", receipt.id);

    let mut nobody = site.browser();
    assert_eq!(nobody.get(&path).await.status, StatusCode::SEE_OTHER, "login required");

    let mut mario = site.logged_in("mario").await;
    let page = mario.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.header("content-type"), Some("message/rfc822"));
    let disposition = page.header("content-disposition").unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"accettazione-") && disposition.ends_with(".eml\""),
        "{disposition}"
    );
    assert_eq!(bytes_of(&site, &mario, &path).await, stored);

    let mut anna = site.logged_in("anna").await;
    let other = anna.get(&path).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    assert!(!other.body.contains("ACCETTAZIONE") && !other.body.contains(&identificativo));
    assert_eq!(mario.get("/message/999999/eml").await.status, StatusCode::NOT_FOUND);
    assert_eq!(mario.get("/message/nonsense/eml").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_proof_bundle_verifies_with_sha256sum_and_openssl() {
    let site = Site::new().await;
    let identificativo = sent(&site).await;
    let mut mario = site.logged_in("mario").await;
    let path = format!("/proof/{identificativo}.zip");
    let page = mario.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.header("content-type"), Some("application/zip"));
    assert_eq!(
        page.header("content-disposition"),
        Some(format!("attachment; filename=\"prova-{identificativo}.zip\"").as_str())
    );
    let bytes = bytes_of(&site, &mario, &path).await;
    assert_eq!(page.header("content-length"), Some(bytes.len().to_string().as_str()));

    let dir = tempfile::tempdir().unwrap();
    let (top, files) = unpack(&bytes, dir.path());
    let (ok, out) = sha256sum_check(&top);
    assert!(ok, "{out}");
    let ca = site.office.engine().index().path.parent().unwrap().join("ca.pem");
    let signed: Vec<&String> = files
        .iter()
        .filter(|f| f.ends_with(".eml") && f.as_str() != "messaggio-originale.eml")
        .collect();
    assert!(signed.len() >= 3, "envelope, acceptance, delivery: {files:?}");
    for f in &signed {
        assert!(openssl_verifies(&top.join(f), &ca), "{f}");
    }
    for f in [
        "riepilogo.html",
        "verifica-firme.json",
        "verifica-firme.txt",
        "SHA256SUMS",
    ] {
        assert!(files.iter().any(|x| x == f), "{f} missing: {files:?}");
    }
    assert!(files.iter().any(|f| f.ends_with(".daticert.xml")));

    let mut anna = site.logged_in("anna").await;
    assert_eq!(
        anna.get(&path).await.status,
        StatusCode::NOT_FOUND,
        "another mailbox's message"
    );
    assert_eq!(
        mario.get("/proof/nessuno@pec.office.test.zip").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        mario.get(&format!("/proof/{identificativo}")).await.status,
        StatusCode::NOT_FOUND
    );
}

/// The body of a GET as bytes (a `Page`'s text would be lossy for a ZIP).
async fn bytes_of(site: &Site, b: &Browser, path: &str) -> Vec<u8> {
    use tower::ServiceExt;
    let cookies: Vec<String> = b.cookies.iter().map(|(n, v)| format!("{n}={v}")).collect();
    let r = Request::builder()
        .uri(path)
        .header(header::HOST, HOST)
        .header(header::COOKIE, cookies.join("; "))
        .body(Body::empty())
        .unwrap();
    let response = site.router.clone().oneshot(r).await.unwrap();
    axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec()
}

#[tokio::test]
async fn a_receipt_of_a_kept_message_is_refused_for_deletion_and_can_be_archived() {
    let site = Site::new().await;
    let identificativo = sent(&site).await;
    // The webmail's copy of the sent message, in Sent.
    {
        let id = mailbox(&site, "mario").await;
        let mut c = site.office.store().conn().await.unwrap();
        let folder = store::messages::folder(&mut c, id, "Sent").await.unwrap().unwrap();
        let blob = site
            .office
            .store()
            .blobs()
            .put(b"Subject: copia\r\n\r\ncopia\r\n")
            .await
            .unwrap();
        let new = store::messages::NewMessage {
            blob: &blob,
            size: 25,
            internal_date: site.office.now_ms(),
            flags: &[],
            pec_kind: None,
            identificativo: Some(&identificativo),
        };
        store::messages::append(&mut c, folder.id, &new).await.unwrap();
    }
    let receipt = message(&site, Some("avvenuta-consegna"), &identificativo).await;
    let mut mario = site.logged_in("mario").await;
    let fragment = mario.get(&format!("/message/{}/proof", receipt.id)).await;
    assert_eq!(fragment.status, StatusCode::OK);
    assert!(fragment.body.contains("non si può eliminare"), "{}", fragment.body);
    assert!(fragment.body.contains("disabled"), "the delete button is disabled");
    assert!(fragment.body.contains(&format!("/proof/{identificativo}.zip")));
    let csrf = fragment.csrf();

    let refused = mario
        .post(&format!("/message/{}/delete", receipt.id), &[("csrf", &csrf)])
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(
        refused.body.contains("è la prova di un messaggio inviato"),
        "{}",
        refused.body
    );
    assert_eq!(
        message(&site, Some("avvenuta-consegna"), &identificativo).await.id,
        receipt.id
    );

    let forged = mario
        .post(&format!("/message/{}/receipts/archive", receipt.id), &[("csrf", "no")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let mut anna = site.logged_in("anna").await;
    let anna_csrf = anna.get("/mail").await.csrf();
    let theirs = anna
        .post(
            &format!("/message/{}/receipts/archive", receipt.id),
            &[("csrf", &anna_csrf)],
        )
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);

    let archived = mario
        .post(&format!("/message/{}/receipts/archive", receipt.id), &[("csrf", &csrf)])
        .await;
    assert_eq!(archived.status, StatusCode::OK, "{}", archived.body);
    assert!(archived.body.contains("Ricevute archiviate"), "{}", archived.body);
    let folders = mario.get("/mail").await;
    assert!(folders.body.contains("Ricevute archiviate"), "the archive is a folder");
}

#[tokio::test]
async fn the_verifier_reads_a_real_receipt_without_a_login() {
    let site = Site::new().await;
    let mut b = site.browser();
    let form = b.get("/verify").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("enctype=\"multipart/form-data\"") && form.body.contains("<label for=\"message\""));

    let page = upload(&mut b, &real_vector("aruba-2018-accettazione.eml")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for expected in [
        "Ricevuta di accettazione",
        "opec288.20181113163926.01838.310.1.63@pec.aruba.it",
        "Firma valida, ma il firmatario non è fidato",
        "Il firmatario non è un gestore dell&#39;indice",
        "sha1",
    ] {
        assert!(page.body.contains(expected), "{expected} missing");
    }

    // A receipt of this installation's provider: signed by a provider of its index.
    let identificativo = sent(&site).await;
    let receipt = message(&site, Some("accettazione"), &identificativo).await;
    let raw = site.office.store().blobs().get(&receipt.blob).await.unwrap();
    let page = upload(&mut b, &raw).await;
    assert!(page.body.contains("Firma valida di un gestore fidato"), "{}", page.body);
    assert!(page.body.contains("Office Test S.p.A."));

    // Cut in the middle of its signature: a verdict, not a failure.
    let cut = upload(&mut b, &raw[..raw.len() - 300]).await;
    assert_eq!(cut.status, StatusCode::OK);
    assert!(!cut.body.contains("Firma valida"), "{}", cut.body);
}

#[tokio::test]
async fn the_verifier_refuses_bad_uploads_clearly() {
    let site = Site::new().await;
    let mut b = site.browser();
    let noise: Vec<u8> = (0..2048u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect();
    let page = upload(&mut b, &noise).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Non è un messaggio PEC"), "{}", page.body);

    let empty = upload(&mut b, b"").await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("Nessun file ricevuto"));

    let big = upload(&mut b, &vec![b'a'; office::verify::MAX_SIZE + 1]).await;
    assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(big.body.contains("supera i 30 MB"), "{}", big.body);

    let not_multipart = b.post("/verify", &[("message", "x")]).await;
    assert_eq!(not_multipart.status, StatusCode::BAD_REQUEST);
    assert!(not_multipart.body.contains("non è leggibile"));
}

#[tokio::test]
async fn the_verifier_limits_each_client_address() {
    let site = Site::new().await;
    let mut b = site.browser();
    let vector = real_vector("anon-aruba-accettazione.eml");
    for _ in 0..20 {
        assert_eq!(upload(&mut b, &vector).await.status, StatusCode::OK);
    }
    let throttled = upload(&mut b, &vector).await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(throttled.body.contains("Troppe verifiche"));
    site.advance(chrono::Duration::minutes(11));
    assert_eq!(
        upload(&mut b, &vector).await.status,
        StatusCode::OK,
        "the window moved on"
    );
}
