//! The renewal page every notice links to (`/rinnovo/{token}`), public: the
//! link's token opens its own order and nothing else (`office::renewal`). It
//! shows the mailbox and its expiry, the order with its amount net, VAT and
//! total, the expiry once paid (paying early never moves it), and the ways to
//! pay, with the reference a bank transfer must carry.

use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use askama::Template;
use office::renewal::{self, RenewalPage};

use crate::AppState;
use crate::i18n::Texts;
use crate::ui::{Ui, error_page, office_error, page};

pub const TEXTS: Texts = &[
    (
        "renewal.title",
        "Rinnovo della casella PEC",
        "Renewal of the PEC mailbox",
    ),
    ("renewal.mailbox", "Casella", "Mailbox"),
    ("renewal.holder", "Titolare", "Holder"),
    ("renewal.state", "Stato", "State"),
    ("renewal.expiry", "Scadenza attuale", "Current expiry"),
    ("renewal.convention", "Convenzione", "Convention"),
    ("renewal.order", "Ordine di rinnovo", "Renewal order"),
    ("renewal.plan", "Piano", "Plan"),
    ("renewal.net", "Imponibile", "Net"),
    ("renewal.vat", "IVA", "VAT"),
    ("renewal.total", "Totale IVA inclusa", "Total, VAT included"),
    (
        "renewal.next_expiry",
        "Nuova scadenza, una volta pagato",
        "New expiry, once paid",
    ),
    (
        "renewal.early",
        "Pagare in anticipo non fa perdere nulla: il rinnovo decorre dalla scadenza attuale, non dalla data del pagamento.",
        "Paying early loses nothing: the renewal runs from the current expiry, not from the day of payment.",
    ),
    (
        "renewal.change_plan",
        "Cambiare piano al rinnovo",
        "Change plan at renewal",
    ),
    ("renewal.plan_choice", "Piano per il rinnovo", "Plan for the renewal"),
    ("renewal.months", "mesi", "months"),
    ("renewal.change", "Cambia piano", "Change plan"),
    (
        "renewal.change_hint",
        "L'ordine viene sostituito da uno nuovo del piano scelto, con il suo numero: pagare quello.",
        "The order is replaced by a new one of the chosen plan, with its own number: pay that one.",
    ),
    ("renewal.paid", "Ordine pagato il", "Order paid on"),
    (
        "renewal.paid_note",
        "Non c'è altro da pagare per questa scadenza.",
        "Nothing more is due for this expiry.",
    ),
    (
        "renewal.cancelled_order",
        "Questo ordine è stato annullato: non va pagato.",
        "This order was cancelled: it is not to be paid.",
    ),
    (
        "renewal.cancelled",
        "La casella è stata disdetta: non viene rinnovata.",
        "The mailbox was cancelled: it is not renewed.",
    ),
    ("renewal.state.active", "attiva", "active"),
    (
        "renewal.state.suspended",
        "sospesa per mancato rinnovo",
        "suspended for want of renewal",
    ),
    (
        "renewal.state.receive-only",
        "scaduta: riceve ma non invia",
        "expired: receives but cannot send",
    ),
    ("renewal.state.closed", "chiusa", "closed"),
    ("renewal.state.deleted", "cancellata", "deleted"),
    (
        "renewal.invalid",
        "Questo link di rinnovo non è valido: aprirlo dall'avviso esattamente come è stato ricevuto.",
        "This renewal link is not valid: open it from the notice exactly as it was received.",
    ),
    (
        "renewal.expired",
        "Questo link di rinnovo è scaduto: la casella non può più essere rinnovata da qui. Contattare il gestore.",
        "This renewal link has expired: the mailbox can no longer be renewed from here. Contact the provider.",
    ),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/rinnovo/{token}", get(show))
        .route("/rinnovo/{token}/piano", post(change_plan))
}

#[derive(Template)]
#[template(path = "renewal.html")]
struct Page<'a> {
    ui: &'a Ui,
    r: &'a RenewalPage,
    /// The link's token, for the plan form's address.
    token: &'a str,
    /// The card provider's label, when card payments are configured.
    card: Option<&'a str>,
    /// `pagato` or `rifiutato`, back from the card provider.
    outcome: Option<&'a str>,
}

impl Page<'_> {
    fn payment_methods(&self) -> &[String] {
        &self.r.payment_methods
    }

    fn transfer_reference(&self) -> &str {
        &self.r.transfer_reference
    }

    fn state(&self) -> &'static str {
        match self.r.state {
            "active" => self.ui.t("renewal.state.active"),
            "suspended" => self.ui.t("renewal.state.suspended"),
            "receive-only" => self.ui.t("renewal.state.receive-only"),
            "closed" => self.ui.t("renewal.state.closed"),
            _ => self.ui.t("renewal.state.deleted"),
        }
    }

    fn day(d: &chrono::NaiveDate) -> String {
        d.format("%d/%m/%Y").to_string()
    }

    fn expiry(&self) -> String {
        Self::day(&self.r.expiry)
    }

    fn next_expiry(&self) -> Option<String> {
        self.r.next_expiry.as_ref().map(Self::day)
    }

    fn paid_on(&self) -> Option<String> {
        self.r.order.paid_at.map(|at| at.format("%d/%m/%Y").to_string())
    }

    fn is_open(&self) -> bool {
        self.r.order.state == "open" && !self.r.cancelled
    }
}

#[derive(Deserialize)]
struct PlanForm {
    plan: String,
}

/// The plan changed: the page of the new order, under its own link.
async fn change_plan(
    State(state): State<AppState>,
    ui: Ui,
    Path(token): Path<String>,
    Form(form): Form<PlanForm>,
) -> Response {
    match renewal::change_plan(&state.office, &token, &form.plan).await {
        Ok(new) => Redirect::to(&format!("/rinnovo/{new}")).into_response(),
        Err(e) => refused(&ui, e),
    }
}

fn refused(ui: &Ui, e: office::Error) -> Response {
    match e {
        office::Error::NotFound { field: "token", .. } => {
            error_page(ui, StatusCode::NOT_FOUND, ui.t("renewal.invalid"))
        }
        office::Error::Refused {
            field: Some("token"), ..
        } => error_page(ui, StatusCode::GONE, ui.t("renewal.expired")),
        e => office_error(ui, e),
    }
}

#[derive(Deserialize)]
struct Outcome {
    #[serde(default)]
    esito: Option<String>,
}

async fn show(State(state): State<AppState>, ui: Ui, Path(token): Path<String>, Query(q): Query<Outcome>) -> Response {
    match renewal::open(&state.office, &token).await {
        Ok(r) => page(&Page {
            ui: &ui,
            r: &r,
            token: &token,
            card: state.settings.card.as_ref().map(|c| c.label()),
            outcome: q.esito.as_deref(),
        }),
        Err(e) => refused(&ui, e),
    }
}
