//! Activation by convention code (`office::activation`), public: the code form
//! (`/attiva`), the convention's offer with the order form (`/attiva/{code}`,
//! the name's availability checked as it is typed), and the order's page
//! (`/attivazione/{token}`) with the ways to pay; paying by card goes through
//! `/pagamento/{token}` to the configured card provider (`office::checkout`),
//! which comes back to the order's page.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use office::activation::{self, ActivationPage, NameCheck, NameStatus, NewActivation, Offer, Stage};
use office::checkout::{self, ToPay};
use serde::Deserialize;

use crate::AppState;
use crate::i18n::Texts;
use crate::ui::{Ui, error_page, office_error, page, status_of};

pub const TEXTS: Texts = &[
    (
        "act.title",
        "Attiva una casella PEC in convenzione",
        "Activate a PEC mailbox under a convention",
    ),
    (
        "act.intro",
        "Inserisca il codice della convenzione che le ha comunicato il suo Ordine: vedrà i piani e i prezzi concordati.",
        "Type the convention code your Order gave you: you will see the agreed plans and prices.",
    ),
    ("act.code", "Codice convenzione", "Convention code"),
    ("act.see", "Vedi l'offerta", "See the offer"),
    ("act.offer", "Offerta della convenzione", "The convention's offer"),
    ("act.order_of", "Ordine", "Order"),
    ("act.window", "Offerta valida", "Offer valid"),
    ("act.from", "dal", "from"),
    ("act.to", "al", "to"),
    ("act.open_ended", "senza scadenza", "with no end"),
    ("act.name.available", "è disponibile", "is available"),
    (
        "act.name.yours",
        "è già riservata a lei da un suo ordine: ordinare di nuovo lo sostituisce",
        "is reserved for you by an order of yours: ordering again replaces it",
    ),
    (
        "act.name.taken",
        "è già in uso: scelga un altro nome",
        "is taken: choose another name",
    ),
    (
        "act.name.reserved",
        "è riservata da un altro ordine: scelga un altro nome",
        "is reserved by another order: choose another name",
    ),
    (
        "act.name.other_holder",
        "apparteneva a una casella cancellata: può riacquistarla solo il suo titolare",
        "belonged to a mailbox that was deleted: only its holder may buy it again",
    ),
    (
        "act.list_price",
        "Il periodo dell'offerta è terminato: si applica il prezzo di listino, come prevede la convenzione.",
        "The offer window has ended: the list price applies, as the convention says.",
    ),
    ("act.plan", "Piano", "Plan"),
    ("act.term", "Durata", "Term"),
    ("act.months", "mesi", "months"),
    ("act.renewal_term", "Durata del rinnovo", "Renewal term"),
    ("act.quota", "Spazio", "Storage"),
    ("act.renewal_kind", "Modalità di rinnovo", "Renewal"),
    ("act.renewal.explicit", "su ordine e pagamento", "by order and payment"),
    (
        "act.renewal.tacit",
        "tacito (si disdice via PEC)",
        "tacit (cancelled by PEC)",
    ),
    ("act.net", "Imponibile", "Net"),
    ("act.vat", "IVA", "VAT"),
    ("act.total", "Totale", "Total"),
    (
        "act.form",
        "I dati del titolare e la casella",
        "The holder and the mailbox",
    ),
    (
        "act.tax_id",
        "Codice fiscale o partita IVA",
        "Codice fiscale or partita IVA",
    ),
    (
        "act.holder_name",
        "Nome e cognome (o ragione sociale)",
        "Name (or company name)",
    ),
    ("act.billing", "Indirizzo di fatturazione", "Billing address"),
    (
        "act.email",
        "E-mail di riferimento per gli avvisi (facoltativa)",
        "Reference e-mail for notices (optional)",
    ),
    ("act.name", "Nome della casella", "Mailbox name"),
    (
        "act.password",
        "Password (almeno 8 caratteri)",
        "Password (at least 8 characters)",
    ),
    ("act.password2", "Ripeta la password", "Repeat the password"),
    (
        "act.mismatch",
        "Le due password non coincidono.",
        "The two passwords differ.",
    ),
    ("act.submit", "Ordina la casella", "Order the mailbox"),
    (
        "act.reserved_note",
        "La casella viene creata, attiva, quando l'ordine è pagato; fino ad allora il nome resta riservato a lei.",
        "The mailbox is created, active, once the order is paid; until then the name stays reserved for you.",
    ),
    ("act.page.title", "Ordine di attivazione", "Activation order"),
    ("act.page.mailbox", "Casella", "Mailbox"),
    ("act.page.holder", "Titolare", "Holder"),
    ("act.page.convention", "Convenzione", "Convention"),
    ("act.page.order", "Ordine", "Order"),
    (
        "act.page.reserved_until",
        "Nome riservato fino al",
        "Name reserved until",
    ),
    (
        "act.page.reserved",
        "In attesa di pagamento: la casella sarà attiva appena il pagamento è registrato.",
        "Waiting for payment: the mailbox will be active as soon as the payment is recorded.",
    ),
    (
        "act.page.active",
        "Pagamento registrato: la casella è attiva. Può accedere alla webmail con l'indirizzo e la password scelti.",
        "Payment recorded: the mailbox is active. You can log in to the webmail with the address and password you chose.",
    ),
    ("act.page.expiry", "Scadenza", "Expiry"),
    ("act.page.login", "Accedi alla webmail", "Log in to the webmail"),
    (
        "act.page.lapsed",
        "La prenotazione è scaduta senza pagamento: l'ordine è annullato e il nome è di nuovo disponibile.",
        "The reservation lapsed unpaid: the order is cancelled and the name is available again.",
    ),
    ("act.pay.how", "Come pagare", "How to pay"),
    ("act.pay.card", "Paga con carta", "Pay by card"),
    (
        "act.pay.card_hint",
        "Il pagamento con carta è registrato subito.",
        "A card payment is recorded at once.",
    ),
    (
        "act.pay.reference",
        "Causale del bonifico (da riportare esattamente):",
        "Bank transfer reference (write it exactly):",
    ),
    (
        "act.pay.paid",
        "Pagamento registrato. Grazie.",
        "Payment recorded. Thank you.",
    ),
    (
        "act.pay.declined",
        "Il pagamento è stato rifiutato: nulla è stato addebitato e l'ordine resta da pagare.",
        "The payment was declined: nothing was charged and the order is still to be paid.",
    ),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/attiva", get(code_form))
        .route("/attiva/{code}", get(offer).post(order))
        .route("/attiva/{code}/nome", get(check_name))
        .route("/attivazione/{token}", get(order_page))
        .route("/pagamento/{token}", post(pay))
}

