//! One message (`/message/{id}`): for a transport envelope the message inside
//! (its sender, subject, text, attachments) and the certification in words; for
//! an anomaly envelope why it is one; for a receipt what it proves, linking to
//! the sent message's timeline. The proof actions (`proof_actions.html`) close
//! the page. Opening it marks the message read (the office does, through the
//! store's flag change that IMAP sees).
//!
//! A message's HTML never shares a document with the page: it is served alone
//! by `/message/{id}/html` with a CSP that sandboxes it (no script, no form,
//! no remote content: images only as `data:`), and shown in an
//! `<iframe sandbox>` (HTML 4.8.5: without `allow-scripts` nothing runs, and
//! without `allow-same-origin` the frame cannot reach the page or its cookies).
//! Attachments download from `/message/{id}/part/{n}` as attachments.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use askama::Template;
use office::mail::read::{Anomaly, Certification, ReceiptFacts};
use office::mail::{self, Category, MessageView};
use office::receipts::{self, ProofActions};
use pec::verdict::Outcome;

use crate::AppState;
use crate::auth::Holder;
use crate::i18n::Texts;
use crate::ui::{Ui, error_page, office_error, page};

pub const TEXTS: Texts = &[
    ("read.from", "Da", "From"),
    ("read.to", "A", "To"),
    ("read.cc", "Cc", "Cc"),
    ("read.date", "Data", "Date"),
    ("read.arrived", "Arrivato il", "Arrived on"),
    ("read.msgid", "Message-ID", "Message-ID"),
    ("read.attachments", "Allegati", "Attachments"),
    ("read.html", "Versione HTML del messaggio", "The message's HTML version"),
    (
        "read.html_note",
        "La versione HTML è mostrata isolata: nessuno script e nessun contenuto esterno.",
        "The HTML version is shown isolated: no script and no remote content.",
    ),
    ("read.no_text", "(nessun testo)", "(no text)"),
    ("read.back", "Torna alla cartella", "Back to the folder"),
    ("read.reply", "Rispondi", "Reply"),
    ("read.forward", "Inoltra", "Forward"),
    (
        "read.envelope",
        "Messaggio di posta certificata: qui sotto il messaggio che contiene.",
        "A certified message: the message it carries is below.",
    ),
    ("read.envelope_subject", "Oggetto della busta", "Envelope subject"),
    ("cert.title", "Certificazione", "Certification"),
    ("cert.sent_by", "Inviato da", "Sent by"),
    ("cert.legal_time", "Data e ora legale", "Legal time"),
    ("cert.identificativo", "Identificativo", "Identificativo"),
    (
        "cert.receipt_type",
        "Tipo di ricevuta richiesta",
        "Receipt type asked for",
    ),
    ("cert.issued_by", "Emesso da", "Issued by"),
    ("cert.signature", "Firma del gestore", "The provider's signature"),
    (
        "cert.valid_trusted",
        "valida, di un gestore dell'indice",
        "valid, of a provider in the index",
    ),
    (
        "cert.valid_not_trusted",
        "valida, ma il firmatario non è un gestore dell'indice",
        "valid, but the signer is not a provider in the index",
    ),
    ("cert.valid", "valida", "valid"),
    (
        "cert.invalid",
        "NON valida: il contenuto è stato alterato dopo la firma",
        "NOT valid: the content was altered after signing",
    ),
    (
        "cert.unreadable",
        "non verificabile: manca una firma leggibile",
        "cannot be checked: no readable signature",
    ),
    ("cert.signer", "Firmatario", "Signer"),
    ("cert.provider", "Gestore", "Provider"),
    ("cert.problems", "Rilievi", "Findings"),
    ("anomaly.title", "Perché è un'anomalia", "Why it is an anomaly"),
    (
        "anomaly.what",
        "Il gestore ha ricevuto questo messaggio ma non è una PEC valida: lo consegna in una busta di anomalia, che non prova l'invio.",
        "The provider received this message but it is not a valid PEC: it is delivered in an anomaly envelope, which does not prove sending.",
    ),
    ("anomaly.error", "Errore indicato", "Error stated"),
    ("receipt.title", "Ricevuta", "Receipt"),
    ("receipt.recipient", "Destinatario", "Recipient"),
    ("receipt.error", "Motivo", "Reason"),
    (
        "receipt.timeline",
        "Vedi la storia del messaggio inviato",
        "See the sent message's story",
    ),
    (
        "proves.accettazione",
        "Prova che il gestore del mittente ha accettato il messaggio per l'invio.",
        "Proves that the sender's provider accepted the message for sending.",
    ),
    (
        "proves.non-accettazione",
        "Dice che il gestore del mittente non ha accettato il messaggio: non è stato inviato.",
        "Says that the sender's provider did not accept the message: it was not sent.",
    ),
    (
        "proves.presa-in-carico",
        "Prova che il gestore del destinatario ha preso in carico il messaggio.",
        "Proves that the recipient's provider took the message over.",
    ),
    (
        "proves.avvenuta-consegna",
        "Prova che il messaggio è stato consegnato nella casella del destinatario, all'ora indicata.",
        "Proves that the message was delivered to the recipient's mailbox, at the time stated.",
    ),
    (
        "proves.errore-consegna",
        "Dice che il messaggio non è stato consegnato al destinatario, e perché.",
        "Says that the message was not delivered to the recipient, and why.",
    ),
    (
        "proves.preavviso-errore-consegna",
        "Avvisa che entro 12 ore non è arrivata conferma di consegna.",
        "Warns that no delivery confirmation arrived within 12 hours.",
    ),
    (
        "proves.rilevazione-virus",
        "Dice che nel messaggio è stato trovato un virus e non è stato consegnato.",
        "Says that a virus was found in the message and it was not delivered.",
    ),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/message/{id}", get(message))
        .route("/message/{id}/html", get(html))
        .route("/message/{id}/part/{n}", get(part))
}

