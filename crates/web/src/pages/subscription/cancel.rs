//! The cancellation from the subscription page: the consequences and the
//! letter shown (`GET /abbonamento/disdetta`), the confirmed POST that sends
//! it as a PEC, and the page's part that follows it until it is recorded
//! (`/abbonamento/disdetta/stato`).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use office::account::{self, Account, Cancellation, CancellationLetter};
use serde::Deserialize;

use super::{field_label, render, when};
use crate::AppState;
use crate::auth::Holder;
use crate::ui::{Ui, office_error, page, status_of};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/abbonamento/disdetta", get(cancel_page).post(cancel))
        .route("/abbonamento/disdetta/stato", get(cancel_state))
}

#[derive(Template)]
#[template(path = "subscription_cancel_state.html")]
struct CancelView<'a> {
    ui: &'a Ui,
    c: CancelInfo,
}

/// Where the cancellation stands, in the page's terms.
pub(super) struct CancelInfo {
    /// `possible`, `sent`, `recorded`, `ended`.
    pub(super) stage: &'static str,
    pub(super) sent_at: String,
    pub(super) identificativo: String,
    pub(super) to: String,
    pub(super) legal_time: String,
    pub(super) service_ends: String,
    pub(super) contents_deleted: String,
}

impl CancelInfo {
    pub(super) fn of(a: &Account) -> CancelInfo {
        let mut v = CancelInfo {
            stage: "possible",
            sent_at: String::new(),
            identificativo: String::new(),
            to: String::new(),
            legal_time: String::new(),
            service_ends: a.ending.map(|e| when(&e.service_ends)).unwrap_or_default(),
            contents_deleted: a.ending.map(|e| when(&e.contents_deleted)).unwrap_or_default(),
        };
        match &a.cancellation {
            Cancellation::Possible => {}
            Cancellation::Sent { at, identificativo, to } => {
                v.stage = "sent";
                v.sent_at = when(at);
                v.identificativo = identificativo.clone();
                v.to = to.clone();
            }
            Cancellation::Recorded { legal_time } => {
                v.stage = "recorded";
                // The legal time to the second, with its offset, as the receipts state it.
                v.legal_time = pec::time::LegalTime::from_utc(*legal_time).to_string();
            }
            Cancellation::Ended => v.stage = "ended",
        }
        v
    }
}

#[derive(Template)]
#[template(path = "subscription_cancel.html")]
struct CancelPage<'a> {
    ui: &'a Ui,
    letter: &'a CancellationLetter,
    problem: Option<String>,
}

impl CancelPage<'_> {
    fn service_ends(&self) -> String {
        self.letter.ending.map(|e| when(&e.service_ends)).unwrap_or_default()
    }

    fn contents_deleted(&self) -> String {
        self.letter
            .ending
            .map(|e| when(&e.contents_deleted))
            .unwrap_or_default()
    }
}

async fn cancel_page(State(state): State<AppState>, holder: Holder) -> Response {
    match account::cancellation_letter(&state.office, holder.user.mailbox_id).await {
        Ok(letter) => page(&CancelPage {
            ui: &holder.ui,
            letter: &letter,
            problem: None,
        }),
        // Nothing to cancel (already cancelled, on its way, closed): the page says where it stands.
        Err(e @ office::Error::Refused { .. }) => {
            let reason = e.reason();
            render(
                &state,
                &holder,
                None,
                Some(("cancel", reason)),
                None,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => office_error(&holder.ui, e),
    }
}

#[derive(Deserialize)]
struct CancelForm {
    csrf: String,
    /// The confirmation box: present only when ticked.
    confirm: Option<String>,
}

async fn cancel(State(state): State<AppState>, holder: Holder, Form(form): Form<CancelForm>) -> Response {
    if let Some(r) = holder.refuse_without_token(&form.csrf) {
        return r;
    }
    let confirmed = form.confirm.as_deref() == Some("yes");
    match account::cancel_by_pec(&state.office, holder.user.mailbox_id, confirmed).await {
        Ok(_) => Redirect::to("/abbonamento?fatto=disdetta#disdetta").into_response(),
        Err(e) => {
            let Some(status) = status_of(&e) else {
                return office_error(&holder.ui, e);
            };
            let reason = field_label(&holder.ui, &e);
            match account::cancellation_letter(&state.office, holder.user.mailbox_id).await {
                Ok(letter) => {
                    let mut r = page(&CancelPage {
                        ui: &holder.ui,
                        letter: &letter,
                        problem: Some(reason),
                    });
                    *r.status_mut() = status;
                    r
                }
                // Refused because there is nothing (more) to cancel: the subscription page says why.
                Err(_) => render(&state, &holder, None, Some(("cancel", reason)), None, status).await,
            }
        }
    }
}

/// The cancellation's part of the page, which polls it while the PEC is on its way.
async fn cancel_state(State(state): State<AppState>, holder: Holder) -> Response {
    match account::subscription(&state.office, holder.user.mailbox_id).await {
        Ok(Some(a)) => page(&CancelView {
            ui: &holder.ui,
            c: CancelInfo::of(&a),
        }),
        Ok(None) => office_error(
            &holder.ui,
            office::Error::not_found("subscription", "the mailbox has no subscription"),
        ),
        Err(e) => office_error(&holder.ui, e),
    }
}
