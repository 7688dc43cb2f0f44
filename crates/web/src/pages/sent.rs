//! What happened to every message the mailbox sent: the Sent folder at a glance
//! (`/sent`) and one message's timeline per recipient (`/sent/{identificativo}`),
//! which stays live while the page is open: htmx polls its fragment
//! (`/sent/{identificativo}/progress`) every 3 seconds, the server answers 204
//! while nothing changed, and the fragment stops polling once every recipient
//! has its final word. The office tells the story; this module says it.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use askama::Template;
use chrono::{DateTime, FixedOffset};
use office::sent::{self, Acceptance, EventKind, Overall, Reason, Standing, Timeline, Why};
use serde::Deserialize;

use crate::AppState;
use crate::auth::Holder;
use crate::i18n::{Lang, Texts};
use crate::ui::{Ui, office_error, page};

pub const TEXTS: Texts = &[
    ("sent.title", "Posta inviata", "Sent"),
    ("sent.empty", "Nessun messaggio inviato.", "No message sent."),
    ("sent.subject", "Oggetto", "Subject"),
    ("sent.accepted", "Accettato il", "Accepted on"),
    ("sent.recipients", "Destinatari", "Recipients"),
    ("sent.state", "Stato", "State"),
    ("sent.older", "Messaggi meno recenti", "Older messages"),
    ("sent.newest", "Torna ai più recenti", "Back to the newest"),
    ("sent.write", "Scrivi un messaggio", "Write a message"),
    ("sent.no_subject", "(senza oggetto)", "(no subject)"),
    (
        "sent.receipts_note",
        "Le ricevute di ogni messaggio sono nella sua pagina, non in questo elenco.",
        "Each message's receipts are on its page, not in this list.",
    ),
    (
        "sent.overall.delivered",
        "Consegnato a tutti ({n})",
        "Delivered to all ({n})",
    ),
    (
        "sent.overall.pending",
        "In corso: {done} di {n} con esito, nessun errore",
        "In progress: {done} of {n} with a final word, no failure",
    ),
    (
        "sent.overall.failed_some",
        "Non consegnato a {failed} di {n} ({done} consegnati, {pending} in corso)",
        "Not delivered to {failed} of {n} ({done} delivered, {pending} in progress)",
    ),
    (
        "sent.overall.failed_all",
        "Non consegnato a nessuno dei {n} destinatari",
        "Delivered to none of the {n} recipients",
    ),
    ("message.title", "Messaggio inviato", "Sent message"),
    (
        "message.just_sent",
        "Messaggio accettato dal punto di accesso. Identificativo:",
        "Message accepted by the access point. Identificativo:",
    ),
    ("message.identificativo", "Identificativo", "Identificativo"),
    ("message.msgid", "Message-ID originale", "Original Message-ID"),
    ("message.receipt_kind", "Tipo di ricevuta", "Receipt type"),
    ("message.accepted_at", "Accettato il", "Accepted on"),
    (
        "message.not_accepted",
        "Il messaggio non è stato accettato dal punto di accesso e non è stato inviato a nessuno. Motivi:",
        "The message was not accepted by the access point and went to nobody. Reasons:",
    ),
    ("message.notice", "Avviso di non accettazione", "Non-acceptance notice"),
    ("message.per_recipient", "Per destinatario", "Per recipient"),
    (
        "message.live",
        "Questa pagina si aggiorna da sola finché ogni destinatario non ha un esito finale.",
        "This page updates itself until every recipient has a final word.",
    ),
    (
        "message.final",
        "Ogni destinatario ha il suo esito finale.",
        "Every recipient has its final word.",
    ),
    ("message.certified", "posta certificata", "certified mail"),
    ("message.ordinary", "posta ordinaria", "ordinary mail"),
    (
        "message.local",
        "casella di questo gestore",
        "a mailbox of this provider",
    ),
    ("message.receipt", "ricevuta", "receipt"),
    (
        "message.from_records",
        "dai registri del gestore",
        "from the provider's records",
    ),
    ("message.issued_by", "emessa da", "issued by"),
    ("message.back", "Torna alla posta inviata", "Back to Sent"),
    (
        "event.accepted",
        "Accettato dal gestore del mittente",
        "Accepted by the sender's provider",
    ),
    (
        "event.not_accepted",
        "Non accettato dal gestore del mittente",
        "Not accepted by the sender's provider",
    ),
    (
        "event.taken_over",
        "Preso in carico dal gestore del destinatario",
        "Taken over by the recipient's provider",
    ),
    (
        "event.delivered",
        "Consegnato nella casella del destinatario",
        "Delivered to the recipient's mailbox",
    ),
    ("event.not_delivered", "Non consegnato", "Not delivered"),
    (
        "event.warning_12h",
        "Nessuna conferma entro 12 ore: preavviso di mancata consegna",
        "No confirmation within 12 hours: warning of non-delivery",
    ),
    (
        "event.timeout_24h",
        "Non consegnato entro 24 ore: avviso di mancata consegna",
        "Not delivered within 24 hours: non-delivery notice",
    ),
    (
        "standing.waiting",
        "In attesa di essere inoltrato",
        "Waiting to be handed on",
    ),
    (
        "standing.handed_on",
        "Inoltrato a {to}, in attesa della sua risposta",
        "Handed to {to}, waiting for its answer",
    ),
    (
        "standing.handed_on_someone",
        "Inoltrato al gestore del destinatario, in attesa della sua risposta",
        "Handed to the recipient's provider, waiting for its answer",
    ),
    (
        "standing.ordinary",
        "Inoltrato al server di posta ordinaria: per la posta ordinaria non arrivano ricevute",
        "Handed to the ordinary mail server: no receipt comes for ordinary mail",
    ),
    (
        "standing.taken_over",
        "Preso in carico, in attesa della consegna",
        "Taken over, waiting for delivery",
    ),
    ("standing.delivered", "Consegnato", "Delivered"),
    ("standing.not_delivered", "Non consegnato", "Not delivered"),
    ("standing.not_accepted", "Non accettato", "Not accepted"),
    (
        "reason.unknown_recipient",
        "destinatario inesistente",
        "the recipient does not exist",
    ),
    (
        "reason.unknown_domain",
        "il dominio non è gestito dal gestore del destinatario",
        "the domain is not one of the recipient's provider",
    ),
    (
        "reason.mailbox_disabled",
        "casella del destinatario disattivata",
        "the recipient's mailbox is disabled",
    ),
    (
        "reason.mailbox_closed",
        "casella del destinatario chiusa",
        "the recipient's mailbox is closed",
    ),
    (
        "reason.mailbox_full",
        "casella piena",
        "the recipient's mailbox is full",
    ),
    (
        "reason.timeout",
        "nessuna ricevuta di consegna entro il tempo massimo di 24 ore",
        "timeout of 24 hours: no delivery receipt arrived",
    ),
    (
        "reason.virus",
        "virus rilevato nel messaggio",
        "a virus was found in the message",
    ),
    (
        "reason.refused_by_server",
        "rifiutato dal server del destinatario",
        "refused by the recipient's mail server",
    ),
    (
        "reason.other",
        "motivo indicato dal gestore",
        "reason given by the provider",
    ),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sent", get(list))
        .route("/sent/{identificativo}", get(message))
        .route("/sent/{identificativo}/progress", get(progress))
}

