//! The Order's reserved area for its members (`/area-riservata/{order}`),
//! public: a member asks for a one-time link with their codice fiscale, opens
//! it, sees their record and communicates a PEC address (`office::registry::reserved`).
//!
//! The member's session has its own cookie, `__Host-certa-member` (`Secure`,
//! `HttpOnly`, `SameSite=Strict`), apart from the webmail's, and its own token
//! against cross-site requests on every form. A link opened by GET only shows
//! a button: it is used by the POST that button makes, so a mail scanner that
//! follows links does not spend it. A member of another Order is not found
//! under this Order's address (404).

use axum::Form;
use axum::Router;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use askama::Template;
use office::registry::pec_checker::CheckLists;
use office::registry::reserved::{self, Asked, Communicated, LinkRefusal, MemberRecord, MemberUser, Problem};

use crate::AppState;
use crate::auth::{cookie, percent, set_cookie};
use crate::i18n::Texts;
use crate::tls::Peer;
use crate::ui::{Ui, error_page, office_error, page};

pub const MEMBER_COOKIE: &str = "__Host-certa-member";

pub const TEXTS: Texts = &[
    (
        "reserved.title",
        "Area riservata degli iscritti",
        "Members' reserved area",
    ),
    (
        "reserved.intro",
        "Per entrare, scrivere il proprio codice fiscale: l'Ordine invia un link di accesso all'indirizzo PEC che ha di lei (o, in mancanza, all'e-mail dell'albo). Il link vale una sola volta, per 30 minuti.",
        "To enter, type your codice fiscale: the Order sends a link to the PEC address it has for you (or, without one, to the e-mail on the roll). The link works once, for 30 minutes.",
    ),
    ("reserved.cf", "Codice fiscale", "Codice fiscale"),
    ("reserved.ask", "Ricevi il link di accesso", "Send me the link"),
    ("reserved.sent_title", "Controlli la posta", "Check your mail"),
    (
        "reserved.sent",
        "Se il codice fiscale è nell'albo dell'Ordine, è stato inviato un link di accesso all'indirizzo PEC che l'Ordine ha di lei (o all'e-mail dell'albo). Aprirlo entro 30 minuti: vale una sola volta.",
        "If the codice fiscale is on the Order's roll, a link to enter was sent to the PEC address the Order has for you (or to the e-mail on the roll). Open it within 30 minutes: it works once.",
    ),
    ("reserved.again", "Chiedere un altro link", "Ask for another link"),
    (
        "reserved.throttled",
        "Troppe richieste: riprovare più tardi.",
        "Too many requests: try again later.",
    ),
    ("reserved.minutes", "minuti", "minutes"),
    (
        "reserved.enter_title",
        "Accesso all'area riservata",
        "Entering the reserved area",
    ),
    (
        "reserved.enter_intro",
        "Premere il pulsante per entrare nell'area riservata. Il link vale una sola volta.",
        "Press the button to enter the reserved area. The link works once.",
    ),
    ("reserved.enter", "Entra", "Enter"),
    (
        "reserved.link_not_valid",
        "Questo link non è valido: è già stato usato, è scaduto o non è stato copiato per intero. Chiederne un altro.",
        "This link is not valid: it was used already, it expired, or it was not copied whole. Ask for another one.",
    ),
    ("reserved.logout", "Esci", "Log out"),
    ("reserved.your_data", "I suoi dati nell'albo", "Your data on the roll"),
    ("reserved.name", "Nome e cognome", "Name"),
    ("reserved.number", "Numero di iscrizione", "Registration number"),
    ("reserved.registered_on", "Data di iscrizione", "Registered on"),
    ("reserved.section", "Sezione", "Section"),
    ("reserved.status", "Stato", "Status"),
    ("reserved.left_on", "Data di cancellazione", "Left the roll on"),
    ("reserved.ctu", "Consulente tecnico d'ufficio", "Court expert (CTU)"),
    ("reserved.yes", "sì", "yes"),
    ("reserved.status.active", "attivo", "active"),
    ("reserved.status.suspended", "sospeso", "suspended"),
    ("reserved.status.struck-off", "radiato", "struck off"),
    ("reserved.status.cancelled", "cancellato", "cancelled"),
    (
        "reserved.duty",
        "Obbligo di PEC (DL 185/2008)",
        "The PEC duty (DL 185/2008)",
    ),
    (
        "reserved.duty.not-bound",
        "non si applica: non è iscritto",
        "does not apply: not enrolled",
    ),
    (
        "reserved.duty.compliant",
        "in regola: PEC valida comunicata",
        "met: a valid PEC communicated",
    ),
    (
        "reserved.duty.diffida-due",
        "manca una PEC valida: comunicarla qui sotto",
        "no valid PEC: communicate one below",
    ),
    (
        "reserved.duty.warned",
        "diffidato: comunicare una PEC entro il",
        "warned: communicate a PEC by",
    ),
    (
        "reserved.duty.to-suspend",
        "termine della diffida scaduto il",
        "the warning's term ended on",
    ),
    (
        "reserved.duty.suspended",
        "sospeso per mancanza di PEC dal",
        "suspended for want of a PEC since",
    ),
    (
        "reserved.duty.restored",
        "in regola dopo la diffida del",
        "met after the warning of",
    ),
    (
        "reserved.official",
        "PEC ufficiale (domicilio digitale)",
        "Official PEC (domicilio digitale)",
    ),
    ("reserved.none", "nessuna", "none"),
    ("reserved.not_valid", "non valida", "not valid"),
    ("reserved.history", "Indirizzi comunicati", "Addresses communicated"),
    ("reserved.address", "Indirizzo", "Address"),
    ("reserved.communicated_on", "Comunicato il", "Communicated on"),
    ("reserved.channel", "Canale", "Channel"),
    ("reserved.state", "Stato", "State"),
    ("reserved.channel.reserved-area", "area riservata", "reserved area"),
    ("reserved.channel.pec", "PEC all'Ordine", "PEC to the Order"),
    ("reserved.channel.paper", "modulo cartaceo", "paper form"),
    ("reserved.channel.import", "albo dell'Ordine", "the Order's roll"),
    ("reserved.pec.official", "ufficiale", "official"),
    ("reserved.pec.superseded", "sostituito il", "replaced on"),
    ("reserved.steps", "Diffide e adempimenti", "Warnings and steps"),
    ("reserved.no_steps", "Nessuna diffida.", "No warning."),
    ("reserved.day", "Data", "Day"),
    ("reserved.step", "Passaggio", "Step"),
    ("reserved.step.warned", "diffida inviata", "warning sent"),
    ("reserved.step.letter", "diffida per lettera", "warning by letter"),
    ("reserved.step.deadline", "termine della diffida", "the warning's term"),
    (
        "reserved.step.suspension-listed",
        "proposto per la sospensione",
        "listed for suspension",
    ),
    ("reserved.step.suspended", "sospeso", "suspended"),
    ("reserved.step.restored", "regolarizzato", "restored"),
    ("reserved.step.received", "diffida consegnata", "warning delivered"),
    (
        "reserved.step.undelivered",
        "diffida non consegnata",
        "warning not delivered",
    ),
    ("reserved.pending", "In attesa di conferma", "Awaiting confirmation"),
    ("reserved.pending_until", "confermare entro il", "confirm by"),
    (
        "reserved.communicate",
        "Comunicare un indirizzo PEC",
        "Communicate a PEC address",
    ),
    (
        "reserved.communicate_hint",
        "L'indirizzo diventa la sua PEC ufficiale con la data di oggi, canale «area riservata», e va a INI-PEC con il prossimo invio dell'Ordine. Deve essere una PEC personale di un gestore: non quella istituzionale del datore di lavoro, non una CEC-PAC.",
        "The address becomes your official PEC dated today, channel \"reserved area\", and goes to INI-PEC with the Order's next file. It must be a personal PEC of a provider: not an employer's institutional one, not a CEC-PAC.",
    ),
    ("reserved.new_address", "Nuovo indirizzo PEC", "New PEC address"),
    ("reserved.send", "Comunica", "Communicate"),
    ("reserved.back", "Torna alla sua scheda", "Back to your record"),
    ("reserved.refused", "Indirizzo non accettato", "Address not accepted"),
    ("reserved.warned", "Verificare l'indirizzo", "Check the address"),
    (
        "reserved.warned_hint",
        "L'indirizzo può essere comunicato lo stesso, se è corretto.",
        "The address can be communicated anyway, if it is right.",
    ),
    ("reserved.anyway", "Comunica comunque", "Communicate anyway"),
    ("reserved.recorded", "Indirizzo registrato", "Address recorded"),
    (
        "reserved.recorded_text",
        "è ora la sua PEC ufficiale, comunicata il",
        "is now your official PEC, communicated on",
    ),
    (
        "reserved.recorded_inipec",
        "L'Ordine la invia a INI-PEC con il prossimo file.",
        "The Order sends it to INI-PEC with its next file.",
    ),
    ("reserved.restored", "La diffida è chiusa.", "The warning is closed."),
    ("reserved.to_confirm", "Confermare l'indirizzo", "Confirm the address"),
    (
        "reserved.to_confirm_text",
        "è una casella di questo gestore: per provare che è sua, l'Ordine le ha inviato una PEC con un link di conferma. Aprirla e confermare entro il",
        "is a mailbox of this provider: to prove it is yours, the Order sent it a PEC with a confirmation link. Open it and confirm by",
    ),
    (
        "reserved.to_confirm_note",
        "Fino alla conferma l'indirizzo non è registrato e non va a INI-PEC.",
        "Until it is confirmed the address is not recorded and does not go to INI-PEC.",
    ),
    (
        "reserved.confirm_title",
        "Conferma dell'indirizzo PEC",
        "Confirming the PEC address",
    ),
    (
        "reserved.confirm_intro",
        "Premere il pulsante per confermare che questa casella è sua: l'indirizzo diventa la sua PEC ufficiale presso l'Ordine.",
        "Press the button to confirm that this mailbox is yours: the address becomes your official PEC with the Order.",
    ),
    ("reserved.confirm", "Conferma", "Confirm"),
    (
        "reserved.problem.malformed",
        "non è un indirizzo e-mail",
        "is not an e-mail address",
    ),
    (
        "reserved.problem.institutional",
        "è il dominio istituzionale di un datore di lavoro: serve una PEC personale",
        "is an employer's institutional domain: a personal PEC is needed",
    ),
    (
        "reserved.problem.cec-pac",
        "è una CEC-PAC (PEC del cittadino), non valida per INI-PEC",
        "is a CEC-PAC (the citizen's PEC), not valid for INI-PEC",
    ),
    (
        "reserved.problem.another",
        "L'indirizzo è già stato comunicato da un altro iscritto: per un errore scrivere all'Ordine.",
        "The address was communicated by another member: if that is a mistake, write to the Order.",
    ),
    (
        "reserved.problem.no-such-mailbox",
        "Non esiste una casella con questo indirizzo presso questo gestore.",
        "There is no mailbox with this address at this provider.",
    ),
    (
        "reserved.problem.closed-mailbox",
        "La casella con questo indirizzo presso questo gestore è chiusa.",
        "The mailbox with this address at this provider is closed.",
    ),
    (
        "reserved.problem.already",
        "È già la sua PEC ufficiale.",
        "It is your official PEC already.",
    ),
    (
        "reserved.problem.not-pec",
        "non risulta il dominio di un gestore PEC",
        "is not known as a PEC provider's domain",
    ),
    (
        "reserved.problem.office",
        "sembra la casella di un ufficio, non una personale",
        "looks like an office's mailbox, not a personal one",
    ),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/area-riservata/{order}", get(login_page))
        .route("/area-riservata/{order}/accesso", post(ask_link))
        .route(
            "/area-riservata/{order}/accesso/{token}",
            get(link_page).post(open_link),
        )
        .route("/area-riservata/{order}/scheda", get(record))
        .route("/area-riservata/{order}/pec", post(communicate))
        .route(
            "/area-riservata/{order}/conferma/{token}",
            get(confirm_page).post(confirm),
        )
        .route("/area-riservata/{order}/esci", post(log_out))
}

