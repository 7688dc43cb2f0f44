//! Two-factor login and app passwords, route by route: `/settings/security`
//! (enrolment, recovery codes, app passwords), `/login/totp`, and what a
//! session awaiting its second factor may reach.

mod common;

use axum::http::StatusCode;
use chrono::Duration;
use common::{Browser, PASSWORD, Site, address};
use engine::guard::{Channel, LoginRefused, Purpose};
use office::security::totp;

const IP: std::net::IpAddr = std::net::IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 7));

/// The text between `start` and the next `end` in `body`.
fn between<'a>(body: &'a str, start: &str, end: &str) -> &'a str {
    let at = body.find(start).unwrap_or_else(|| panic!("{start:?} not in {body}")) + start.len();
    let rest = &body[at..];
    &rest[..rest.find(end).unwrap()]
}

fn code_now(site: &Site, secret: &str) -> String {
    totp::code_at(secret, site.clock.0.lock().unwrap().timestamp()).unwrap()
}

/// Turns TOTP on through the pages: the secret and the recovery codes shown.
async fn turn_on(site: &Site, b: &mut Browser) -> (String, Vec<String>) {
    let page = b.get("/settings/security").await;
    assert_eq!(page.status, StatusCode::OK);
    let started = b.post("/settings/security/totp/start", &[("csrf", &page.csrf())]).await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.body);
    assert!(started.body.contains("src=\"data:image/svg+xml;base64,"), "the QR code");
    let secret = between(&started.body, "id=\"totp-secret\">", "<").to_string();
    let code = code_now(site, &secret);
    let done = b
        .post(
            "/settings/security/totp/confirm",
            &[("csrf", &started.csrf()), ("code", &code)],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(
        done.body.contains("Verifica in due passaggi attivata."),
        "{}",
        done.body
    );
    let codes: Vec<String> = done
        .body
        .split("<li><code>")
        .skip(1)
        .map(|p| p[..p.find('<').unwrap()].to_string())
        .collect();
    assert_eq!(codes.len(), 10, "{}", done.body);
    // Shown once: the page again has no recovery code.
    assert!(!b.get("/settings/security").await.body.contains(&codes[0]));
    (secret, codes)
}

