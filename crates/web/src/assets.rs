//! The static files, embedded in the binary: the stylesheet and htmx 2.0.11
//! (vendored from the npm package `htmx.org@2.0.11`, `dist/htmx.min.js`, 0BSD,
//! SHA-256 d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717;
//! its licence is `assets/htmx-LICENSE`).

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::AppState;

pub const HTMX_PATH: &str = "/assets/htmx-2.0.11.min.js";
pub const CSS_PATH: &str = "/assets/certa-1.css";

const HTMX: &[u8] = include_bytes!("../assets/htmx-2.0.11.min.js");
const CSS: &[u8] = include_bytes!("../assets/certa.css");

/// Versioned names: a new file gets a new name, so they can be cached for a year.
const CACHED: &str = "public, max-age=31536000, immutable";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            HTMX_PATH,
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                        (header::CACHE_CONTROL, CACHED),
                    ],
                    HTMX,
                )
                    .into_response()
            }),
        )
        .route(
            CSS_PATH,
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                        (header::CACHE_CONTROL, CACHED),
                    ],
                    CSS,
                )
                    .into_response()
            }),
        )
}
