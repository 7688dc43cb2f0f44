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
pub const CSS_PATH: &str = "/assets/certa-2.css";

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

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    /// The stylesheet `CSS_PATH` names. Browsers keep it for a year under that
    /// name: a stylesheet changed under the same name would not reach them.
    const CSS_SHA256: &str = "55fdf34cb3ad8d62afb2b49d653713d1c9e42315f5f8796007572b9cdb568438";

    #[test]
    fn a_changed_stylesheet_gets_a_new_name() {
        let digest = hex(&Sha256::digest(super::CSS));
        assert_eq!(
            digest, CSS_SHA256,
            "assets/certa.css changed: give CSS_PATH and base.html's link the next number, \
             and set CSS_SHA256 to {digest}"
        );
    }

    #[test]
    fn the_pages_link_the_stylesheet_by_its_name() {
        let base = include_str!("../templates/base.html");
        assert!(base.contains(&format!("href=\"{}\"", super::CSS_PATH)));
        assert!(base.contains(&format!("src=\"{}\"", super::HTMX_PATH)));
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}
