//! The Order's console: `/ordine/{order}/...`, for its secretariat and the provider's operators.

use axum::Router;

use crate::AppState;
use crate::i18n::Texts;

pub const TEXTS: Texts = &[];

pub fn routes() -> Router<AppState> {
    Router::new()
}