// ---- the Sent folder

#[derive(Template)]
#[template(path = "sent.html")]
struct SentPage<'a> {
    ui: &'a Ui,
    rows: Vec<SentRow>,
    next: Option<i64>,
    first: bool,
}

struct SentRow {
    href: String,
    subject: String,
    accepted_at: String,
    recipients: i64,
    state: String,
    class: &'static str,
}

#[derive(Deserialize)]
struct ListQuery {
    before: Option<String>,
}

async fn list(State(state): State<AppState>, holder: Holder, Query(q): Query<ListQuery>) -> Response {
    let ui = &holder.ui;
    let Ok(before) = q.before.as_deref().map(str::parse::<i64>).transpose() else {
        return office_error(ui, office::Error::not_found("before", "no such page"));
    };
    let listed = match sent::list(&state.office, holder.user.mailbox_id, before).await {
        Ok(l) => l,
        Err(e) => return office_error(ui, e),
    };
    let rows = listed
        .messages
        .iter()
        .map(|m| {
            let n = m.recipients.to_string();
            let done = (m.delivered + m.handed_on).to_string();
            let (key, class) = match m.state {
                Overall::Delivered => ("sent.overall.delivered", "state-ok"),
                Overall::Pending => ("sent.overall.pending", "state-wait"),
                Overall::FailedForSome => ("sent.overall.failed_some", "state-bad"),
                Overall::FailedForAll => ("sent.overall.failed_all", "state-bad"),
            };
            let values = [
                ("n", n),
                ("done", done),
                ("failed", m.failed.to_string()),
                ("pending", m.pending.to_string()),
            ];
            SentRow {
                href: href(&m.identificativo),
                subject: if m.subject.trim().is_empty() {
                    ui.t("sent.no_subject").to_string()
                } else {
                    m.subject.clone()
                },
                accepted_at: legal(&m.accepted_at),
                recipients: m.recipients,
                state: fill(ui.t(key), &values),
                class,
            }
        })
        .collect();
    page(&SentPage {
        ui,
        rows,
        next: listed.next,
        first: q.before.is_none(),
    })
}

