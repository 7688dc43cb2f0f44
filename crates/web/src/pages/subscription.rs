//! The holder's subscription page, inside the webmail (`office::account`):
//! `/abbonamento` shows the state and since when, the expiry, the convention
//! and plan, the holder's data (the billing address and the reference e-mail
//! editable, `POST /abbonamento/dati`), every order with its payment and its
//! receipt of payment (`/abbonamento/ordini/{id}/ricevuta`), the notices
//! received and the lifecycle timeline. From there the holder renews
//! (`POST /abbonamento/rinnovo`, to the renewal page of the current order),
//! cancels (`/abbonamento/disdetta`: the consequences and the letter shown, a
//! confirmation asked, then the PEC sent from the mailbox; the page follows it
//! until it is recorded, `/abbonamento/disdetta/stato`), saves the mailbox
//! (`/abbonamento/archivio`: the archive built with its progress, polled at
//! `/abbonamento/archivio/stato`, then `/abbonamento/archivio/scarica`) and
//! changes the password (`POST /abbonamento/password`). Every change is a POST
//! carrying the session's token.

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};

use askama::Template;
use chrono::{DateTime, NaiveDate, Utc};
use office::account::{self, Account, PaymentReceipt};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{Holder, session_cookie, set_cookie};
use crate::tls::Peer;
use crate::ui::{Ui, office_error, page, status_of};

mod archive;
mod cancel;
mod texts;

pub use texts::TEXTS;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/abbonamento", get(show))
        .route("/abbonamento/dati", axum::routing::post(update_holder))
        .route("/abbonamento/rinnovo", axum::routing::post(renew))
        .route("/abbonamento/password", axum::routing::post(change_password))
        .route("/abbonamento/ordini/{id}/ricevuta", get(receipt))
        .merge(cancel::routes())
        .merge(archive::routes())
}

/// An instant in Italian time, as the other pages write it.
fn when(t: &DateTime<Utc>) -> String {
    t.with_timezone(&chrono_tz::Europe::Rome)
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

/// A day in Italian time.
fn day_of(t: &DateTime<Utc>) -> String {
    t.with_timezone(&chrono_tz::Europe::Rome).format("%d/%m/%Y").to_string()
}

fn day(d: &NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// Bytes as a person reads them.
fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["byte", "KB", "MB", "GB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} {}", UNITS[0])
    } else {
        format!("{value:.1} {}", UNITS[unit]).replace('.', ",")
    }
}

/// What a state is called on the page.
fn state_text(ui: &Ui, state: &str) -> &'static str {
    ui.t(match state {
        "active" => "subscription.state.active",
        "suspended" => "subscription.state.suspended",
        "receive-only" => "subscription.state.receive-only",
        "closed" => "subscription.state.closed",
        _ => "subscription.state.deleted",
    })
}

// ---- the page

#[derive(Template)]
#[template(path = "subscription.html")]
struct SubscriptionPage<'a> {
    ui: &'a Ui,
    a: &'a Account,
    notice: Option<&'static str>,
    /// A refusal beside the form it concerns: (form, reason).
    problem: Option<(&'static str, String)>,
    /// What the holder typed in the holder form, kept when it was refused.
    typed: Option<(&'a str, &'a str)>,
    c: cancel::CancelInfo,
}