#[derive(Template)]
#[template(path = "reserved_login.html")]
struct LoginPage<'a> {
    ui: &'a Ui,
    code: &'a str,
    name: &'a str,
    cf: &'a str,
    problem: Option<String>,
    sent: bool,
}

async fn login_page(State(state): State<AppState>, ui: Ui, Path(order): Path<String>) -> Response {
    match reserved::area(&state.office, &order).await {
        Ok(o) => page(&LoginPage {
            ui: &ui,
            code: &o.code,
            name: &o.name,
            cf: "",
            problem: None,
            sent: false,
        }),
        Err(e) => office_error(&ui, e),
    }
}

#[derive(Deserialize)]
struct AskForm {
    codice_fiscale: String,
}

async fn ask_link(
    State(state): State<AppState>,
    ConnectInfo(Peer(peer)): ConnectInfo<Peer>,
    ui: Ui,
    Path(order): Path<String>,
    Form(form): Form<AskForm>,
) -> Response {
    let base = state.settings.public_url.as_str();
    let asked = match reserved::request_link(&state.office, &order, &form.codice_fiscale, peer.ip(), base).await {
        Ok(a) => a,
        Err(e) => return office_error(&ui, e),
    };
    let (problem, status) = match &asked.outcome {
        Asked::Taken => (None, StatusCode::OK),
        Asked::Throttled(t) => (
            Some(format!(
                "{} ({} {})",
                ui.t("reserved.throttled"),
                t.minutes,
                ui.t("reserved.minutes")
            )),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        Asked::BadCodiceFiscale { reason } => (
            Some(format!("{}: {reason}", ui.t("reserved.cf"))),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    };
    let sent = asked.outcome == Asked::Taken;
    let mut r = page(&LoginPage {
        ui: &ui,
        code: &asked.order.code,
        name: &asked.order.name,
        cf: if sent { "" } else { form.codice_fiscale.trim() },
        problem,
        sent,
    });
    *r.status_mut() = status;
    r
}

/// A link's page: a button that uses it.
#[derive(Template)]
#[template(path = "reserved_link.html")]
struct LinkPage<'a> {
    ui: &'a Ui,
    title: &'static str,
    intro: &'static str,
    button: &'static str,
    action: String,
}

async fn link_page(ui: Ui, Path((order, token)): Path<(String, String)>) -> Response {
    page(&LinkPage {
        title: ui.t("reserved.enter_title"),
        intro: ui.t("reserved.enter_intro"),
        button: ui.t("reserved.enter"),
        action: format!("/area-riservata/{}/accesso/{}", percent(&order), percent(&token)),
        ui: &ui,
    })
}

async fn confirm_page(ui: Ui, Path((order, token)): Path<(String, String)>) -> Response {
    page(&LinkPage {
        title: ui.t("reserved.confirm_title"),
        intro: ui.t("reserved.confirm_intro"),
        button: ui.t("reserved.confirm"),
        action: format!("/area-riservata/{}/conferma/{}", percent(&order), percent(&token)),
        ui: &ui,
    })
}

fn link_refused(ui: &Ui, order: &str, refusal: LinkRefusal) -> Response {
    match refusal {
        LinkRefusal::NotValid => {
            let mut r = page(&Outcome {
                ui,
                code: order,
                result: Shown::LinkNotValid,
                csrf: "",
            });
            *r.status_mut() = StatusCode::NOT_FOUND;
            r
        }
        LinkRefusal::Throttled(t) => error_page(
            ui,
            StatusCode::TOO_MANY_REQUESTS,
            &format!(
                "{} ({} {})",
                ui.t("reserved.throttled"),
                t.minutes,
                ui.t("reserved.minutes")
            ),
        ),
    }
}

async fn open_link(
    State(state): State<AppState>,
    ConnectInfo(Peer(peer)): ConnectInfo<Peer>,
    ui: Ui,
    Path((order, token)): Path<(String, String)>,
) -> Response {
    match reserved::open_link(&state.office, &order, &token, peer.ip()).await {
        Ok(Ok(session)) => {
            let mut r = Redirect::to(&format!("/area-riservata/{}/scheda", percent(&order))).into_response();
            set_cookie(&mut r, &member_cookie(&session.token, None));
            r
        }
        Ok(Err(refusal)) => link_refused(&ui, &order, refusal),
        Err(e) => office_error(&ui, e),
    }
}

/// The logged-in member of a request, or the Order's login page.
async fn member(state: &AppState, ui: &Ui, headers: &HeaderMap, order: &str) -> Result<MemberUser, Response> {
    let login = || Redirect::to(&format!("/area-riservata/{}", percent(order))).into_response();
    let Some(token) = cookie(headers, MEMBER_COOKIE) else {
        return Err(login());
    };
    match reserved::session(&state.office, token).await {
        Ok(Some(user)) => Ok(user),
        Ok(None) => Err(login()),
        Err(e) => Err(office_error(ui, e)),
    }
}

/// The logged-in member of a form, when the form carries the session's token
/// against cross-site requests; else the login page or the refusal.
async fn member_posting(
    state: &AppState,
    ui: &Ui,
    headers: &HeaderMap,
    order: &str,
    given: &str,
) -> Result<MemberUser, Response> {
    let user = member(state, ui, headers, order).await?;
    if reserved::csrf_matches(&user, given) {
        return Ok(user);
    }
    tracing::warn!(target: "security", order = %user.order, "a reserved-area form without the session's token refused");
    Err(error_page(ui, StatusCode::FORBIDDEN, "cross-site request refused"))
}

#[derive(Template)]
#[template(path = "reserved_record.html")]
struct RecordPage<'a> {
    ui: &'a Ui,
    user: &'a MemberUser,
    r: &'a MemberRecord,
}

