//! What protects every page: the security headers, and the refusal of
//! cross-site requests that would change something.
//!
//! Headers (OWASP Secure Headers): a Content-Security-Policy that allows only
//! this origin's own scripts and styles, no inline script, no plugin, no
//! framing (`frame-ancestors 'none'`, and X-Frame-Options for older browsers);
//! `nosniff`; no referrer to other sites; HSTS (RFC 6797); pages not cached, since they hold
//! private mail. A handler that needs other rules (a message's HTML shown in a
//! sandboxed frame of this origin) sets its own headers, which are kept.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The policy of every page (W3C CSP Level 3).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-src 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

/// Adds the security headers a response does not set itself.
pub async fn headers(request: Request<Body>, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    let defaults = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        // `same-origin`, not `no-referrer`: with no-referrer browsers send `Origin: null` on
        // this site's own form posts, which [`same_origin`] must refuse.
        (header::REFERRER_POLICY, "same-origin"),
        (header::STRICT_TRANSPORT_SECURITY, "max-age=31536000"),
        (header::CACHE_CONTROL, "no-store"),
    ];
    for (name, value) in defaults {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    }
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    response
}

/// Refuses a state-changing request that a browser says comes from another
/// site: `Sec-Fetch-Site` (W3C Fetch Metadata) other than same-origin or none,
/// or an `Origin` (RFC 6454) other than this server's. Session cookies are
/// `SameSite=Strict` too, and every form of a session carries its own token
/// (checked by the handler): this is the first of three locks, the one that
/// also covers the login form.
pub async fn same_origin(request: Request<Body>, next: Next) -> Response {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && let Some(why) = cross_site(request.headers()) {
        tracing::warn!(target: "security", path = %request.uri().path(), "cross-site request refused: {why}");
        return (StatusCode::FORBIDDEN, "cross-site request refused").into_response();
    }
    next.run(request).await
}

/// Why the request is cross-site, if a header says so.
fn cross_site(h: &HeaderMap) -> Option<String> {
    let text = |name: &str| h.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = text("sec-fetch-site")
        && !matches!(site, "same-origin" | "none")
    {
        return Some(format!("Sec-Fetch-Site: {site}"));
    }
    let origin = text("origin")?;
    let host = text("host").unwrap_or_default();
    let expected = format!("https://{host}");
    (origin != expected).then(|| format!("Origin {origin} is not {expected}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn requests_of_another_site_are_told_apart_from_this_ones() {
        assert!(cross_site(&with(&[("host", "pec.test:8443")])).is_none());
        assert!(cross_site(&with(&[("host", "pec.test:8443"), ("origin", "https://pec.test:8443")])).is_none());
        assert!(cross_site(&with(&[("host", "pec.test:8443"), ("origin", "https://evil.example")])).is_some());
        assert!(cross_site(&with(&[("host", "pec.test:8443"), ("origin", "http://pec.test:8443")])).is_some());
        assert!(cross_site(&with(&[("sec-fetch-site", "cross-site")])).is_some());
        assert!(cross_site(&with(&[("sec-fetch-site", "same-site")])).is_some());
        assert!(cross_site(&with(&[("sec-fetch-site", "same-origin")])).is_none());
    }
}