impl SubscriptionPage<'_> {
    fn state(&self) -> &'static str {
        state_text(self.ui, self.a.state)
    }

    fn since(&self) -> String {
        day_of(&self.a.since)
    }

    fn expiry(&self) -> String {
        day(&self.a.expiry)
    }

    fn when(&self, t: &DateTime<Utc>) -> String {
        when(t)
    }

    fn maybe_day(&self, d: &Option<NaiveDate>) -> String {
        d.as_ref().map_or_else(|| "—".to_string(), day)
    }

    fn renews(&self, d: &str) -> String {
        d.parse::<NaiveDate>().map_or_else(|_| d.to_string(), |d| day(&d))
    }

    fn quota(&self) -> String {
        size(self.a.plan.quota_bytes)
    }

    fn order_state(&self, state: &str) -> &'static str {
        self.ui.t(match state {
            "open" => "subscription.order.open",
            "paid" => "subscription.order.paid",
            _ => "subscription.order.cancelled",
        })
    }

    fn source(&self, source: &str) -> &'static str {
        self.ui.t(match source {
            "bank" => "subscription.source.bank",
            "webhook" => "subscription.source.webhook",
            _ => "subscription.source.operator",
        })
    }

    fn billing_value(&self) -> String {
        self.typed
            .map_or_else(|| self.a.holder.billing_address.clone(), |(b, _)| b.to_string())
    }

    fn email_value(&self) -> String {
        self.typed.map_or_else(
            || self.a.holder.reference_email.clone().unwrap_or_default(),
            |(_, e)| e.to_string(),
        )
    }

    /// The refusal of `form`, if that is the one refused.
    fn problem_of(&self, form: &str) -> Option<&str> {
        self.problem
            .as_ref()
            .filter(|(f, _)| *f == form)
            .map(|(_, reason)| reason.as_str())
    }

    /// A lifecycle log's event in the page's words (an event unknown here as it is stored).
    fn event<'e>(&self, event: &'e str) -> &'e str {
        let key = match event {
            "activated" => "subscription.event.activated",
            "send-notice" => "subscription.event.send-notice",
            "order" => "subscription.event.order",
            "paid" => "subscription.event.paid",
            "payment-refused" => "subscription.event.payment-refused",
            "suspend" => "subscription.event.suspend",
            "receive-only" => "subscription.event.receive-only",
            "reactivate" => "subscription.event.reactivate",
            "close" => "subscription.event.close",
            "end-service" => "subscription.event.end-service",
            "delete-contents" => "subscription.event.delete-contents",
            "contents-deleted" => "subscription.event.contents-deleted",
            "tacit-renew" => "subscription.event.tacit-renew",
            "cancelled" => "subscription.event.cancelled",
            account::CANCELLATION_SENT => "subscription.event.cancellation-sent",
            "holder-changed" => "subscription.event.holder-changed",
            "registry-flagged" => "subscription.event.registry-flagged",
            _ => return event,
        };
        self.ui.t(key)
    }

    fn list_price(&self) -> bool {
        self.a.pricing == lifecycle::subscription::Pricing::ListPrice
    }
}

/// A mailbox without a subscription (made by the operator outside any convention).
#[derive(Template)]
#[template(path = "subscription_none.html")]
struct NoSubscriptionPage<'a> {
    ui: &'a Ui,
}

/// The cancellation's part of the page (also the fragment the page polls).
#[derive(Deserialize, Default)]
struct Done {
    fatto: Option<String>,
}

