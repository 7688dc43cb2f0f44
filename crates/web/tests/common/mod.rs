//! The web front end in process, with a browser-like client: a provider of
//! `testkit::office` (SQLite or PostgreSQL), mailboxes, and requests sent
//! through the router with the session cookie kept, as a browser would.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Request, Response, StatusCode, header};
use chrono::{DateTime, Duration, TimeZone, Utc};
use office::Office;
use office::mailboxes::{self, NewMailbox};
use testkit::office::{DOMAIN, Stopped};
use tower::ServiceExt;
use web::tls::Peer;
use web::{AppState, Settings};

pub const PASSWORD: &str = "la-password-giusta";
pub const HOST: &str = "pec.office.test:8443";

pub fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap()
}

pub fn address(user: &str) -> String {
    format!("{user}@{DOMAIN}")
}

/// The web front end of `office` with `settings`, as seen from a client's address.
fn router(office: &Office, settings: Settings) -> Router {
    web::router(AppState::new(office.clone(), settings))
        .layer(MockConnectInfo(Peer(SocketAddr::from(([192, 0, 2, 7], 40000)))))
}

/// A provider with mailboxes `mario` and `anna`, and its web front end.
pub struct Site {
    pub office: Office,
    pub clock: Arc<Stopped>,
    pub router: Router,
    _dir: tempfile::TempDir,
}

impl Site {
    pub async fn new() -> Site {
        Site::on(None).await
    }

    /// The site of a provider whose metadata is in `database` (None: SQLite).
    pub async fn on(database: Option<&str>) -> Site {
        let site = Site::node(database).await;
        for user in ["mario", "anna"] {
            let new = NewMailbox {
                address: &address(user),
                password: PASSWORD,
                quota_bytes: 1 << 30,
            };
            mailboxes::add_mailbox(&site.office, &new).await.unwrap();
        }
        site
    }

    /// Another node of the same provider: its own engine and router on `database`.
    pub async fn node(database: Option<&str>) -> Site {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(Stopped(std::sync::Mutex::new(at())));
        let office = testkit::office::office_on(dir.path(), database, clock.clone()).await;
        let router = router(&office, Settings::default());
        Site {
            office,
            clock,
            router,
            _dir: dir,
        }
    }

    /// The same site with other web settings.
    pub fn with_settings(mut self, settings: Settings) -> Site {
        self.router = router(&self.office, settings);
        self
    }

    pub fn advance(&self, by: Duration) {
        let now = *self.clock.0.lock().unwrap();
        self.clock.set(now + by);
    }

    /// The same browser on another node: its cookies go with it.
    pub fn browser_with(&self, other: &Browser) -> Browser {
        Browser {
            router: self.router.clone(),
            cookies: other.cookies.clone(),
        }
    }

    /// A browser without cookies.
    pub fn browser(&self) -> Browser {
        Browser {
            router: self.router.clone(),
            cookies: Vec::new(),
        }
    }

    /// A browser logged in as `user`.
    pub async fn logged_in(&self, user: &str) -> Browser {
        let mut b = self.browser();
        let r = b.login(&address(user), PASSWORD).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        b
    }
}

/// A response read whole.
pub struct Page {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Page {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn location(&self) -> &str {
        self.header("location").unwrap_or_default()
    }

    /// The value of the first `name="csrf"` hidden field.
    pub fn csrf(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf\" value=\"")
            .expect("a form with the session's token");
        let rest = &self.body[at + "name=\"csrf\" value=\"".len()..];
        rest[..rest.find('"').unwrap()].to_string()
    }
}

pub struct Browser {
    router: Router,
    pub cookies: Vec<(String, String)>,
}

impl Browser {
    /// A browser without cookies on `router` (a site a suite builds itself).
    pub fn on(router: Router) -> Browser {
        Browser {
            router,
            cookies: Vec::new(),
        }
    }

    pub async fn send(&mut self, request: Request<Body>) -> Page {
        let response: Response<Body> = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        for set in headers.get_all(header::SET_COOKIE) {
            let text = set.to_str().unwrap();
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.retain(|(n, _)| n != name);
            if !attributes.contains("Max-Age=0") {
                self.cookies.push((name.to_string(), value.to_string()));
            }
        }
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        Page {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    fn request(&self, method: &str, path: &str) -> axum::http::request::Builder {
        let mut r = Request::builder().method(method).uri(path).header(header::HOST, HOST);
        if !self.cookies.is_empty() {
            let cookies: Vec<String> = self.cookies.iter().map(|(n, v)| format!("{n}={v}")).collect();
            r = r.header(header::COOKIE, cookies.join("; "));
        }
        r
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let r = self.request("GET", path).body(Body::empty()).unwrap();
        self.send(r).await
    }

    /// A form posted from this site, as a browser sends it.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.post_from(path, fields, Some(&format!("https://{HOST}"))).await
    }

    /// A form posted with `origin` (None: no Origin header, as a non-browser client).
    pub async fn post_from(&mut self, path: &str, fields: &[(&str, &str)], origin: Option<&str>) -> Page {
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        let mut r = self
            .request("POST", path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(o) = origin {
            r = r.header(header::ORIGIN, o);
        }
        let r = r.body(Body::from(body.join("&"))).unwrap();
        self.send(r).await
    }

    pub async fn login(&mut self, address: &str, password: &str) -> Page {
        self.post(
            "/login",
            &[("address", address), ("password", password), ("next", "/mail")],
        )
        .await
    }
}

/// `application/x-www-form-urlencoded` (WHATWG URL 5.2).
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => (b as char).to_string(),
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