#[derive(Deserialize)]
struct CodeQuery {
    #[serde(default)]
    codice: Option<String>,
}

#[derive(Template)]
#[template(path = "activation_code.html")]
struct CodePage<'a> {
    ui: &'a Ui,
    problem: Option<String>,
    code: &'a str,
}

/// The code form; with `?codice=` (the form's own submission), the offer's page.
async fn code_form(State(state): State<AppState>, ui: Ui, Query(q): Query<CodeQuery>) -> Response {
    let code = q.codice.unwrap_or_default();
    if code.trim().is_empty() {
        return page(&CodePage {
            ui: &ui,
            problem: None,
            code: "",
        });
    }
    match activation::offer(&state.office, &code).await {
        Ok(o) => Redirect::to(&format!("/attiva/{}", encode(&o.code))).into_response(),
        Err(e) => code_refused(&ui, &code, e),
    }
}

fn code_refused(ui: &Ui, code: &str, e: office::Error) -> Response {
    let Some(status) = status_of(&e) else {
        return office_error(ui, e);
    };
    let mut r = page(&CodePage {
        ui,
        problem: Some(e.reason()),
        code,
    });
    *r.status_mut() = status;
    r
}

fn encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// What the order form was filled with, kept when it is refused.
#[derive(Deserialize, Default, Clone)]
struct OrderForm {
    #[serde(default)]
    plan: String,
    #[serde(default)]
    tax_id: String,
    /// The holder's name.
    #[serde(default)]
    name: String,
    #[serde(default)]
    billing_address: String,
    #[serde(default)]
    email: String,
    /// The mailbox name, before the `@`.
    #[serde(default)]
    mailbox: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password2: String,
}