impl RecordPage<'_> {
    fn status(&self) -> &'static str {
        let key = match office::registry::stored::tag(&self.r.member().status).as_str() {
            "active" => "reserved.status.active",
            "suspended" => "reserved.status.suspended",
            "struck-off" => "reserved.status.struck-off",
            _ => "reserved.status.cancelled",
        };
        self.ui.t(key)
    }

    fn duty(&self) -> String {
        use registry::compliance::Compliance;
        let t = |k| self.ui.t(k);
        match &self.r.shown.compliance {
            Compliance::NotBound => t("reserved.duty.not-bound").into(),
            Compliance::Compliant => t("reserved.duty.compliant").into(),
            Compliance::DiffidaDue { .. } => t("reserved.duty.diffida-due").into(),
            Compliance::Warned { deadline, .. } => format!("{} {}", t("reserved.duty.warned"), day(deadline)),
            Compliance::ToSuspend { deadline, .. } => format!("{} {}", t("reserved.duty.to-suspend"), day(deadline)),
            Compliance::Suspended { since } => format!("{} {}", t("reserved.duty.suspended"), day(since)),
            Compliance::Restored { sent_on, .. } => format!("{} {}", t("reserved.duty.restored"), day(sent_on)),
        }
    }

    fn official(&self) -> Option<&store::registry::StoredPec> {
        self.r.history().iter().find(|p| p.official)
    }

    fn channel(&self, channel: &str) -> &'static str {
        self.ui.t(match channel {
            "reserved-area" => "reserved.channel.reserved-area",
            "pec" => "reserved.channel.pec",
            "paper" => "reserved.channel.paper",
            _ => "reserved.channel.import",
        })
    }

    fn step(&self, kind: &str) -> &'static str {
        self.ui.t(match kind {
            "warned" => "reserved.step.warned",
            "letter" => "reserved.step.letter",
            "deadline" => "reserved.step.deadline",
            "suspension-listed" => "reserved.step.suspension-listed",
            "suspended" => "reserved.step.suspended",
            "restored" => "reserved.step.restored",
            "received" => "reserved.step.received",
            _ => "reserved.step.undelivered",
        })
    }

    fn date(text: &str) -> String {
        chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").map_or_else(|_| text.to_string(), |d| day(&d))
    }

    fn opt_day(d: &Option<chrono::NaiveDate>) -> String {
        d.as_ref().map(day).unwrap_or_default()
    }

    fn until(at: &chrono::DateTime<chrono::Utc>) -> String {
        at.with_timezone(&chrono_tz::Europe::Rome)
            .format("%d/%m/%Y %H:%M")
            .to_string()
    }
}

