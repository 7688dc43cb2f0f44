//! Saving the mailbox from the subscription page: the archive's page
//! (`/abbonamento/archivio`), its build started by a POST, its state polled
//! while it is built (`/abbonamento/archivio/stato`), the download streamed
//! (`/abbonamento/archivio/scarica`).

use askama::Template;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use office::account::ArchiveState;

use super::{CsrfForm, size, when};
use crate::AppState;
use crate::auth::Holder;
use crate::ui::{Ui, office_error, page, status_of};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/abbonamento/archivio", get(archive_page).post(archive_start))
        .route("/abbonamento/archivio/stato", get(archive_state))
        .route("/abbonamento/archivio/scarica", get(archive_download))
}

#[derive(Template)]
#[template(path = "subscription_archive.html")]
struct ArchivePage<'a> {
    ui: &'a Ui,
    s: ArchiveInfo,
    problem: Option<String>,
}

/// Where the archive stands (also the fragment the page polls while it is built).
#[derive(Template)]
#[template(path = "subscription_archive_state.html")]
struct ArchiveView<'a> {
    ui: &'a Ui,
    s: ArchiveInfo,
}

/// The archive's state in the page's terms.
struct ArchiveInfo {
    state: ArchiveState,
    /// "messages" in the page's language.
    messages_word: &'static str,
}

impl ArchiveInfo {
    fn of(ui: &Ui, state: ArchiveState) -> ArchiveInfo {
        ArchiveInfo {
            state,
            messages_word: ui.t("subscription.archive_messages"),
        }
    }

    fn stage(&self) -> &'static str {
        match self.state {
            ArchiveState::None => "none",
            ArchiveState::Building { .. } => "building",
            ArchiveState::Ready { .. } => "ready",
            ArchiveState::Failed { .. } => "failed",
        }
    }

    fn percent(&self) -> u8 {
        match self.state {
            ArchiveState::Building { percent, .. } => percent,
            ArchiveState::Ready { .. } => 100,
            _ => 0,
        }
    }

    fn counts(&self) -> String {
        match &self.state {
            ArchiveState::Building {
                messages,
                total_messages,
                bytes,
                total_bytes,
                ..
            } => format!(
                "{messages} / {total_messages} {} ({} / {})",
                self.messages_word,
                size(*bytes),
                size(*total_bytes)
            ),
            ArchiveState::Ready { messages, size: s, .. } => {
                format!("{messages} {}, {}", self.messages_word, size(*s))
            }
            _ => String::new(),
        }
    }

    fn until(&self) -> String {
        match &self.state {
            ArchiveState::Ready { until, .. } => when(until),
            _ => String::new(),
        }
    }

    fn file_name(&self) -> &str {
        match &self.state {
            ArchiveState::Ready { file_name, .. } => file_name,
            _ => "",
        }
    }

    fn failure(&self) -> &str {
        match &self.state {
            ArchiveState::Failed { reason } => reason,
            _ => "",
        }
    }
}

async fn archive_page(State(state): State<AppState>, holder: Holder) -> Response {
    let s = ArchiveInfo::of(&holder.ui, state.archives.state(&state.office, holder.user.mailbox_id));
    page(&ArchivePage {
        ui: &holder.ui,
        s,
        problem: None,
    })
}

async fn archive_start(State(state): State<AppState>, holder: Holder, Form(form): Form<CsrfForm>) -> Response {
    if let Some(r) = holder.refuse_without_token(&form.csrf) {
        return r;
    }
    match state.archives.start(&state.office, holder.user.mailbox_id).await {
        Ok(_) => Redirect::to("/abbonamento/archivio").into_response(),
        Err(e) => match status_of(&e) {
            Some(status) => {
                let s = ArchiveInfo::of(&holder.ui, state.archives.state(&state.office, holder.user.mailbox_id));
                let mut r = page(&ArchivePage {
                    ui: &holder.ui,
                    s,
                    problem: Some(e.reason()),
                });
                *r.status_mut() = status;
                r
            }
            None => office_error(&holder.ui, e),
        },
    }
}

async fn archive_state(State(state): State<AppState>, holder: Holder) -> Response {
    let s = ArchiveInfo::of(&holder.ui, state.archives.state(&state.office, holder.user.mailbox_id));
    page(&ArchiveView { ui: &holder.ui, s })
}

/// The built archive, streamed from its file.
async fn archive_download(State(state): State<AppState>, holder: Holder) -> Response {
    match state.archives.download(&state.office, holder.user.mailbox_id) {
        Ok(d) => {
            let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(d.file));
            let mut r = (StatusCode::OK, Body::from_stream(stream)).into_response();
            let h = r.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/gzip"));
            if let Ok(v) = HeaderValue::from_str(&d.size.to_string()) {
                h.insert(header::CONTENT_LENGTH, v);
            }
            // A mailbox address is letters, digits and `@._-+` (RFC 6266 4.1).
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", d.file_name)) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            r
        }
        Err(e) => office_error(&holder.ui, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;
    use chrono::Utc;

    fn ui() -> Ui {
        Ui {
            lang: Lang::It,
            user: None,
            path: "/abbonamento/archivio".into(),
        }
    }

    #[test]
    fn a_build_shows_its_progress_and_polls_until_it_is_ready() {
        let ui = ui();
        let building = ArchiveState::Building {
            started_at: Utc::now(),
            messages: 120,
            total_messages: 480,
            bytes: 30 << 20,
            total_bytes: 120 << 20,
            percent: 25,
        };
        let html = ArchiveView {
            ui: &ui,
            s: ArchiveInfo::of(&ui, building),
        }
        .render()
        .unwrap();
        assert!(
            html.contains(r#"<progress id="archive-progress" max="100" value="25">"#),
            "{html}"
        );
        assert!(html.contains("120 / 480 messaggi (30,0 MB / 120,0 MB)"), "{html}");
        assert!(html.contains(r#"hx-get="/abbonamento/archivio/stato" hx-trigger="every 1s""#));

        let ready = ArchiveState::Ready {
            file_name: "mario@pec.test-2026-12-02.tar.gz".into(),
            size: 2048,
            messages: 480,
            built_at: Utc::now(),
            until: Utc::now(),
        };
        let html = ArchiveView {
            ui: &ui,
            s: ArchiveInfo::of(&ui, ready),
        }
        .render()
        .unwrap();
        assert!(
            !html.contains("hx-get") && !html.contains("<progress"),
            "no more polling: {html}"
        );
        assert!(html.contains("480 messaggi, 2,0 KB") && html.contains(r#"href="/abbonamento/archivio/scarica""#));
    }
}
