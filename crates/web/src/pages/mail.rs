//! A folder's messages, 50 a page, newest first (`/mail/{folder_id}`), with
//! newer/older links that carry the first and last rows' keys (never an
//! offset) and a "hide receipts" switch kept across pages. The rows are said
//! the same way in the search results (`search.rs`): each message's kind in
//! words and as a badge, sender, subject, date, size, an attachment mark,
//! unread ones in bold.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

use askama::Template;
use office::mail::list::Position;
use office::mail::{self, Category, Cursor, MessageRow};
use serde::Deserialize;

use crate::AppState;
use crate::auth::Holder;
use crate::i18n::{Lang, Texts};
use crate::ui::{Ui, error_page, office_error, page};

pub const TEXTS: Texts = &[
    ("list.from", "Mittente", "From"),
    ("list.subject", "Oggetto", "Subject"),
    ("list.date", "Data", "Date"),
    ("list.size", "Dimensione", "Size"),
    ("list.kind", "Tipo", "Kind"),
    ("list.folder", "Cartella", "Folder"),
    ("list.empty", "Nessun messaggio.", "No messages."),
    ("list.no_subject", "(senza oggetto)", "(no subject)"),
    ("list.attachment", "con allegati", "with attachments"),
    ("list.unread", "da leggere", "unread"),
    ("list.newer", "Messaggi più recenti", "Newer messages"),
    ("list.older", "Messaggi meno recenti", "Older messages"),
    ("list.newest", "Torna ai più recenti", "Back to the newest"),
    ("list.pages", "Pagine", "Pages"),
    ("list.hide_receipts", "Nascondi le ricevute", "Hide receipts"),
    ("list.show_receipts", "Mostra le ricevute", "Show receipts"),
    (
        "list.receipts_hidden",
        "Le ricevute sono nascoste: ognuna è nella pagina del suo messaggio.",
        "Receipts are hidden: each is on its message's page.",
    ),
    ("list.folders", "Tutte le cartelle", "All folders"),
    ("badge.certified", "PEC", "PEC"),
    ("badge.receipt", "Ricevuta", "Receipt"),
    ("badge.anomaly", "Anomalia", "Anomaly"),
    ("badge.ordinary", "Ordinaria", "Ordinary"),
    ("category.certified", "Messaggio certificato", "Certified message"),
    ("category.anomaly", "Busta di anomalia", "Anomaly envelope"),
    ("category.ordinary", "Posta ordinaria", "Ordinary mail"),
    ("category.sent", "Messaggio PEC inviato", "PEC message sent"),
];

pub fn routes() -> Router<AppState> {
    Router::new().route("/mail/{folder_id}", get(folder))
}

/// A message row as the page says it.
pub(super) struct RowView {
    pub href: String,
    pub badge: &'static str,
    pub badge_class: &'static str,
    pub kind: &'static str,
    pub from: String,
    pub subject: String,
    pub date: String,
    pub size: String,
    pub attachment: bool,
    pub unread: bool,
    pub folder: Option<String>,
}

pub(super) fn row_view(ui: &Ui, r: &MessageRow) -> RowView {
    let (badge, badge_class, kind) = match r.category {
        Category::Certified => ("badge.certified", "badge-certified", ui.t("category.certified")),
        Category::Receipt => (
            "badge.receipt",
            "badge-receipt",
            super::proof::kind_text(ui, r.pec_kind.as_deref().unwrap_or_default()),
        ),
        Category::Anomaly => ("badge.anomaly", "badge-anomaly", ui.t("category.anomaly")),
        Category::SentPec => ("badge.certified", "badge-certified", ui.t("category.sent")),
        Category::Ordinary => ("badge.ordinary", "badge-ordinary", ui.t("category.ordinary")),
    };
    RowView {
        href: format!("/message/{}", r.id),
        badge: ui.t(badge),
        badge_class,
        kind,
        from: r.from.clone(),
        subject: if r.subject.trim().is_empty() {
            ui.t("list.no_subject").to_string()
        } else {
            r.subject.clone()
        },
        date: r.date.format("%d/%m/%Y %H:%M").to_string(),
        size: size_text(ui.lang, r.size),
        attachment: r.has_attachments,
        unread: !r.seen,
        folder: r.folder.clone(),
    }
}

/// A size as people read it: bytes, KB or MB (of 1024).
pub(super) fn size_text(lang: Lang, bytes: i64) -> String {
    let text = if bytes < 1024 {
        format!("{bytes} B")
    } else if bytes < 1024 * 1024 {
        format!("{} KB", (bytes + 1023) / 1024)
    } else {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    };
    match lang {
        Lang::It => text.replace('.', ","),
        Lang::En => text,
    }
}

#[derive(Template)]
#[template(path = "mail_list.html")]
struct ListPage<'a> {
    ui: &'a Ui,
    title: String,
    folder_id: i64,
    total: i64,
    rows: Vec<RowView>,
    newer: Option<String>,
    older: Option<String>,
    first: bool,
    hide_receipts: bool,
    /// `&receipts=hide` when receipts are hidden: kept across pages.
    keep: &'static str,
}

#[derive(Deserialize)]
struct ListQuery {
    older: Option<String>,
    newer: Option<String>,
    receipts: Option<String>,
}

async fn folder(
    State(state): State<AppState>,
    holder: Holder,
    Path(folder_id): Path<String>,
    Query(q): Query<ListQuery>,
) -> Response {
    let ui = &holder.ui;
    let Ok(folder_id) = folder_id.parse::<i64>() else {
        return error_page(ui, StatusCode::NOT_FOUND, ui.t("error.not_found"));
    };
    let at = match (q.older.as_deref(), q.newer.as_deref()) {
        (Some(c), _) => c.parse::<Cursor>().map(Position::Older),
        (None, Some(c)) => c.parse::<Cursor>().map(Position::Newer),
        (None, None) => Ok(Position::Newest),
    };
    let at = match at {
        Ok(at) => at,
        Err(e) => return office_error(ui, e),
    };
    let hide_receipts = q.receipts.as_deref() == Some("hide");
    let listed = match mail::list(&state.office, holder.user.mailbox_id, folder_id, at, hide_receipts).await {
        Ok(l) => l,
        Err(e) => return office_error(ui, e),
    };
    page(&ListPage {
        ui,
        title: super::folders::label(ui, &listed.name).to_string(),
        folder_id: listed.folder_id,
        total: listed.messages,
        rows: listed.rows.iter().map(|r| row_view(ui, r)).collect(),
        newer: listed.newer.map(|c| c.to_string()),
        older: listed.older.map(|c| c.to_string()),
        first: matches!(at, Position::Newest) || listed.newer.is_none(),
        hide_receipts,
        keep: if hide_receipts { "&receipts=hide" } else { "" },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_read_them() {
        assert_eq!(size_text(Lang::En, 900), "900 B");
        assert_eq!(size_text(Lang::En, 1500), "2 KB");
        assert_eq!(size_text(Lang::It, 1_572_864), "1,5 MB");
    }
}
