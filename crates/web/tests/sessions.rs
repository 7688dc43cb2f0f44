//! Logging in and out, sessions, the language switch and the protections every
//! page has: route by route, through the router, as a browser sends requests.

mod common;

use axum::http::StatusCode;
use chrono::Duration;
use common::{PASSWORD, Site, address};

#[tokio::test]
async fn a_page_of_the_mailbox_needs_a_login_and_comes_back_after_it() {
    let site = Site::new().await;
    let mut b = site.browser();
    let page = b.get("/mail").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/login?next=%2Fmail");
    let login = b.get(page.location()).await;
    assert_eq!(login.status, StatusCode::OK);
    assert!(login.body.contains("name=\"next\" value=\"/mail\""), "{}", login.body);
    let done = b.login(&address("mario"), PASSWORD).await;
    assert_eq!((done.status, done.location()), (StatusCode::SEE_OTHER, "/mail"));
    let mail = b.get("/mail").await;
    assert_eq!(mail.status, StatusCode::OK);
    assert!(mail.body.contains("mario@pec.office.test") && mail.body.contains("Posta in arrivo"));
}

#[tokio::test]
async fn the_session_cookie_is_secure_http_only_and_same_site_strict() {
    let site = Site::new().await;
    let mut b = site.browser();
    let r = b.login(&address("mario"), PASSWORD).await;
    let cookie = r.header("set-cookie").unwrap();
    assert!(cookie.starts_with("__Host-certa="), "{cookie}");
    for attribute in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} missing from {cookie}");
    }
    assert!(!cookie.contains("Domain"), "{cookie}");
}

#[tokio::test]
async fn a_wrong_password_is_refused_without_saying_which_part_is_wrong() {
    let site = Site::new().await;
    let mut b = site.browser();
    for (user, password) in [
        (address("mario").as_str(), "sbagliata"),
        ("nessuno@pec.office.test", PASSWORD),
    ] {
        let r = b.login(user, password).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(r.body.contains("Indirizzo o password errati."), "{}", r.body);
        assert!(r.header("set-cookie").is_none());
    }
}

#[tokio::test]
async fn logins_share_the_brute_force_limits_of_the_mail_protocols() {
    let site = Site::new().await;
    let mut b = site.browser();
    for _ in 0..10 {
        b.login(&address("mario"), "sbagliata").await;
    }
    let r = b.login(&address("mario"), PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
}

#[tokio::test]
async fn an_idle_session_ends_and_the_browser_is_sent_to_the_login_page() {
    let site = Site::new().await;
    let mut b = site.logged_in("mario").await;
    assert_eq!(b.get("/mail").await.status, StatusCode::OK);
    site.advance(Duration::minutes(29));
    assert_eq!(b.get("/mail").await.status, StatusCode::OK, "activity keeps it open");
    site.advance(Duration::minutes(31));
    let r = b.get("/mail").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/login?next=%2Fmail&expired=1");
    assert!(b.get(r.location()).await.body.contains("La sessione è scaduta"));
}

#[tokio::test]
async fn logging_out_needs_the_sessions_token_and_ends_the_session() {
    let site = Site::new().await;
    let mut b = site.logged_in("mario").await;
    let page = b.get("/mail").await;
    let refused = b.post("/logout", &[("csrf", "not-the-token")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(b.get("/mail").await.status, StatusCode::OK, "still logged in");
    let cookie_before = b.cookies.clone();
    let out = b.post("/logout", &[("csrf", &page.csrf())]).await;
    assert_eq!((out.status, out.location()), (StatusCode::SEE_OTHER, "/login?out=1"));
    assert!(b.cookies.iter().all(|(n, _)| n != "__Host-certa"));
    // The old cookie no longer opens anything: the session is gone from the store.
    b.cookies = cookie_before;
    assert_eq!(b.get("/mail").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_cross_site_post_is_refused_before_anything_happens() {
    let site = Site::new().await;
    let mut b = site.browser();
    let r = b
        .post_from(
            "/login",
            &[("address", &address("mario")), ("password", PASSWORD)],
            Some("https://evil.example"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.header("set-cookie").is_none());
    let mut b = site.logged_in("mario").await;
    let csrf = b.get("/mail").await.csrf();
    let r = b
        .post_from("/logout", &[("csrf", &csrf)], Some("https://evil.example"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(b.get("/mail").await.status, StatusCode::OK, "still logged in");
}

#[tokio::test]
async fn every_page_has_the_security_headers() {
    let site = Site::new().await;
    let mut b = site.browser();
    for path in ["/login", "/mail", "/nothing-here"] {
        let r = b.get(path).await;
        let csp = r.header("content-security-policy").unwrap_or_default();
        assert!(
            csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
            "{path}: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(r.header("x-frame-options"), Some("DENY"), "{path}");
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"), "{path}");
        assert!(r.header("strict-transport-security").is_some(), "{path}");
    }
}

#[tokio::test]
async fn the_pages_switch_to_english_and_back() {
    let site = Site::new().await;
    let mut b = site.browser();
    assert!(b.get("/login").await.body.contains("<html lang=\"it\">"));
    let r = b.post("/lang", &[("lang", "en"), ("back", "/login")]).await;
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, "/login"));
    let page = b.get("/login").await;
    assert!(page.body.contains("<html lang=\"en\">") && page.body.contains("Log in to your PEC mailbox"));
    b.post("/lang", &[("lang", "it"), ("back", "/login")]).await;
    assert!(b.get("/login").await.body.contains("Accesso alla casella PEC"));
}

#[tokio::test]
async fn a_closed_mailbox_loses_its_sessions() {
    let site = Site::new().await;
    let mut b = site.logged_in("mario").await;
    office::mailboxes::set_status(&site.office, &address("mario"), store::mailboxes::Status::Closed)
        .await
        .unwrap();
    assert_eq!(b.get("/mail").await.status, StatusCode::SEE_OTHER);
    let r = b.login(&address("mario"), PASSWORD).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn two_nodes_on_one_postgresql_share_the_sessions() {
    let db = testkit::postgres::Database::create().await;
    let first = Site::on(Some(&db.url)).await;
    let second = Site::node(Some(&db.url)).await;
    let mut on_first = first.logged_in("mario").await;
    let csrf = on_first.get("/mail").await.csrf();
    let mut on_second = second.browser_with(&on_first);
    let page = on_second.get("/mail").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("mario@pec.office.test"));
    let out = on_second.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(
        on_first.get("/mail").await.status,
        StatusCode::SEE_OTHER,
        "ended on both"
    );
    first.office.close().await;
    second.office.close().await;
    db.drop_now().await;
}

#[tokio::test]
async fn the_folder_page_shows_the_usage_with_the_servers_warning_levels() {
    let site = Site::new().await;
    let mut b = site.logged_in("mario").await;
    let mail = b.get("/mail").await;
    assert_eq!(mail.status, StatusCode::OK);
    // A native meter with the server's levels, labelled, and no prediction for an empty box.
    assert!(
        mail.body
            .contains(r#"<meter id="quota-meter" min="0" max="100" low="70" high="90" optimum="0" value="0">"#),
        "{}",
        mail.body
    );
    assert!(
        mail.body
            .contains(r#"<label for="quota-meter">0.0 MB di 1024.0 MB (0%)</label>"#)
    );
    assert!(mail.body.contains("Negli ultimi 30 giorni non è cresciuta."));
    assert!(!mail.body.contains("role=\"alert\""), "no warning under 70 %");
}
