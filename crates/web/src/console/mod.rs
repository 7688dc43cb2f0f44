//! The consoles: the Order's (for a secretariat and the provider's
//! operators) and the provider's (for operators only), behind a login of
//! their own (`/console/login`: login, password and the TOTP code, which is
//! mandatory) and a cookie of their own, `__Host-certa-staff`.
//!
//! Who may see what is the office's decision (`office::staff::Actor`): a page
//! takes the [`Staff`] extractor and passes its actor to the office function
//! it calls, which answers "not found" for what is not the actor's: another
//! Order's member, convention or export is a 404 like a missing one. The
//! office records every action in the audit trail (`/console/audit`).

use axum::Form;
use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use askama::Template;
use chrono::TimeZone;
use office::staff::{self, Actor, AuditEntry, AuditQuery, Refusal};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{cookie, percent, set_cookie};
use crate::i18n::Texts;
use crate::tls::Peer;
use crate::ui::{Ui, error_page, page};

pub mod order;
pub mod provider;

pub const STAFF_COOKIE: &str = "__Host-certa-staff";

pub const TEXTS: Texts = &[
    ("console.title", "Console", "Console"),
    ("console.login.title", "Accesso alla console", "Console login"),
    (
        "console.login.intro",
        "Per il personale del gestore e delle segreterie degli Ordini.",
        "For the provider's staff and the Orders' secretariats.",
    ),
    ("console.login.login", "Nome utente", "Login"),
    ("console.login.password", "Password", "Password"),
    (
        "console.login.code",
        "Codice di verifica (app di autenticazione)",
        "Verification code (authenticator app)",
    ),
    ("console.login.submit", "Accedi", "Log in"),
    (
        "console.login.invalid",
        "Nome utente, password o codice errati.",
        "Wrong login, password or code.",
    ),
    (
        "console.login.replayed",
        "Questo codice è già stato usato: attendere il codice successivo.",
        "This code was used already: wait for the next one.",
    ),
    (
        "console.login.throttled",
        "Troppi tentativi falliti: riprovare tra qualche minuto.",
        "Too many failed attempts: try again in a few minutes.",
    ),
    (
        "console.login.expired",
        "La sessione è scaduta: accedere di nuovo.",
        "The session ended: please log in again.",
    ),
    ("console.login.out", "Uscita effettuata.", "Logged out."),
    ("console.who", "Utente", "User"),
    ("console.role.operator", "operatore del gestore", "provider's operator"),
    ("console.role.secretariat", "segreteria", "secretariat"),
    ("console.nav.provider", "Gestore", "Provider"),
    ("console.nav.audit", "Registro delle attività", "Audit trail"),
    ("console.nav.orders", "Ordini", "Orders"),
    (
        "console.home.orders",
        "Gli Ordini di cui si occupa",
        "The Orders you work for",
    ),
    ("console.audit.title", "Registro delle attività", "Audit trail"),
    (
        "console.audit.intro",
        "Ogni azione compiuta nelle console e con le chiavi API, con chi e quando.",
        "Every action taken in the consoles and with API keys, with who and when.",
    ),
    ("console.audit.when", "Quando", "When"),
    ("console.audit.actor", "Chi", "Who"),
    ("console.audit.via", "Da", "Through"),
    ("console.audit.action", "Azione", "Action"),
    ("console.audit.order", "Ordine", "Order"),
    ("console.audit.subject", "Oggetto", "Subject"),
    ("console.audit.detail", "Dettaglio", "Detail"),
    ("console.audit.filter", "Filtra", "Filter"),
    ("console.audit.older", "Più vecchie", "Older"),
    ("console.audit.none", "Nessuna attività.", "No activity."),
];

/// A logged-in staff member and the page context: what every console page takes.
pub struct Staff {
    pub actor: Actor,
    pub ui: Ui,
}