// ---- one message

#[derive(Template)]
#[template(path = "sent_message.html")]
struct MessagePage<'a> {
    ui: &'a Ui,
    just_sent: bool,
    view: TimelineView,
}

impl MessagePage<'_> {
    /// The proof bundle of the message, once the access point accepted it.
    fn bundle(&self) -> Option<String> {
        self.view
            .not_accepted
            .is_none()
            .then(|| super::proof::bundle_href(&self.view.identificativo))
    }
}

/// The live part of the page, alone (what htmx swaps in).
#[derive(Template)]
#[template(path = "sent_timeline.html")]
struct TimelineFragment<'a> {
    ui: &'a Ui,
    view: TimelineView,
}

struct TimelineView {
    identificativo: String,
    subject: String,
    msgid: Option<String>,
    receipt_kind: String,
    accepted_at: String,
    acceptance_receipt: Option<i64>,
    not_accepted: Option<Vec<String>>,
    notice: Option<i64>,
    recipients: Vec<RecipientView>,
    all_final: bool,
    /// The fragment's own URL with the stamp it shows.
    poll: String,
}

struct RecipientView {
    address: String,
    kind: &'static str,
    local: bool,
    state: String,
    class: &'static str,
    events: Vec<EventView>,
}

struct EventView {
    at: String,
    text: &'static str,
    why: Option<String>,
    receipt: Option<i64>,
    issued_by: Option<String>,
}

#[derive(Deserialize)]
struct MessageQuery {
    sent: Option<String>,
}

async fn message(
    State(state): State<AppState>,
    holder: Holder,
    Path(identificativo): Path<String>,
    Query(q): Query<MessageQuery>,
) -> Response {
    match sent::timeline(&state.office, holder.user.mailbox_id, &identificativo).await {
        Ok(t) => page(&MessagePage {
            ui: &holder.ui,
            just_sent: q.sent.is_some(),
            view: view(&holder.ui, &t),
        }),
        Err(e) => office_error(&holder.ui, e),
    }
}

#[derive(Deserialize)]
struct ProgressQuery {
    stamp: Option<String>,
}

/// The timeline fragment, or 204 (htmx swaps nothing) while its stamp is the
/// page's. An ended session reloads the page, which goes to the login.
async fn progress(
    State(state): State<AppState>,
    holder: Result<Holder, Response>,
    Path(identificativo): Path<String>,
    Query(q): Query<ProgressQuery>,
) -> Response {
    let Ok(holder) = holder else {
        let mut r = StatusCode::NO_CONTENT.into_response();
        r.headers_mut().insert("hx-refresh", HeaderValue::from_static("true"));
        return r;
    };
    let id = holder.user.mailbox_id;
    let now = match sent::progress(&state.office, id, &identificativo).await {
        Ok(p) => p,
        Err(e) => return office_error(&holder.ui, e),
    };
    if q.stamp.as_deref() == Some(now.stamp.as_str()) {
        return StatusCode::NO_CONTENT.into_response();
    }
    match sent::timeline(&state.office, id, &identificativo).await {
        Ok(t) => page(&TimelineFragment {
            ui: &holder.ui,
            view: view(&holder.ui, &t),
        }),
        Err(e) => office_error(&holder.ui, e),
    }
}

fn view(ui: &Ui, t: &Timeline) -> TimelineView {
    let (accepted_at, acceptance_receipt, not_accepted, notice) = match &t.acceptance {
        Acceptance::Accepted { at, receipt } => (legal(at), *receipt, None, None),
        Acceptance::NotAccepted { at, reasons, notice } => (legal(at), None, Some(reasons.clone()), *notice),
    };
    let recipients = t
        .recipients
        .iter()
        .map(|r| {
            let (state, class) = standing(ui, &r.standing);
            RecipientView {
                address: r.address.clone(),
                kind: ui.t(if r.certified {
                    "message.certified"
                } else {
                    "message.ordinary"
                }),
                local: r.local,
                state,
                class,
                events: r
                    .events
                    .iter()
                    .map(|e| EventView {
                        at: legal(&e.at),
                        text: ui.t(event_key(e.kind)),
                        why: e.why.as_ref().map(|w| why(ui, w)),
                        receipt: e.receipt,
                        issued_by: e.issued_by.clone(),
                    })
                    .collect(),
            }
        })
        .collect();
    TimelineView {
        poll: format!("{}/progress?stamp={}", href(&t.identificativo), t.stamp),
        identificativo: t.identificativo.clone(),
        subject: t.subject.clone(),
        msgid: t.msgid.clone(),
        receipt_kind: t.receipt_kind.clone(),
        accepted_at,
        acceptance_receipt,
        not_accepted,
        notice,
        recipients,
        all_final: t.all_final,
    }
}

