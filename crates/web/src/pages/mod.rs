//! The webmail's pages, one module per idea; each gives its routes and texts.

mod activation;
mod compose;
mod folders;
mod mail;
mod message;
mod proof;
mod renewal;
mod reserved;
mod search;
mod security;
mod sent;
mod subscription;
mod verify;

use axum::Router;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::AppState;
use crate::auth::{SESSION_COOKIE, cookie};
use crate::i18n::Texts;

/// Each page module's texts (see `i18n`).
pub const CATALOGUES: &[Texts] = &[
    activation::TEXTS,
    folders::TEXTS,
    mail::TEXTS,
    message::TEXTS,
    search::TEXTS,
    proof::TEXTS,
    renewal::TEXTS,
    verify::TEXTS,
    sent::TEXTS,
    compose::TEXTS,
    security::TEXTS,
    reserved::TEXTS,
    crate::test_payment::TEXTS,
    subscription::TEXTS,
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .merge(folders::routes())
        .merge(mail::routes())
        .merge(message::routes())
        .merge(search::routes())
        .merge(proof::routes())
        .merge(verify::routes())
        .merge(renewal::routes())
        .merge(activation::routes())
        .merge(sent::routes())
        .merge(compose::routes())
        .merge(security::routes())
        .merge(reserved::routes())
        .merge(subscription::routes())
}

/// The mailbox when a session cookie is there (the mail page sends an ended
/// session to the login), else the login page.
async fn home(headers: HeaderMap) -> Response {
    if cookie(&headers, SESSION_COOKIE).is_some() {
        Redirect::to("/mail").into_response()
    } else {
        Redirect::to("/login").into_response()
    }
}