async fn render(
    state: &AppState,
    holder: &Holder,
    notice: Option<&'static str>,
    problem: Option<(&'static str, String)>,
    typed: Option<(&str, &str)>,
    status: StatusCode,
) -> Response {
    let account = match account::subscription(&state.office, holder.user.mailbox_id).await {
        Ok(a) => a,
        Err(e) => return office_error(&holder.ui, e),
    };
    let mut r = match &account {
        Some(a) => page(&SubscriptionPage {
            ui: &holder.ui,
            a,
            notice,
            problem,
            typed,
            c: cancel::CancelInfo::of(a),
        }),
        None => page(&NoSubscriptionPage { ui: &holder.ui }),
    };
    *r.status_mut() = status;
    r
}

async fn show(State(state): State<AppState>, holder: Holder, Query(done): Query<Done>) -> Response {
    let notice = match done.fatto.as_deref() {
        Some("dati") => Some(holder.ui.t("subscription.holder_saved")),
        Some("password") => Some(holder.ui.t("subscription.password_changed")),
        Some("disdetta") => Some(holder.ui.t("subscription.cancel_sent")),
        _ => None,
    };
    render(&state, &holder, notice, None, None, StatusCode::OK).await
}

/// A field the office named, in the page's words, before its reason.
fn field_label(ui: &Ui, e: &office::Error) -> String {
    let key = match e.field() {
        Some("billing_address") => "subscription.billing_address",
        Some("email") => "subscription.email",
        Some("current") => "subscription.current_password",
        Some("new") => "subscription.new_password",
        Some("repeat") => "subscription.repeat_password",
        Some("confirm") => "subscription.cancel",
        _ => return e.reason(),
    };
    format!("{}: {}", ui.t(key), e.reason())
}

#[derive(Deserialize)]
struct HolderForm {
    csrf: String,
    billing_address: String,
    email: String,
}

async fn update_holder(State(state): State<AppState>, holder: Holder, Form(form): Form<HolderForm>) -> Response {
    if let Some(r) = holder.refuse_without_token(&form.csrf) {
        return r;
    }
    match account::update_holder(
        &state.office,
        holder.user.mailbox_id,
        &form.billing_address,
        &form.email,
    )
    .await
    {
        Ok(_) => Redirect::to("/abbonamento?fatto=dati").into_response(),
        Err(e) => match status_of(&e) {
            Some(status) => {
                let reason = field_label(&holder.ui, &e);
                let typed = Some((form.billing_address.as_str(), form.email.as_str()));
                render(&state, &holder, None, Some(("holder", reason)), typed, status).await
            }
            None => office_error(&holder.ui, e),
        },
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

/// To the renewal page of the current expiry's order (made if there is none yet).
async fn renew(State(state): State<AppState>, holder: Holder, Form(form): Form<CsrfForm>) -> Response {
    if let Some(r) = holder.refuse_without_token(&form.csrf) {
        return r;
    }
    match account::renew(&state.office, holder.user.mailbox_id).await {
        Ok(link) => Redirect::to(&format!("/rinnovo/{}", link.token)).into_response(),
        Err(e) => match status_of(&e) {
            Some(status) => {
                let reason = e.reason();
                render(&state, &holder, None, Some(("renew", reason)), None, status).await
            }
            None => office_error(&holder.ui, e),
        },
    }
}

#[derive(Deserialize)]
struct PasswordForm {
    csrf: String,
    current: String,
    new: String,
    repeat: String,
}

async fn change_password(
    State(state): State<AppState>,
    ConnectInfo(Peer(peer)): ConnectInfo<Peer>,
    holder: Holder,
    Form(form): Form<PasswordForm>,
) -> Response {
    if let Some(r) = holder.refuse_without_token(&form.csrf) {
        return r;
    }
    let changed = account::change_password(
        &state.office,
        holder.user.mailbox_id,
        &form.current,
        &form.new,
        &form.repeat,
        peer.ip(),
    )
    .await;
    match changed {
        Ok(token) => {
            let mut r = Redirect::to("/abbonamento?fatto=password").into_response();
            set_cookie(&mut r, &session_cookie(&token, None));
            r
        }
        Err(e) => match status_of(&e) {
            Some(status) => {
                let reason = field_label(&holder.ui, &e);
                render(&state, &holder, None, Some(("password", reason)), None, status).await
            }
            None => office_error(&holder.ui, e),
        },
    }
}

// ---- a receipt of payment

#[derive(Template)]
#[template(path = "payment_receipt.html")]
struct ReceiptPage<'a> {
    ui: &'a Ui,
    r: &'a PaymentReceipt,
}

impl ReceiptPage<'_> {
    fn paid_at(&self) -> String {
        when(&self.r.payment.paid_at)
    }

    fn renews(&self) -> String {
        self.r
            .renews_expiry
            .parse::<NaiveDate>()
            .map_or_else(|_| self.r.renews_expiry.clone(), |d| day(&d))
    }

    fn next_expiry(&self) -> String {
        self.r.next_expiry.as_ref().map_or_else(String::new, day)
    }

    fn source(&self) -> &'static str {
        self.ui.t(match self.r.payment.source.as_str() {
            "bank" => "subscription.source.bank",
            "webhook" => "subscription.source.webhook",
            _ => "subscription.source.operator",
        })
    }
}

async fn receipt(State(state): State<AppState>, holder: Holder, Path(id): Path<String>) -> Response {
    match account::payment_receipt(&state.office, holder.user.mailbox_id, &id).await {
        Ok(r) => page(&ReceiptPage { ui: &holder.ui, r: &r }),
        Err(e) => office_error(&holder.ui, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_a_person_reads_them() {
        assert_eq!(size(979), "979 byte");
        assert_eq!(size(1536), "1,5 KB");
        assert_eq!(size(1 << 30), "1,0 GB");
    }
}
