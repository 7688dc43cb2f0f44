//! Logging in and out, the session cookie, and the extractor that gives a
//! handler the logged-in mailbox (or sends the browser to the login page).
//!
//! The cookie is `__Host-certa` (RFC 6265bis: a `__Host-` cookie must be
//! `Secure`, `Path=/` and without `Domain`), `HttpOnly` and `SameSite=Strict`,
//! holding the session's token; the office keeps the session (and only the
//! token's hash) in the store.

use axum::Form;
use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use askama::Template;
use office::login::{self, Refusal, WebUser};
use office::security::{self, SecondFactorRefusal};
use serde::Deserialize;

use crate::AppState;
use crate::i18n::{Lang, Texts};
use crate::tls::Peer;
use crate::ui::{LANG_COOKIE, Ui, error_page, page};

pub const SESSION_COOKIE: &str = "__Host-certa";

pub const TEXTS: Texts = &[
    ("login.title", "Accesso alla casella PEC", "Log in to your PEC mailbox"),
    ("login.address", "Indirizzo PEC", "PEC address"),
    ("login.password", "Password", "Password"),
    ("login.submit", "Accedi", "Log in"),
    (
        "login.invalid",
        "Indirizzo o password errati.",
        "Wrong address or password.",
    ),
    (
        "login.throttled",
        "Troppi tentativi falliti: riprovare tra qualche minuto.",
        "Too many failed attempts: try again in a few minutes.",
    ),
    (
        "login.expired",
        "La sessione è scaduta: accedere di nuovo.",
        "The session ended: please log in again.",
    ),
    ("login.logged_out", "Uscita effettuata.", "Logged out."),
    ("totp.title", "Verifica in due passaggi", "Two-step verification"),
    (
        "totp.intro",
        "Inserire il codice di 6 cifre mostrato dall'app di autenticazione.",
        "Enter the 6-digit code your authenticator app shows.",
    ),
    ("totp.code", "Codice di verifica", "Verification code"),
    ("totp.recovery_code", "Codice di recupero", "Recovery code"),
    (
        "totp.recovery_intro",
        "Inserire uno dei codici di recupero ricevuti all'attivazione: ciascuno vale una sola volta.",
        "Enter one of the recovery codes you were given when you turned this on: each works once.",
    ),
    ("totp.use_recovery", "Usa un codice di recupero", "Use a recovery code"),
    ("totp.use_code", "Usa il codice dell'app", "Use the app's code"),
    ("totp.submit", "Verifica", "Verify"),
    ("totp.wrong", "Codice errato.", "Wrong code."),
    (
        "totp.replayed",
        "Questo codice è già stato usato: attendere il codice successivo.",
        "This code was used already: wait for the next one.",
    ),
    (
        "login.verifier",
        "Verificare una PEC ricevuta",
        "Verify a PEC you received",
    ),
];

/// The value of cookie `name` in the request's `Cookie` headers (RFC 6265 5.4).
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"'))
}

/// The logged-in mailbox of a request, with the page context. A request
/// without an open session is sent to the login page (and back after it).
pub struct Holder {
    pub user: WebUser,
    pub ui: Ui,
}

impl Holder {
    /// The refusal of a form that does not carry the session's token against
    /// cross-site requests; None when it does.
    pub fn refuse_without_token(&self, given: &str) -> Option<Response> {
        if login::csrf_matches(&self.user, given) {
            return None;
        }
        tracing::warn!(target: "security", address = %self.user.address, "a form without the session's token refused");
        Some(error_page(
            &self.ui,
            StatusCode::FORBIDDEN,
            "cross-site request refused",
        ))
    }
}

impl FromRequestParts<AppState> for Holder {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Ok(ui) = Ui::from_request_parts(parts, state).await;
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(to_login(&ui.path, false));
        };
        match login::session(&state.office, token, state.settings.session).await {
            Ok(Some(user)) if user.complete => Ok(Holder {
                ui: ui.with_user(&user),
                user,
            }),
            // The password was right, the second factor is awaited: nothing
            // but its page (and logging out) until it is given.
            Ok(Some(_)) => Err(Redirect::to(&format!("/login/totp?next={}", percent(&ui.path))).into_response()),
            Ok(None) => Err(to_login(&ui.path, true)),
            Err(e) => Err(crate::ui::office_error(&ui, e)),
        }
    }
}