#[derive(Template)]
#[template(path = "activation_offer.html")]
struct OfferPage<'a> {
    ui: &'a Ui,
    o: &'a Offer,
    form: &'a OrderForm,
    /// The field at fault and the reason, when the order was refused.
    problem: Option<(String, String)>,
}

impl OfferPage<'_> {
    fn err(&self, field: &str) -> Option<&str> {
        self.problem
            .as_ref()
            .filter(|(f, _)| f == field)
            .map(|(_, r)| r.as_str())
    }

    /// A refusal not about one of the form's fields.
    fn general(&self) -> Option<&str> {
        const FIELDS: &[&str] = &[
            "plan",
            "tax_id",
            "name",
            "mailbox",
            "billing_address",
            "email",
            "password",
        ];
        self.problem
            .as_ref()
            .filter(|(f, _)| !FIELDS.contains(&f.as_str()))
            .map(|(_, r)| r.as_str())
    }

    fn day(d: &chrono::NaiveDate) -> String {
        d.format("%d/%m/%Y").to_string()
    }

    /// "dal 01/12/2018 al 31/01/2019", or "dal 01/12/2018, senza scadenza".
    fn window(&self) -> String {
        let from = format!("{} {}", self.ui.t("act.from"), Self::day(&self.o.offer_from));
        match &self.o.offer_to {
            Some(to) => format!("{from} {} {}", self.ui.t("act.to"), Self::day(to)),
            None => format!("{from}, {}", self.ui.t("act.open_ended")),
        }
    }

    fn list_price(&self) -> bool {
        self.o.pricing == lifecycle::subscription::Pricing::ListPrice
    }

    fn renewal(&self, kind: &str) -> &'static str {
        if kind == "tacit" {
            self.ui.t("act.renewal.tacit")
        } else {
            self.ui.t("act.renewal.explicit")
        }
    }

    fn quota(bytes: &u64) -> String {
        let gb = *bytes as f64 / 1_000_000_000.0;
        if gb >= 1.0 {
            format!("{gb:.0} GB")
        } else {
            format!("{:.0} MB", *bytes as f64 / 1_000_000.0)
        }
    }
}

async fn offer(State(state): State<AppState>, ui: Ui, Path(code): Path<String>) -> Response {
    match activation::offer(&state.office, &code).await {
        Ok(o) => page(&OfferPage {
            ui: &ui,
            o: &o,
            form: &OrderForm::default(),
            problem: None,
        }),
        Err(e) => code_refused(&ui, &code, e),
    }
}

async fn order(
    State(state): State<AppState>,
    ui: Ui,
    Path(code): Path<String>,
    Form(form): Form<OrderForm>,
) -> Response {
    let o = match activation::offer(&state.office, &code).await {
        Ok(o) => o,
        Err(e) => return code_refused(&ui, &code, e),
    };
    let refused = |field: &str, reason: String, status: StatusCode| {
        let kept = OrderForm {
            password: String::new(),
            password2: String::new(),
            ..form.clone()
        };
        let mut r = page(&OfferPage {
            ui: &ui,
            o: &o,
            form: &kept,
            problem: Some((field.to_string(), reason)),
        });
        *r.status_mut() = status;
        r
    };
    if form.password != form.password2 {
        return refused(
            "password",
            ui.t("act.mismatch").to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let email = form.email.trim();
    let new = NewActivation {
        code: &o.code,
        plan: &form.plan,
        mailbox: &form.mailbox,
        tax_id: &form.tax_id,
        holder_name: &form.name,
        billing_address: &form.billing_address,
        email: (!email.is_empty()).then_some(email),
        password: &form.password,
    };
    match activation::order(&state.office, &new).await {
        Ok(ordered) => Redirect::to(&format!("/attivazione/{}", ordered.token)).into_response(),
        Err(e) => match status_of(&e) {
            Some(status) => refused(e.field().unwrap_or_default(), e.reason(), status),
            None => office_error(&ui, e),
        },
    }
}

#[derive(Deserialize)]
struct NameQuery {
    #[serde(default)]
    mailbox: String,
    #[serde(default)]
    tax_id: String,
}

#[derive(Template)]
#[template(path = "activation_name.html")]
struct NameFragment<'a> {
    ui: &'a Ui,
    check: Option<&'a NameCheck>,
    problem: Option<String>,
}

impl NameFragment<'_> {
    /// The availability in the page's language.
    fn status(&self, c: &NameCheck) -> &'static str {
        self.ui.t(match c.status {
            NameStatus::Available => "act.name.available",
            NameStatus::Yours => "act.name.yours",
            NameStatus::Taken => "act.name.taken",
            NameStatus::Reserved => "act.name.reserved",
            NameStatus::OtherHolder => "act.name.other_holder",
        })
    }
}