impl Staff {
    /// The refusal of a form without the session's token against cross-site
    /// requests; None when it carries it.
    pub fn refuse_without_token(&self, given: &str) -> Option<Response> {
        if staff::csrf_matches(&self.actor, given) {
            return None;
        }
        tracing::warn!(target: "security", login = %self.actor.login, "a console form without the session's token refused");
        Some(error_page(
            &self.ui,
            StatusCode::FORBIDDEN,
            "cross-site request refused",
        ))
    }

    /// An office error as a console page.
    pub fn error(&self, e: office::Error) -> Response {
        crate::ui::office_error(&self.ui, e)
    }

    /// The Orders listed in the console's navigation: the secretariat's own.
    pub fn nav_orders(&self) -> &[String] {
        &self.actor.orders
    }
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Ok(ui) = Ui::from_request_parts(parts, state).await;
        let Some(token) = cookie(&parts.headers, STAFF_COOKIE) else {
            return Err(to_login(&ui.path, false));
        };
        match staff::session(&state.office, token, state.settings.session).await {
            Ok(Some(actor)) => Ok(Staff { actor, ui }),
            Ok(None) => Err(to_login(&ui.path, true)),
            Err(e) => Err(crate::ui::office_error(&ui, e)),
        }
    }
}

fn to_login(next: &str, expired: bool) -> Response {
    let mut to = format!("/console/login?next={}", percent(next));
    if expired {
        to.push_str("&expired=1");
    }
    Redirect::to(&to).into_response()
}

/// Only a console path of this site is followed after login.
fn console_path(next: Option<&str>) -> &str {
    match next {
        Some(p)
            if (p.starts_with("/console") || p.starts_with("/ordine/") || p.starts_with("/gestore"))
                && !p.contains("//")
                && !p.contains('\\') =>
        {
            p
        }
        _ => "/console",
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console", get(home))
        .route("/console/login", get(login_page).post(log_in))
        .route("/console/logout", post(log_out))
        .route("/console/audit", get(audit))
        .merge(order::routes())
        .merge(provider::routes())
}

#[derive(Template)]
#[template(path = "console_login.html")]
struct LoginPage<'a> {
    ui: &'a Ui,
    next: &'a str,
    login: &'a str,
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
        Some(ui.t("console.login.expired"))
    } else if q.out.is_some() {
        Some(ui.t("console.login.out"))
    } else {
        None
    };
    page(&LoginPage {
        ui: &ui,
        next: console_path(q.next.as_deref()),
        login: "",
        notice,
        problem: None,
    })
}

#[derive(Deserialize)]
struct LoginForm {
    login: String,
    password: String,
    code: String,
    next: Option<String>,
}

async fn log_in(
    State(state): State<AppState>,
    ConnectInfo(Peer(peer)): ConnectInfo<Peer>,
    ui: Ui,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = console_path(form.next.as_deref()).to_string();
    let refused = |problem: &'static str, status: StatusCode| {
        let mut r = page(&LoginPage {
            ui: &ui,
            next: &next,
            login: &form.login,
            notice: None,
            problem: Some(problem),
        });
        *r.status_mut() = status;
        r
    };
    match staff::log_in(&state.office, &form.login, &form.password, &form.code, peer.ip()).await {
        Ok(Ok(token)) => {
            let mut r = Redirect::to(&next).into_response();
            set_cookie(&mut r, &staff_cookie(&token, None));
            r
        }
        Ok(Err(Refusal::Invalid)) => refused(ui.t("console.login.invalid"), StatusCode::UNAUTHORIZED),
        Ok(Err(Refusal::Replayed)) => refused(ui.t("console.login.replayed"), StatusCode::UNAUTHORIZED),
        Ok(Err(Refusal::Throttled { .. })) => refused(ui.t("console.login.throttled"), StatusCode::TOO_MANY_REQUESTS),
        Err(e) => crate::ui::office_error(&ui, e),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn log_out(State(state): State<AppState>, s: Staff, headers: HeaderMap, Form(form): Form<CsrfForm>) -> Response {
    if let Some(refused) = s.refuse_without_token(&form.csrf) {
        return refused;
    }
    if let Some(token) = cookie(&headers, STAFF_COOKIE)
        && let Err(e) = staff::log_out(&state.office, token).await
    {
        return s.error(e);
    }
    let mut r = Redirect::to("/console/login?out=1").into_response();
    set_cookie(&mut r, &staff_cookie("", Some(0)));
    r
}

/// The console's cookie; `max_age` 0 removes it.
fn staff_cookie(token: &str, max_age: Option<u32>) -> String {
    let mut c = format!("{STAFF_COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    c
}

#[derive(Template)]
#[template(path = "console_home.html")]
struct HomePage<'a> {
    ui: &'a Ui,
    staff: &'a Staff,
}

/// An operator goes to the provider's console; a secretariat of one Order to
/// its console; of several, chooses.
async fn home(s: Staff) -> Response {
    if s.actor.is_operator() {
        return Redirect::to("/gestore").into_response();
    }
    if let [only] = s.actor.orders.as_slice() {
        return Redirect::to(&format!("/ordine/{}", percent(only))).into_response();
    }
    page(&HomePage { ui: &s.ui, staff: &s })
}

#[derive(Template)]
#[template(path = "console_audit.html")]
struct AuditPage<'a> {
    ui: &'a Ui,
    staff: &'a Staff,
    entries: Vec<AuditRow>,
    q: &'a AuditParams,
    older: Option<String>,
}