/// The login page, then back to `next`.
fn to_login(next: &str, expired: bool) -> Response {
    let mut to = format!("/login?next={}", percent(next));
    if expired {
        to.push_str("&expired=1");
    }
    Redirect::to(&to).into_response()
}

/// Percent-encodes everything but unreserved characters (RFC 3986 2.3).
pub(crate) fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Only a path of this site (`/...`, not `//host`) is followed after login.
fn local_path(next: Option<&str>) -> &str {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p,
        _ => "/",
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(log_in))
        .route("/login/totp", get(second_factor_page).post(second_factor))
        .route("/logout", post(log_out))
        .route("/lang", post(switch_language))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    ui: &'a Ui,
    next: &'a str,
    address: &'a str,
    notice: Option<&'static str>,
    problem: Option<&'static str>,
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
    expired: Option<String>,
    out: Option<String>,
}

async fn login_page(ui: Ui, Query(q): Query<LoginQuery>) -> Response {
    let notice = if q.expired.is_some() {
        Some(ui.t("login.expired"))
    } else if q.out.is_some() {
        Some(ui.t("login.logged_out"))
    } else {
        None
    };
    page(&LoginPage {
        ui: &ui,
        next: local_path(q.next.as_deref()),
        address: "",
        notice,
        problem: None,
    })
}

#[derive(Deserialize)]
struct LoginForm {
    address: String,
    password: String,
    next: Option<String>,
}

async fn log_in(
    State(state): State<AppState>,
    ConnectInfo(Peer(peer)): ConnectInfo<Peer>,
    ui: Ui,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = local_path(form.next.as_deref()).to_string();
    let refused = |problem: &'static str, status: StatusCode| {
        let mut r = page(&LoginPage {
            ui: &ui,
            next: &next,
            address: &form.address,
            notice: None,
            problem: Some(problem),
        });
        *r.status_mut() = status;
        r
    };
    match login::log_in(&state.office, form.address.trim(), &form.password, peer.ip()).await {
        Ok(Ok(session)) => {
            let to = if session.second_factor {
                format!("/login/totp?next={}", percent(&next))
            } else {
                next.clone()
            };
            let mut r = Redirect::to(&to).into_response();
            set_cookie(&mut r, &session_cookie(&session.token, None));
            r
        }
        Ok(Err(Refusal::Invalid)) => refused(ui.t("login.invalid"), StatusCode::UNAUTHORIZED),
        Ok(Err(Refusal::Throttled { .. })) => refused(ui.t("login.throttled"), StatusCode::TOO_MANY_REQUESTS),
        Ok(Err(Refusal::Disabled { why })) => error_page(&ui, StatusCode::FORBIDDEN, &why),
        Err(e) => crate::ui::office_error(&ui, e),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn log_out(State(state): State<AppState>, ui: Ui, headers: HeaderMap, Form(form): Form<CsrfForm>) -> Response {
    // A session awaiting its second factor may end too.
    let pending = match OpenSession::of(&state, ui, &headers).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if let Some(refused) = pending.refuse_without_token(&form.csrf) {
        return refused;
    }
    if let Err(e) = login::log_out(&state.office, &pending.token).await {
        return crate::ui::office_error(&pending.ui, e);
    }
    let mut r = Redirect::to("/login?out=1").into_response();
    set_cookie(&mut r, &session_cookie("", Some(0)));
    r
}

/// Any open session of a request, complete or awaiting its second factor:
/// what `/login/totp` and `/logout` accept. Without one, the login page.
struct OpenSession {
    user: WebUser,
    ui: Ui,
    token: String,
}

impl OpenSession {
    async fn of(state: &AppState, ui: Ui, headers: &HeaderMap) -> Result<OpenSession, Response> {
        let Some(token) = cookie(headers, SESSION_COOKIE) else {
            return Err(to_login("/mail", false));
        };
        match login::session(&state.office, token, state.settings.session).await {
            Ok(Some(user)) => Ok(OpenSession {
                ui: ui.with_user(&user),
                user,
                token: token.to_string(),
            }),
            Ok(None) => Err(to_login("/mail", true)),
            Err(e) => Err(crate::ui::office_error(&ui, e)),
        }
    }

    fn refuse_without_token(&self, given: &str) -> Option<Response> {
        Holder {
            user: self.user.clone(),
            ui: self.ui.clone(),
        }
        .refuse_without_token(given)
    }
}

#[derive(Template)]
#[template(path = "login_totp.html")]
struct SecondFactorPage<'a> {
    ui: &'a Ui,
    next: &'a str,
    recovery: bool,
    problem: Option<&'static str>,
}