fn event_key(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Accepted => "event.accepted",
        EventKind::NotAccepted => "event.not_accepted",
        EventKind::TakenOver => "event.taken_over",
        EventKind::Delivered => "event.delivered",
        EventKind::NotDelivered => "event.not_delivered",
        EventKind::Warning12h => "event.warning_12h",
        EventKind::Timeout24h => "event.timeout_24h",
    }
}

fn standing(ui: &Ui, s: &Standing) -> (String, &'static str) {
    match s {
        Standing::Waiting => (ui.t("standing.waiting").into(), "state-wait"),
        Standing::HandedOn { to: Some(to) } => (fill(ui.t("standing.handed_on"), &[("to", to.clone())]), "state-wait"),
        Standing::HandedOn { to: None } => (ui.t("standing.handed_on_someone").into(), "state-wait"),
        Standing::HandedToOrdinaryServer => (ui.t("standing.ordinary").into(), "state-ok"),
        Standing::TakenOver => (ui.t("standing.taken_over").into(), "state-wait"),
        Standing::Delivered => (ui.t("standing.delivered").into(), "state-ok"),
        Standing::NotDelivered { why: w } => (
            format!("{}: {}", ui.t("standing.not_delivered"), why(ui, w)),
            "state-bad",
        ),
        Standing::NotAccepted => (ui.t("standing.not_accepted").into(), "state-bad"),
    }
}

/// The reason in words, then what the provider wrote (`5.1.1, Certa Sud: indirizzo non valido`).
fn why(ui: &Ui, w: &Why) -> String {
    let key = match w.reason {
        Reason::UnknownRecipient => "reason.unknown_recipient",
        Reason::UnknownDomain => "reason.unknown_domain",
        Reason::MailboxDisabled => "reason.mailbox_disabled",
        Reason::MailboxClosed => "reason.mailbox_closed",
        Reason::MailboxFull => "reason.mailbox_full",
        Reason::Timeout => "reason.timeout",
        Reason::Virus => "reason.virus",
        Reason::RefusedByServer => "reason.refused_by_server",
        Reason::Other => "reason.other",
    };
    let said: Vec<&str> = [w.code.as_deref(), w.gestore.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    match (said.is_empty(), w.text.trim().is_empty()) {
        (true, true) => ui.t(key).to_string(),
        (true, false) => format!("{} ({})", ui.t(key), w.text.trim()),
        (false, _) => format!("{} ({}: {})", ui.t(key), said.join(", "), w.text.trim()),
    }
}

// ---- words shared with the compose page

/// A legal time as the receipts write it: `13/11/2018 16:39:26 (+0100)`.
pub(super) fn legal(at: &DateTime<FixedOffset>) -> String {
    at.format("%d/%m/%Y %H:%M:%S (%z)").to_string()
}

/// A text with `{name}` placeholders filled in.
pub(super) fn fill(text: &str, values: &[(&str, String)]) -> String {
    values.iter().fold(text.to_string(), |t, (name, value)| {
        t.replace(&format!("{{{name}}}"), value)
    })
}

/// A size in MB (of 1024 x 1024 bytes, the rules' MB), one decimal, in the page's language.
pub(super) fn megabytes(lang: Lang, bytes: u64) -> String {
    let text = format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0));
    match lang {
        Lang::It => text.replace('.', ","),
        Lang::En => text,
    }
}

/// The page of a sent message (the identificativo as one path segment, RFC 3986 3.3).
pub(super) fn href(identificativo: &str) -> String {
    let segment: String = identificativo
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' | b'+' | b'=' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("/sent/{segment}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identificativi_are_one_path_segment() {
        assert_eq!(href("certa.1.2@pec.test"), "/sent/certa.1.2@pec.test");
        assert_eq!(href("a/b?c#d"), "/sent/a%2Fb%3Fc%23d");
    }

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(fill("{a} di {b}", &[("a", "1".into()), ("b", "2".into())]), "1 di 2");
        assert_eq!(megabytes(Lang::It, 31_457_280), "30,0 MB");
        assert_eq!(megabytes(Lang::En, 1_572_864), "1.5 MB");
    }
}