/// Logs in with the password: the browser is sent to the code's page.
async fn password_step(b: &mut Browser) {
    let r = b.login(&address("mario"), PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/login/totp?next=%2Fmail");
}

#[tokio::test]
async fn enrolment_needs_the_right_code_then_logins_ask_for_one() {
    let site = Site::new().await;
    let mut b = site.logged_in("mario").await;
    let page = b.get("/settings/security").await;
    assert!(
        page.body.contains("Attiva la verifica in due passaggi"),
        "{}",
        page.body
    );
    let started = b.post("/settings/security/totp/start", &[("csrf", &page.csrf())]).await;
    let wrong = b
        .post(
            "/settings/security/totp/confirm",
            &[("csrf", &started.csrf()), ("code", "000000")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", wrong.body);
    assert!(wrong.body.contains("role=\"alert\""), "{}", wrong.body);
    assert!(
        wrong.body.contains("id=\"totp-secret\""),
        "the same enrolment is shown again"
    );
    // Still off: a login needs no code.
    assert_eq!(
        site.browser().login(&address("mario"), PASSWORD).await.location(),
        "/mail"
    );

    let (secret, _) = turn_on(&site, &mut b).await;
    site.advance(Duration::seconds(30));
    let mut other = site.browser();
    password_step(&mut other).await;
    let form = other.get("/login/totp?next=%2Fmail").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.body.contains("<label for=\"code\">Codice di verifica</label>"),
        "{}",
        form.body
    );
    assert!(form.body.contains("Usa un codice di recupero"), "{}", form.body);
    let wrong = other
        .post(
            "/login/totp",
            &[("csrf", &form.csrf()), ("code", "123456"), ("next", "/mail")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("Codice errato."));
    let code = code_now(&site, &secret);
    let ok = other
        .post(
            "/login/totp",
            &[("csrf", &form.csrf()), ("code", &code), ("next", "/mail")],
        )
        .await;
    assert_eq!((ok.status, ok.location()), (StatusCode::SEE_OTHER, "/mail"));
    assert!(
        ok.header("set-cookie").is_some_and(|c| c.starts_with("__Host-certa=")),
        "a new session token"
    );
    assert_eq!(other.get("/mail").await.status, StatusCode::OK);

    // RFC 6238 5.2: the same code on another login is refused.
    let mut third = site.browser();
    password_step(&mut third).await;
    let form = third.get("/login/totp?next=%2Fmail").await;
    let replay = third
        .post(
            "/login/totp",
            &[("csrf", &form.csrf()), ("code", &code), ("next", "/mail")],
        )
        .await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    assert!(replay.body.contains("già stato usato"), "{}", replay.body);
}

#[tokio::test]
async fn a_session_awaiting_its_code_reaches_nothing_but_the_code_page_and_logout() {
    let site = Site::new().await;
    let mut b = site.logged_in("mario").await;
    turn_on(&site, &mut b).await;
    let mut pending = site.browser();
    password_step(&mut pending).await;
    for path in ["/mail", "/sent", "/compose", "/settings/security"] {
        let r = pending.get(path).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}");
        assert!(
            r.location().starts_with("/login/totp?next="),
            "{path}: {}",
            r.location()
        );
    }
    let form = pending.get("/login/totp").await;
    assert!(!form.body.contains("href=\"/mail\""), "no mailbox navigation yet");
    let csrf = form.csrf();
    let r = pending
        .post("/settings/security/app-passwords", &[("csrf", &csrf), ("name", "x")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location().starts_with("/login/totp"));
    let r = pending
        .post(
            "/settings/security/totp/disable",
            &[("csrf", &csrf), ("proof", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // The code's form needs the session's token.
    let refused = pending
        .post("/login/totp", &[("csrf", "not-the-token"), ("code", "123456")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let out = pending.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.location(), "/login?out=1");
    assert_eq!(pending.get("/login/totp").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_recovery_code_completes_a_login_once() {
    let site = Site::new().await;
    let mut b = site.logged_in("mario").await;
    let (_, codes) = turn_on(&site, &mut b).await;
    let mut first = site.browser();
    password_step(&mut first).await;
    let form = first.get("/login/totp?next=%2Fmail&recovery=1").await;
    assert!(
        form.body.contains("<label for=\"code\">Codice di recupero</label>"),
        "{}",
        form.body
    );
    let fields = [
        ("csrf", form.csrf()),
        ("code", codes[0].clone()),
        ("next", "/mail".into()),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let ok = first.post("/login/totp", &fields).await;
    assert_eq!((ok.status, ok.location()), (StatusCode::SEE_OTHER, "/mail"));

    let mut second = site.browser();
    password_step(&mut second).await;
    let form = second.get("/login/totp?recovery=1").await;
    let again = second
        .post("/login/totp", &[("csrf", &form.csrf()), ("code", &codes[0])])
        .await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn app_passwords_open_the_mail_protocols_not_the_web_and_revoked_nothing() {
    let site = Site::new().await;
    let mut b = site.logged_in("mario").await;
    turn_on(&site, &mut b).await;
    site.advance(Duration::seconds(30));
    let page = b.get("/settings/security").await;
    let created = b
        .post(
            "/settings/security/app-passwords",
            &[("csrf", &page.csrf()), ("name", "Thunderbird <portatile>")],
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    assert!(
        created.body.contains("Thunderbird &#60;portatile&#62;")
            || created.body.contains("Thunderbird &lt;portatile&gt;")
    );
    let password = between(&created.body, "id=\"new-app-password\">", "<").to_string();
    assert_eq!(password.len(), 19);
    assert!(
        !b.get("/settings/security").await.body.contains(&password),
        "shown once"
    );

    let engine = site.office.engine().clone();
    let mail = |password: String| {
        let engine = engine.clone();
        async move {
            engine
                .login("imap", &address("mario"), &password, IP, Purpose::Read, Channel::Mail)
                .await
                .unwrap()
                .map(|_| ())
        }
    };
    assert_eq!(mail(password.clone()).await, Ok(()));
    assert_eq!(mail(PASSWORD.to_string()).await, Err(LoginRefused::Invalid));
    let web = site.browser().login(&address("mario"), &password).await;
    assert_eq!(
        web.status,
        StatusCode::UNAUTHORIZED,
        "an app password never opens the web"
    );

    let page = b.get("/settings/security").await;
    assert!(page.body.contains("Thunderbird"));
    let action = between(&page.body, "action=\"/settings/security/app-passwords/", "\"").to_string();
    let no_token = b
        .post(&format!("/settings/security/app-passwords/{action}"), &[("csrf", "x")])
        .await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);
    let revoked = b
        .post(
            &format!("/settings/security/app-passwords/{action}"),
            &[("csrf", &page.csrf())],
        )
        .await;
    assert_eq!(
        (revoked.status, revoked.location()),
        (StatusCode::SEE_OTHER, "/settings/security")
    );
    assert_eq!(mail(password).await, Err(LoginRefused::Invalid));
    assert!(
        b.get("/settings/security")
            .await
            .body
            .contains("Nessuna password per app.")
    );
}

#[tokio::test]
async fn turning_totp_off_needs_the_token_and_a_proof() {
    let site = Site::new().await;
    let mut b = site.logged_in("mario").await;
    turn_on(&site, &mut b).await;
    let page = b.get("/settings/security").await;
    let refused = b
        .post("/settings/security/totp/disable", &[("csrf", "x"), ("proof", PASSWORD)])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let wrong = b
        .post(
            "/settings/security/totp/disable",
            &[("csrf", &page.csrf()), ("proof", "sbagliata")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let off = b
        .post(
            "/settings/security/totp/disable",
            &[("csrf", &page.csrf()), ("proof", PASSWORD)],
        )
        .await;
    assert_eq!(off.status, StatusCode::OK);
    assert!(off.body.contains("Verifica in due passaggi disattivata."));
    assert_eq!(
        site.browser().login(&address("mario"), PASSWORD).await.location(),
        "/mail"
    );
}

#[tokio::test]
async fn a_login_awaiting_its_code_ends_after_ten_minutes() {
    let site = Site::new().await;
    let mut b = site.logged_in("mario").await;
    let (secret, _) = turn_on(&site, &mut b).await;
    let mut pending = site.browser();
    password_step(&mut pending).await;
    let form = pending.get("/login/totp").await;
    site.advance(Duration::minutes(11));
    let late = pending
        .post(
            "/login/totp",
            &[("csrf", &form.csrf()), ("code", &code_now(&site, &secret))],
        )
        .await;
    assert_eq!(late.status, StatusCode::SEE_OTHER);
    assert!(late.location().starts_with("/login?"), "{}", late.location());
    assert_eq!(pending.get("/mail").await.location(), "/login?next=%2Fmail&expired=1");
}