/// The policy of a message's HTML (W3C CSP Level 3 `sandbox`): a unique
/// origin where no script, form, plugin or remote content runs or loads;
/// inline styles and `data:` images only; framed by this site's pages only.
pub const MESSAGE_HTML_POLICY: &str =
    "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'self'";

fn not_found(ui: &Ui) -> Response {
    error_page(ui, StatusCode::NOT_FOUND, ui.t("error.not_found"))
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    ui: &'a Ui,
    view: &'a MessageView,
    subject: String,
    kind: &'static str,
    badge: &'static str,
    badge_class: &'static str,
    arrived: String,
    size: String,
    certification: Option<CertView<'a>>,
    anomaly: Option<&'a Anomaly>,
    receipt: Option<ReceiptView<'a>>,
    /// The timeline of the message the holder sent that this is a copy of.
    timeline: Option<String>,
    proof: Option<ProofActions>,
}

struct CertView<'a> {
    c: &'a Certification,
    legal_time: Option<String>,
    signature: &'static str,
    signature_class: &'static str,
}

struct ReceiptView<'a> {
    r: &'a ReceiptFacts,
    proves: &'static str,
    timeline: Option<String>,
}

impl MessagePage<'_> {
    /// The proof actions fragment's link to the bundle (`proof_actions.html`).
    fn bundle_href(&self, identificativo: &str) -> String {
        format!(
            "/proof/{}.zip",
            super::sent::href(identificativo).trim_start_matches("/sent/")
        )
    }
}

fn proves_key(kind: &str) -> &'static str {
    match kind {
        "accettazione" => "proves.accettazione",
        "non-accettazione" => "proves.non-accettazione",
        "presa-in-carico" => "proves.presa-in-carico",
        "avvenuta-consegna" => "proves.avvenuta-consegna",
        "errore-consegna" => "proves.errore-consegna",
        "preavviso-errore-consegna" => "proves.preavviso-errore-consegna",
        _ => "proves.rilevazione-virus",
    }
}

