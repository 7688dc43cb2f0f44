//! What every page template gets: the language, the logged-in mailbox (if any)
//! with its token against cross-site requests, and the error page.

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Response};

use askama::Template;
use office::login::WebUser;

use crate::AppState;
use crate::auth::cookie;
use crate::i18n::{self, Lang};

/// The cookie that keeps the chosen language.
pub const LANG_COOKIE: &str = "certa-lang";

/// A page's common context.
#[derive(Debug, Clone)]
pub struct Ui {
    pub lang: Lang,
    pub user: Option<WebUser>,
    /// The path of the page, to come back to after switching language.
    pub path: String,
}

impl Ui {
    /// The text of `key` in the page's language.
    pub fn t(&self, key: &'static str) -> &'static str {
        i18n::t(self.lang, key)
    }

    /// The session's token, for the hidden field of every form that changes something.
    pub fn csrf(&self) -> &str {
        self.user.as_ref().map_or("", |u| u.csrf.as_str())
    }

    /// A complete login (not one awaiting its second factor): the mailbox's pages are open.
    pub fn logged_in(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.complete)
    }

    pub fn with_user(mut self, user: &WebUser) -> Ui {
        self.user = Some(user.clone());
        self
    }
}

impl FromRequestParts<AppState> for Ui {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, Self::Rejection> {
        let lang = cookie(&parts.headers, LANG_COOKIE)
            .and_then(Lang::parse)
            .unwrap_or_default();
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_string();
        Ok(Ui { lang, user: None, path })
    }
}

/// Renders a template as a page; a template that cannot render (a bug) is a 500.
pub fn page<T: Template>(template: &T) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!("a page failed to render: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    ui: &'a Ui,
    message: &'a str,
}

/// An error page with `status` and `message` (already in the page's language
/// or the office's words).
pub fn error_page(ui: &Ui, status: StatusCode, message: &str) -> Response {
    let mut response = page(&ErrorPage { ui, message });
    *response.status_mut() = status;
    response
}

/// An office error as a page: the request's faults with the office's reason
/// (404 for what is not found, which is also what another mailbox's message is),
/// the installation's with a generic text (logged with its detail).
pub fn office_error(ui: &Ui, e: office::Error) -> Response {
    let Some(status) = status_of(&e) else {
        tracing::error!("{e}");
        return error_page(ui, StatusCode::INTERNAL_SERVER_ERROR, ui.t("error.internal"));
    };
    let reason = if status == StatusCode::NOT_FOUND {
        ui.t("error.not_found").to_string()
    } else {
        e.reason()
    };
    error_page(ui, status, &reason)
}

/// The status of a request's fault (404 not found, 409 refused, 422 invalid);
/// None for the installation's.
pub fn status_of(e: &office::Error) -> Option<StatusCode> {
    if !e.is_request_error() {
        return None;
    }
    Some(match e {
        office::Error::NotFound { .. } => StatusCode::NOT_FOUND,
        office::Error::Refused { .. } => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    })
}