struct AuditRow {
    when: String,
    e: AuditEntry,
}

#[derive(Deserialize, Default)]
struct AuditParams {
    actor: Option<String>,
    order: Option<String>,
    action: Option<String>,
    before: Option<i64>,
}

impl AuditParams {
    fn value(v: &Option<String>) -> &str {
        v.as_deref().unwrap_or("")
    }
}

const AUDIT_PAGE: i64 = 100;

/// The audit trail, as the viewer may read it (a secretariat: its Orders' actions).
async fn audit(State(state): State<AppState>, s: Staff, Query(q): Query<AuditParams>) -> Response {
    let nonempty = |v: &Option<String>| v.as_ref().map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
    let query = AuditQuery {
        actor: nonempty(&q.actor),
        order: nonempty(&q.order),
        action: nonempty(&q.action),
        before_id: q.before,
        limit: AUDIT_PAGE,
        ..AuditQuery::default()
    };
    let entries = match staff::audit_trail(&state.office, Some(&s.actor), &query).await {
        Ok(e) => e,
        Err(e) => return s.error(e),
    };
    let older = (entries.len() as i64 == AUDIT_PAGE)
        .then(|| entries.last().map(|e| e.id))
        .flatten()
        .map(|id| {
            let mut href = format!("/console/audit?before={id}");
            for (k, v) in [
                ("actor", &query.actor),
                ("order", &query.order),
                ("action", &query.action),
            ] {
                if let Some(v) = v {
                    href.push_str(&format!("&{k}={}", percent(v)));
                }
            }
            href
        });
    let entries = entries
        .into_iter()
        .map(|e| AuditRow {
            when: local_time(e.at),
            e,
        })
        .collect();
    page(&AuditPage {
        ui: &s.ui,
        staff: &s,
        entries,
        q: &q,
        older,
    })
}

/// A stored instant (ms since the epoch) in Italian local time, to the second.
pub fn local_time(ms: i64) -> String {
    chrono::Utc
        .timestamp_millis_opt(ms)
        .single()
        .map(|t| {
            t.with_timezone(&chrono_tz::Europe::Rome)
                .format("%d/%m/%Y %H:%M:%S")
                .to_string()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_console_paths_are_followed_after_login() {
        assert_eq!(console_path(Some("/ordine/OMCEO-AL/albo")), "/ordine/OMCEO-AL/albo");
        assert_eq!(console_path(Some("/gestore/coda")), "/gestore/coda");
        assert_eq!(console_path(Some("/mail")), "/console");
        assert_eq!(console_path(Some("//evil.example/gestore")), "/console");
        assert_eq!(console_path(Some("/gestore//evil")), "/console");
        assert_eq!(console_path(None), "/console");
    }
}
