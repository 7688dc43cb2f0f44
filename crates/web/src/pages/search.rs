//! Search (`/search`): a form by sender, recipient, subject, arrival dates,
//! identificativo, Message-ID, kind and "not delivered", and its results as a
//! list like a folder's, newest first, a page at a time (the next page's link
//! keeps the form's fields and the last row's key).

use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;

use askama::Template;
use chrono::NaiveDate;
use office::mail::{self, Cursor, KindFilter};
use serde::Deserialize;

use super::mail::{RowView, row_view};
use crate::AppState;
use crate::auth::Holder;
use crate::i18n::Texts;
use crate::ui::{Ui, office_error, page};

pub const TEXTS: Texts = &[
    ("search.title", "Cerca nella casella", "Search the mailbox"),
    ("search.from", "Mittente (indirizzo o nome)", "Sender (address or name)"),
    ("search.to", "Destinatario (indirizzo)", "Recipient (address)"),
    ("search.subject", "Oggetto contiene", "Subject contains"),
    ("search.since", "Arrivato dal", "Arrived from"),
    ("search.until", "Arrivato fino al", "Arrived until"),
    ("search.identificativo", "Identificativo PEC", "PEC identificativo"),
    ("search.msgid", "Message-ID", "Message-ID"),
    ("search.kind", "Tipo", "Kind"),
    ("search.kind_any", "Qualsiasi", "Any"),
    ("search.kind_certified", "Messaggi certificati", "Certified messages"),
    ("search.kind_receipt", "Ricevute e avvisi", "Receipts and notices"),
    ("search.kind_anomaly", "Buste di anomalia", "Anomaly envelopes"),
    (
        "search.kind_ordinary",
        "Posta ordinaria e copie inviate",
        "Ordinary mail and sent copies",
    ),
    (
        "search.not_delivered",
        "Solo i messaggi inviati non consegnati a qualche destinatario",
        "Only sent messages not delivered to some recipient",
    ),
    ("search.submit", "Cerca", "Search"),
    ("search.results", "Risultati", "Results"),
    ("search.none", "Nessun messaggio trovato.", "No message found."),
    ("search.more", "Risultati meno recenti", "Older results"),
    (
        "search.bad_date",
        "Data non valida (AAAA-MM-GG)",
        "Not a valid date (YYYY-MM-DD)",
    ),
];

pub fn routes() -> Router<AppState> {
    Router::new().route("/search", get(search))
}

/// The form as typed (kept in the page and in the next page's link).
#[derive(Debug, Clone, Default, Deserialize)]
struct Form {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    since: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    identificativo: String,
    #[serde(default)]
    msgid: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    not_delivered: Option<String>,
    #[serde(default)]
    older: Option<String>,
}

impl Form {
    /// The form's fields as a query string, for the next page.
    fn query(&self) -> String {
        let mut pairs = vec![
            ("from", self.from.as_str()),
            ("to", self.to.as_str()),
            ("subject", self.subject.as_str()),
            ("since", self.since.as_str()),
            ("until", self.until.as_str()),
            ("identificativo", self.identificativo.as_str()),
            ("msgid", self.msgid.as_str()),
            ("kind", self.kind.as_str()),
        ];
        if self.not_delivered.is_some() {
            pairs.push(("not_delivered", "1"));
        }
        pairs
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// `application/x-www-form-urlencoded` (WHATWG URL 5.2).
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => (b as char).to_string(),
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage<'a> {
    ui: &'a Ui,
    form: Form,
    searched: bool,
    rows: Vec<RowView>,
    more: Option<String>,
    bad_date: Option<&'static str>,
}

fn date(text: &str) -> Result<Option<NaiveDate>, ()> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map(Some).map_err(|_| ())
}

async fn search(State(state): State<AppState>, holder: Holder, Query(form): Query<Form>) -> Response {
    let ui = &holder.ui;
    let (since, until) = match (date(&form.since), date(&form.until)) {
        (Ok(s), Ok(u)) => (s, u),
        (Err(()), _) => return show(ui, form, Vec::new(), None, Some("since")),
        (_, Err(())) => return show(ui, form, Vec::new(), None, Some("until")),
    };
    let older = match form.older.as_deref().map(str::parse::<Cursor>).transpose() {
        Ok(c) => c,
        Err(e) => return office_error(ui, e),
    };
    let blank = |t: &str| Some(t.trim().to_string()).filter(|t| !t.is_empty());
    let q = mail::Query {
        from: blank(&form.from),
        recipient: blank(&form.to),
        subject: blank(&form.subject),
        since,
        until,
        identificativo: blank(&form.identificativo),
        message_id: blank(&form.msgid),
        kind: KindFilter::parse(&form.kind),
        not_delivered: form.not_delivered.is_some(),
        older,
    };
    if q.is_empty() {
        return show(ui, form, Vec::new(), None, None);
    }
    match mail::search(&state.office, holder.user.mailbox_id, &q).await {
        Ok(found) => {
            let rows = found.rows.iter().map(|r| row_view(ui, r)).collect();
            let more = found.older.map(|c| {
                let q = form.query();
                format!("/search?{q}{}older={c}", if q.is_empty() { "" } else { "&" })
            });
            let mut shown = form;
            shown.older = None;
            show(ui, shown, rows, more, None)
        }
        Err(e) => office_error(ui, e),
    }
}

fn show(ui: &Ui, form: Form, rows: Vec<RowView>, more: Option<String>, bad_date: Option<&'static str>) -> Response {
    let searched = bad_date.is_none()
        && !(form.from.is_empty()
            && form.to.is_empty()
            && form.subject.is_empty()
            && form.since.is_empty()
            && form.until.is_empty()
            && form.identificativo.is_empty()
            && form.msgid.is_empty()
            && KindFilter::parse(&form.kind).is_none()
            && form.not_delivered.is_none());
    page(&SearchPage {
        ui,
        form,
        searched,
        rows,
        more,
        bad_date,
    })
}