impl SecondFactorPage<'_> {
    /// The same page with the other kind of code.
    fn switch_href(&self) -> String {
        let mut href = format!("/login/totp?next={}", percent(self.next));
        if !self.recovery {
            href.push_str("&recovery=1");
        }
        href
    }
}

#[derive(Deserialize)]
struct SecondFactorQuery {
    next: Option<String>,
    recovery: Option<String>,
}

async fn second_factor_page(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Query(q): Query<SecondFactorQuery>,
) -> Response {
    let next = local_path(q.next.as_deref());
    let pending = match OpenSession::of(&state, ui, &headers).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if pending.user.complete {
        return Redirect::to(next).into_response();
    }
    page(&SecondFactorPage {
        ui: &pending.ui,
        next,
        recovery: q.recovery.is_some(),
        problem: None,
    })
}

#[derive(Deserialize)]
struct SecondFactorForm {
    csrf: String,
    code: String,
    next: Option<String>,
    recovery: Option<String>,
}

async fn second_factor(
    State(state): State<AppState>,
    ConnectInfo(Peer(peer)): ConnectInfo<Peer>,
    ui: Ui,
    headers: HeaderMap,
    Form(form): Form<SecondFactorForm>,
) -> Response {
    let next = local_path(form.next.as_deref()).to_string();
    let pending = match OpenSession::of(&state, ui, &headers).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if let Some(refused) = pending.refuse_without_token(&form.csrf) {
        return refused;
    }
    if pending.user.complete {
        return Redirect::to(&next).into_response();
    }
    let refused = |problem: &'static str, status: StatusCode| {
        let mut r = page(&SecondFactorPage {
            ui: &pending.ui,
            next: &next,
            recovery: form.recovery.is_some(),
            problem: Some(problem),
        });
        *r.status_mut() = status;
        r
    };
    match security::verify_second_factor(&state.office, &pending.token, &form.code, peer.ip()).await {
        Ok(Ok(verified)) => {
            // A new session (and cookie) for the complete login.
            let mut r = Redirect::to(&next).into_response();
            set_cookie(&mut r, &session_cookie(&verified.token, None));
            r
        }
        Ok(Err(SecondFactorRefusal::Wrong)) => refused(pending.ui.t("totp.wrong"), StatusCode::UNAUTHORIZED),
        Ok(Err(SecondFactorRefusal::Replayed)) => refused(pending.ui.t("totp.replayed"), StatusCode::UNAUTHORIZED),
        Ok(Err(SecondFactorRefusal::Throttled { .. })) => {
            refused(pending.ui.t("login.throttled"), StatusCode::TOO_MANY_REQUESTS)
        }
        Ok(Err(SecondFactorRefusal::NoPendingLogin)) => to_login(&next, true),
        Err(e) => crate::ui::office_error(&pending.ui, e),
    }
}

#[derive(Deserialize)]
struct LangForm {
    lang: String,
    back: Option<String>,
}

/// The language switch: remembered in a cookie for a year. Not a change to
/// anything stored, so no session is needed (the login page has the switch too).
async fn switch_language(Form(form): Form<LangForm>) -> Response {
    let lang = Lang::parse(&form.lang).unwrap_or_default();
    let mut r = Redirect::to(local_path(form.back.as_deref())).into_response();
    set_cookie(
        &mut r,
        &format!(
            "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; Secure; SameSite=Strict",
            lang.code()
        ),
    );
    r
}

/// The session cookie; `max_age` 0 removes it.
pub(crate) fn session_cookie(token: &str, max_age: Option<u32>) -> String {
    let mut c = format!("{SESSION_COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    c
}

pub(crate) fn set_cookie(response: &mut Response, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(local_path(Some("/mail/INBOX?page=2")), "/mail/INBOX?page=2");
        assert_eq!(local_path(Some("//evil.example/")), "/");
        assert_eq!(local_path(Some("https://evil.example/")), "/");
        assert_eq!(local_path(Some("/\\evil.example")), "/");
        assert_eq!(local_path(None), "/");
    }

    #[test]
    fn cookies_are_read_by_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; __Host-certa=abc; certa-lang=en"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "certa-lang"), Some("en"));
        assert_eq!(cookie(&h, "b"), None);
    }
}