async fn message(State(state): State<AppState>, holder: Holder, Path(id): Path<String>) -> Response {
    let ui = &holder.ui;
    let Ok(id) = id.parse::<i64>() else {
        return not_found(ui);
    };
    let mailbox = holder.user.mailbox_id;
    let view = match mail::read(&state.office, mailbox, id).await {
        Ok(v) => v,
        Err(e) => return office_error(ui, e),
    };
    let proof = match receipts::actions(&state.office, mailbox, id).await {
        Ok(p) => Some(p),
        Err(e) => {
            tracing::warn!("the proof actions of message {id}: {e}");
            None
        }
    };
    let (badge, badge_class, kind) = match view.category {
        Category::Certified => ("badge.certified", "badge-certified", ui.t("category.certified")),
        Category::Receipt => (
            "badge.receipt",
            "badge-receipt",
            super::proof::kind_text(ui, view.pec_kind.as_deref().unwrap_or_default()),
        ),
        Category::Anomaly => ("badge.anomaly", "badge-anomaly", ui.t("category.anomaly")),
        Category::SentPec => ("badge.certified", "badge-certified", ui.t("category.sent")),
        Category::Ordinary => ("badge.ordinary", "badge-ordinary", ui.t("category.ordinary")),
    };
    let certification = view.certification.as_ref().map(|c| {
        let (key, class) = match c.outcome {
            Outcome::ValidTrusted => ("cert.valid_trusted", "state-ok"),
            Outcome::ValidNotTrusted => ("cert.valid_not_trusted", "state-wait"),
            Outcome::ValidTrustNotChecked => ("cert.valid", "state-ok"),
            Outcome::Invalid => ("cert.invalid", "state-bad"),
            Outcome::Unreadable | Outcome::NotPec => ("cert.unreadable", "state-bad"),
        };
        CertView {
            c,
            legal_time: c.legal_time.as_ref().map(super::sent::legal),
            signature: ui.t(key),
            signature_class: class,
        }
    });
    let receipt = view.receipt.as_ref().map(|r| ReceiptView {
        r,
        proves: ui.t(proves_key(&r.kind)),
        timeline: r.sent_by_holder.as_deref().map(super::sent::href),
    });
    let subject = if view.shown.subject.trim().is_empty() {
        ui.t("list.no_subject").to_string()
    } else {
        view.shown.subject.clone()
    };
    page(&MessagePage {
        ui,
        view: &view,
        subject,
        kind,
        badge: ui.t(badge),
        badge_class,
        arrived: super::sent::legal(&view.arrived),
        size: super::mail::size_text(ui.lang, view.size),
        certification,
        anomaly: view.anomaly.as_ref(),
        timeline: match view.category {
            Category::SentPec => proof.as_ref().and_then(|p| p.sent.as_deref()).map(super::sent::href),
            _ => None,
        },
        receipt,
        proof,
    })
}

/// The message's HTML alone, sandboxed by its own policy.
async fn html(State(state): State<AppState>, holder: Holder, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found(&holder.ui);
    };
    match mail::html(&state.office, holder.user.mailbox_id, id).await {
        Ok(html) => {
            let mut r = html.into_response();
            let h = r.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(MESSAGE_HTML_POLICY),
            );
            // Framed by this site's message page (the default is DENY).
            h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
            r
        }
        Err(e) => office_error(&holder.ui, e),
    }
}

async fn part(State(state): State<AppState>, holder: Holder, Path((id, n)): Path<(String, String)>) -> Response {
    let (Ok(id), Ok(n)) = (id.parse::<i64>(), n.parse::<usize>()) else {
        return not_found(&holder.ui);
    };
    match mail::part(&state.office, holder.user.mailbox_id, id, n).await {
        Ok(p) => {
            let mut r = (StatusCode::OK, p.bytes).into_response();
            let h = r.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_str(&media_type(&p.content_type))
                    .unwrap_or(HeaderValue::from_static("application/octet-stream")),
            );
            if let Ok(v) = HeaderValue::from_str(&disposition(&p.name)) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            r
        }
        Err(e) => office_error(&holder.ui, e),
    }
}

/// The part's media type if it is a plain `type/subtype` token pair (RFC 6838
/// 4.2), else `application/octet-stream`. It is always sent as an attachment
/// (and `nosniff`), so even `text/html` downloads instead of rendering.
fn media_type(text: &str) -> String {
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    match text.split_once('/') {
        Some((t, s)) if token(t) && token(s) => text.to_ascii_lowercase(),
        _ => "application/octet-stream".to_string(),
    }
}

/// `attachment` with an ASCII `filename` and the exact name as `filename*`
/// (RFC 6266 4.1, RFC 8187 3.2).
fn disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || " .-_()+,@".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downloads_are_never_pages() {
        assert_eq!(media_type("application/pdf"), "application/pdf");
        assert_eq!(media_type("Text/HTML"), "text/html");
        assert_eq!(media_type("bad type\r\n"), "application/octet-stream");
        assert_eq!(
            disposition("atto \"1\".pdf"),
            "attachment; filename=\"atto _1_.pdf\"; filename*=UTF-8''atto%20%221%22.pdf"
        );
    }
}