fn day(d: &chrono::NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

async fn record(State(state): State<AppState>, ui: Ui, headers: HeaderMap, Path(order): Path<String>) -> Response {
    let user = match member(&state, &ui, &headers, &order).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    match reserved::record(&state.office, &user, &order).await {
        Ok(r) => page(&RecordPage {
            ui: &ui,
            user: &user,
            r: &r,
        }),
        Err(e) => office_error(&ui, e),
    }
}

#[derive(Deserialize)]
struct CommunicateForm {
    csrf: String,
    address: String,
    /// Present once the member saw the warnings and keeps the address.
    anyway: Option<String>,
}

/// What an action came to.
enum Shown {
    Communicated(Communicated),
    LinkNotValid,
}

#[derive(Template)]
#[template(path = "reserved_outcome.html")]
struct Outcome<'a> {
    ui: &'a Ui,
    code: &'a str,
    result: Shown,
    /// The member session's token, for the "anyway" form (empty without a session).
    csrf: &'a str,
}

impl Outcome<'_> {
    /// A problem in words.
    fn problem(&self, p: &Problem) -> String {
        let t = |k| self.ui.t(k);
        match p {
            Problem::Malformed { reason } => format!("{} ({reason})", t("reserved.problem.malformed")),
            Problem::Institutional { domain } => format!("{domain} {}", t("reserved.problem.institutional")),
            Problem::CecPac { domain } => format!("{domain} {}", t("reserved.problem.cec-pac")),
            Problem::AnotherMembers => t("reserved.problem.another").into(),
            Problem::NoSuchMailbox => t("reserved.problem.no-such-mailbox").into(),
            Problem::ClosedMailbox => t("reserved.problem.closed-mailbox").into(),
            Problem::AlreadyOfficial => t("reserved.problem.already").into(),
            Problem::NotAPecDomain { domain } => format!("{domain} {}", t("reserved.problem.not-pec")),
            Problem::OfficeMailbox { name } => format!("«{name}» {}", t("reserved.problem.office")),
        }
    }

    fn until(at: &chrono::DateTime<chrono::Utc>) -> String {
        RecordPage::until(at)
    }

    fn day(d: &chrono::NaiveDate) -> String {
        day(d)
    }
}

