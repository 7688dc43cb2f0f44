//! `/settings/security`: two-factor login (TOTP) on and off, and the app
//! passwords of IMAP, POP3 and SMTP clients (office::security). Every change
//! is a POST carrying the session's token; what is shown once (recovery codes,
//! a new app password) is in the answer to that POST and nowhere else.

use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};

use askama::Template;
use base64::Engine as _;
use office::security::{self, Enrolment, NewAppPassword, Overview, RecoveryCodes, TotpState};
use serde::Deserialize;

use crate::AppState;
use crate::auth::Holder;
use crate::i18n::Texts;
use crate::tls::Peer;
use crate::ui::{Ui, office_error, page, status_of};

pub const TEXTS: Texts = &[
    ("security.title", "Sicurezza", "Security"),
    ("security.totp", "Verifica in due passaggi", "Two-step verification"),
    (
        "security.totp_off",
        "Non attiva: per accedere alla webmail basta la password.",
        "Off: the password alone opens the webmail.",
    ),
    (
        "security.totp_on",
        "Attiva: la webmail chiede anche il codice dell'app di autenticazione; IMAP, POP3 e SMTP accettano solo le password per app.",
        "On: the webmail also asks for your authenticator app's code; IMAP, POP3 and SMTP accept app passwords only.",
    ),
    ("security.totp_since", "Attiva dal", "On since"),
    (
        "security.recovery_left",
        "Codici di recupero non usati",
        "Unused recovery codes",
    ),
    (
        "security.start",
        "Attiva la verifica in due passaggi",
        "Turn on two-step verification",
    ),
    (
        "security.scan",
        "Inquadrare il codice QR con l'app di autenticazione (o inserire la chiave a mano), poi scrivere il codice che mostra.",
        "Scan the QR code with your authenticator app (or type the key by hand), then enter the code it shows.",
    ),
    (
        "security.qr",
        "Codice QR per l'app di autenticazione",
        "QR code for the authenticator app",
    ),
    ("security.secret", "Chiave", "Key"),
    ("security.code", "Codice di verifica", "Verification code"),
    ("security.confirm", "Conferma e attiva", "Confirm and turn on"),
    (
        "security.enabled",
        "Verifica in due passaggi attivata.",
        "Two-step verification is on.",
    ),
    (
        "security.recovery_codes",
        "Codici di recupero: conservarli in un luogo sicuro. Ciascuno vale una sola volta e non saranno mostrati di nuovo.",
        "Recovery codes: keep them somewhere safe. Each works once, and they will not be shown again.",
    ),
    ("security.disable", "Disattiva", "Turn off"),
    (
        "security.proof",
        "Codice dell'app o password della casella",
        "The app's code or the mailbox's password",
    ),
    (
        "security.disabled",
        "Verifica in due passaggi disattivata.",
        "Two-step verification is off.",
    ),
    ("security.app_passwords", "Password per app", "App passwords"),
    (
        "security.app_passwords_intro",
        "Una password per ogni programma di posta (IMAP, POP3, SMTP), revocabile da sola. Non apre la webmail.",
        "One password for each mail program (IMAP, POP3, SMTP), revocable on its own. It does not open the webmail.",
    ),
    (
        "security.app_name",
        "Nome (programma o dispositivo)",
        "Name (program or device)",
    ),
    ("security.app_create", "Crea password", "Create password"),
    (
        "security.app_created",
        "Password creata: copiarla ora nel programma di posta, non sarà mostrata di nuovo.",
        "Password created: copy it into the mail program now, it will not be shown again.",
    ),
    ("security.app_revoke", "Revoca", "Revoke"),
    ("security.app_revoked", "Password revocata.", "Password revoked."),
    ("security.app_none", "Nessuna password per app.", "No app passwords."),
    ("security.app_created_at", "Creata", "Created"),
    ("security.app_last_used", "Ultimo uso", "Last used"),
    ("security.never", "mai", "never"),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/security", get(show))
        .route("/settings/security/totp/start", post(start))
        .route("/settings/security/totp/confirm", post(confirm))
        .route("/settings/security/totp/disable", post(disable))
        .route("/settings/security/app-passwords", post(create_app_password))
        .route(
            "/settings/security/app-passwords/{id}/revoke",
            post(revoke_app_password),
        )
}

#[derive(Template)]
#[template(path = "security.html")]
struct SecurityPage<'a> {
    ui: &'a Ui,
    overview: &'a Overview,
    enrolment: Option<&'a Enrolment>,
    recovery_codes: Option<&'a RecoveryCodes>,
    new_app_password: Option<&'a NewAppPassword>,
    notice: Option<&'static str>,
    /// A refusal of the office, beside the form it concerns.
    problem: Option<String>,
}

impl SecurityPage<'_> {
    fn on(&self) -> bool {
        matches!(self.overview.totp, TotpState::On { .. })
    }

    fn since(&self) -> String {
        match self.overview.totp {
            TotpState::On { since } => when(since),
            _ => String::new(),
        }
    }

    /// The QR code as an image the page's policy allows (`img-src data:`): the
    /// SVG never shares the page's document.
    fn qr_src(&self) -> String {
        self.enrolment.map_or_else(String::new, |e| {
            format!(
                "data:image/svg+xml;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(e.qr_svg.as_bytes())
            )
        })
    }

    fn when(&self, ms: &i64) -> String {
        when(*ms)
    }

    fn last_used(&self, ms: &Option<i64>) -> String {
        ms.map_or_else(|| self.ui.t("security.never").to_string(), when)
    }
}

