//! The provider's console: `/gestore/...`, for the provider's operators only.

use axum::Router;

use crate::AppState;
use crate::i18n::Texts;

pub const TEXTS: Texts = &[];

pub fn routes() -> Router<AppState> {
    Router::new()
}