async fn communicate(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path(order): Path<String>,
    Form(form): Form<CommunicateForm>,
) -> Response {
    let user = match member_posting(&state, &ui, &headers, &order, &form.csrf).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let base = state.settings.public_url.as_str();
    let anyway = form.anyway.is_some();
    match reserved::communicate(
        &state.office,
        &user,
        &order,
        &form.address,
        anyway,
        &CheckLists::default(),
        base,
    )
    .await
    {
        Ok(done) => {
            let status = match &done {
                Communicated::Refused { .. } => StatusCode::UNPROCESSABLE_ENTITY,
                _ => StatusCode::OK,
            };
            let mut r = page(&Outcome {
                ui: &ui,
                code: &user.order,
                result: Shown::Communicated(done),
                csrf: &user.csrf,
            });
            *r.status_mut() = status;
            r
        }
        Err(e) => office_error(&ui, e),
    }
}

async fn confirm(
    State(state): State<AppState>,
    ConnectInfo(Peer(peer)): ConnectInfo<Peer>,
    ui: Ui,
    Path((order, token)): Path<(String, String)>,
) -> Response {
    match reserved::confirm(&state.office, &order, &token, peer.ip(), &CheckLists::default()).await {
        Ok(Ok(recorded)) => page(&Outcome {
            ui: &ui,
            code: &order,
            result: Shown::Communicated(Communicated::Recorded(recorded)),
            csrf: "",
        }),
        Ok(Err(refusal)) => link_refused(&ui, &order, refusal),
        Err(e) => office_error(&ui, e),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn log_out(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path(order): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(r) = member_posting(&state, &ui, &headers, &order, &form.csrf).await {
        return r;
    }
    if let Some(token) = cookie(&headers, MEMBER_COOKIE)
        && let Err(e) = reserved::log_out(&state.office, token).await
    {
        return office_error(&ui, e);
    }
    let mut r = Redirect::to(&format!("/area-riservata/{}", percent(&order))).into_response();
    set_cookie(&mut r, &member_cookie("", Some(0)));
    r
}

/// The member session's cookie; `max_age` 0 removes it.
fn member_cookie(token: &str, max_age: Option<u32>) -> String {
    let mut c = format!("{MEMBER_COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    c
}