/// The availability of a name, as an htmx fragment beside the field.
async fn check_name(
    State(state): State<AppState>,
    ui: Ui,
    Path(code): Path<String>,
    Query(q): Query<NameQuery>,
) -> Response {
    if q.mailbox.trim().is_empty() {
        return Html(String::new()).into_response();
    }
    let tax_id = (!q.tax_id.trim().is_empty()).then_some(q.tax_id.as_str());
    let fragment = |check: Option<&NameCheck>, problem: Option<String>| match (NameFragment {
        ui: &ui,
        check,
        problem,
    })
    .render()
    {
        Ok(html) => Html(html).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    match activation::check_name(&state.office, &code, &q.mailbox, tax_id).await {
        Ok(check) => fragment(Some(&check), None),
        Err(e) if e.is_request_error() => fragment(None, Some(e.reason())),
        Err(e) => office_error(&ui, e),
    }
}

#[derive(Deserialize)]
struct Outcome {
    #[serde(default)]
    esito: Option<String>,
}

#[derive(Template)]
#[template(path = "activation_order.html")]
struct OrderPage<'a> {
    ui: &'a Ui,
    a: &'a ActivationPage,
    token: &'a str,
    card: Option<&'a str>,
    outcome: Option<&'a str>,
}

impl OrderPage<'_> {
    fn payment_methods(&self) -> &[String] {
        &self.a.payment_methods
    }
    fn transfer_reference(&self) -> &str {
        &self.a.transfer_reference
    }
    fn reserved(&self) -> bool {
        self.a.stage == Stage::Reserved
    }
    fn active(&self) -> bool {
        self.a.stage == Stage::Active
    }
    fn lapsed(&self) -> bool {
        self.a.stage == Stage::Lapsed
    }
    fn reserved_until(&self) -> String {
        self.a
            .reserved_until
            .with_timezone(&chrono_tz::Europe::Rome)
            .format("%d/%m/%Y %H:%M")
            .to_string()
    }
    fn expiry(&self) -> Option<String> {
        self.a.expiry.map(|d| d.format("%d/%m/%Y").to_string())
    }
}

async fn order_page(
    State(state): State<AppState>,
    ui: Ui,
    Path(token): Path<String>,
    Query(q): Query<Outcome>,
) -> Response {
    match activation::page(&state.office, &token).await {
        Ok(a) => page(&OrderPage {
            ui: &ui,
            a: &a,
            token: &token,
            card: state.settings.card.as_ref().map(|c| c.label()),
            outcome: q.esito.as_deref(),
        }),
        Err(office::Error::NotFound { field: "token", .. }) => {
            error_page(&ui, StatusCode::NOT_FOUND, ui.t("error.not_found"))
        }
        Err(e) => office_error(&ui, e),
    }
}

/// Pay the order the link opens by card: to the card provider's checkout.
async fn pay(State(state): State<AppState>, ui: Ui, Path(token): Path<String>) -> Response {
    let Some(card) = state.settings.card.clone() else {
        return error_page(&ui, StatusCode::NOT_FOUND, ui.t("error.not_found"));
    };
    let order = match checkout::to_pay(&state.office, &token).await {
        Ok(o) => o,
        Err(e) => return office_error(&ui, e),
    };
    let return_url = format!("{}{}", state.settings.public_url, order.page);
    let to_pay = ToPay {
        order_id: &order.order_id,
        amount: order.amount,
        description: &order.description,
        return_url: &return_url,
        token: &token,
    };
    match card.checkout_url(&to_pay) {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(e) => office_error(&ui, e),
    }
}