/// An instant in Italian time, as the other pages write it.
fn when(ms: i64) -> String {
    store::instant(ms)
        .with_timezone(&chrono_tz::Europe::Rome)
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

/// What a POST shows besides the overview.
#[derive(Default)]
struct Shown {
    enrolment: Option<Enrolment>,
    recovery_codes: Option<RecoveryCodes>,
    new_app_password: Option<NewAppPassword>,
    notice: Option<&'static str>,
    problem: Option<String>,
    status: Option<StatusCode>,
}

async fn render(state: &AppState, holder: &Holder, mut shown: Shown) -> Response {
    let overview = match security::overview(&state.office, holder.user.mailbox_id).await {
        Ok(o) => o,
        Err(e) => return office_error(&holder.ui, e),
    };
    if shown.enrolment.is_none() && overview.totp == TotpState::Pending && shown.recovery_codes.is_none() {
        match security::pending_enrolment(&state.office, holder.user.mailbox_id).await {
            Ok(e) => shown.enrolment = e,
            Err(e) => return office_error(&holder.ui, e),
        }
    }
    let mut r = page(&SecurityPage {
        ui: &holder.ui,
        overview: &overview,
        enrolment: shown.enrolment.as_ref(),
        recovery_codes: shown.recovery_codes.as_ref(),
        new_app_password: shown.new_app_password.as_ref(),
        notice: shown.notice,
        problem: shown.problem,
    });
    if let Some(status) = shown.status {
        *r.status_mut() = status;
    }
    // What is shown once is not kept by caches.
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    r
}

/// A request's fault as a problem beside its form; the installation's as an error page.
async fn refused(state: &AppState, holder: &Holder, e: office::Error) -> Response {
    let Some(status) = status_of(&e) else {
        return office_error(&holder.ui, e);
    };
    render(
        state,
        holder,
        Shown {
            problem: Some(e.reason()),
            status: Some(status),
            ..Shown::default()
        },
    )
    .await
}

async fn show(State(state): State<AppState>, holder: Holder) -> Response {
    render(&state, &holder, Shown::default()).await
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn start(State(state): State<AppState>, holder: Holder, Form(form): Form<CsrfForm>) -> Response {
    if let Some(r) = holder.refuse_without_token(&form.csrf) {
        return r;
    }
    match security::start_enrolment(&state.office, holder.user.mailbox_id).await {
        Ok(enrolment) => {
            let shown = Shown {
                enrolment: Some(enrolment),
                ..Shown::default()
            };
            render(&state, &holder, shown).await
        }
        Err(e) => refused(&state, &holder, e).await,
    }
}

#[derive(Deserialize)]
struct CodeForm {
    csrf: String,
    code: String,
}

async fn confirm(State(state): State<AppState>, holder: Holder, Form(form): Form<CodeForm>) -> Response {
    if let Some(r) = holder.refuse_without_token(&form.csrf) {
        return r;
    }
    match security::confirm_enrolment(&state.office, holder.user.mailbox_id, &form.code).await {
        Ok(codes) => {
            let shown = Shown {
                recovery_codes: Some(codes),
                notice: Some(holder.ui.t("security.enabled")),
                ..Shown::default()
            };
            render(&state, &holder, shown).await
        }
        Err(e) => refused(&state, &holder, e).await,
    }
}

#[derive(Deserialize)]
struct DisableForm {
    csrf: String,
    proof: String,
}

async fn disable(
    State(state): State<AppState>,
    ConnectInfo(Peer(peer)): ConnectInfo<Peer>,
    holder: Holder,
    Form(form): Form<DisableForm>,
) -> Response {
    if let Some(r) = holder.refuse_without_token(&form.csrf) {
        return r;
    }
    match security::disable(&state.office, holder.user.mailbox_id, &form.proof, peer.ip()).await {
        Ok(()) => {
            let shown = Shown {
                notice: Some(holder.ui.t("security.disabled")),
                ..Shown::default()
            };
            render(&state, &holder, shown).await
        }
        Err(e) => refused(&state, &holder, e).await,
    }
}

#[derive(Deserialize)]
struct AppPasswordForm {
    csrf: String,
    name: String,
}

async fn create_app_password(
    State(state): State<AppState>,
    holder: Holder,
    Form(form): Form<AppPasswordForm>,
) -> Response {
    if let Some(r) = holder.refuse_without_token(&form.csrf) {
        return r;
    }
    match security::create_app_password(&state.office, holder.user.mailbox_id, &form.name).await {
        Ok(created) => {
            let shown = Shown {
                new_app_password: Some(created),
                notice: Some(holder.ui.t("security.app_created")),
                ..Shown::default()
            };
            render(&state, &holder, shown).await
        }
        Err(e) => refused(&state, &holder, e).await,
    }
}

async fn revoke_app_password(
    State(state): State<AppState>,
    holder: Holder,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Some(r) = holder.refuse_without_token(&form.csrf) {
        return r;
    }
    let Ok(id) = id.parse::<i64>() else {
        return office_error(&holder.ui, office::Error::not_found("app_password", id));
    };
    match security::revoke_app_password(&state.office, holder.user.mailbox_id, id).await {
        Ok(()) => Redirect::to("/settings/security").into_response(),
        Err(e) => refused(&state, &holder, e).await,
    }
}
