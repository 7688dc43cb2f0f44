//! Proof: any message as its original `.eml`, the proof bundle of a sent
//! message, and the receipts' actions (archive outside the quota; delete,
//! refused for a receipt that proves a message the mailbox keeps).
//!
//! The message page (another module) includes the actions as the fragment of
//! `GET /message/{id}/proof` (`templates/proof_actions.html`, e.g. with
//! `hx-get` on load, or `{% include %}` with a `proof: ProofActions` in scope).

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};

use askama::Template;
use office::receipts::{self, ProofActions};
use serde::Deserialize;

use crate::AppState;
use crate::auth::Holder;
use crate::i18n::Texts;
use crate::ui::{Ui, error_page, office_error, page};

pub const TEXTS: Texts = &[
    ("proof.title", "Prova", "Proof"),
    ("proof.actions", "Prova e ricevute", "Proof and receipts"),
    (
        "proof.eml",
        "Scarica l'originale (.eml)",
        "Download the original (.eml)",
    ),
    (
        "proof.bundle",
        "Scarica la prova di invio (ZIP per l'avvocato)",
        "Download the proof of sending (ZIP for a lawyer)",
    ),
    (
        "proof.archive",
        "Archivia le ricevute di questo messaggio",
        "Archive this message's receipts",
    ),
    (
        "proof.archive_hint",
        "Le ricevute archiviate restano nella casella ma non occupano spazio.",
        "Archived receipts stay in the mailbox but take no space.",
    ),
    (
        "proof.archived_count",
        "ricevute già archiviate",
        "receipts already archived",
    ),
    ("proof.delete", "Elimina", "Delete"),
    (
        "proof.protected",
        "Questa ricevuta non si può eliminare: è la prova di un messaggio inviato che la casella conserva. \
         Eliminare prima il messaggio, oppure archiviare le ricevute (l'archivio non occupa spazio).",
        "This receipt cannot be deleted: it is the proof of a sent message the mailbox keeps. \
         Delete the message first, or archive the receipts (the archive takes no space).",
    ),
    ("proof.done", "Fatto", "Done"),
    (
        "proof.archived",
        "Ricevute archiviate nella cartella",
        "Receipts archived in the folder",
    ),
    ("proof.freed", "Spazio liberato (byte)", "Space freed (bytes)"),
    (
        "proof.deleted_trash",
        "Messaggio spostato nel cestino.",
        "Message moved to the Trash.",
    ),
    (
        "proof.deleted",
        "Messaggio eliminato definitivamente.",
        "Message deleted for good.",
    ),
    ("proof.back", "Torna alle cartelle", "Back to the folders"),
    (
        "proof.kind.busta-trasporto",
        "Messaggio PEC (busta di trasporto)",
        "PEC message (transport envelope)",
    ),
    ("proof.kind.busta-anomalia", "Busta di anomalia", "Anomaly envelope"),
    (
        "proof.kind.accettazione",
        "Ricevuta di accettazione",
        "Acceptance receipt",
    ),
    (
        "proof.kind.non-accettazione",
        "Avviso di non accettazione",
        "Non-acceptance notice",
    ),
    (
        "proof.kind.presa-in-carico",
        "Ricevuta di presa in carico",
        "Take-over receipt",
    ),
    (
        "proof.kind.avvenuta-consegna",
        "Ricevuta di avvenuta consegna",
        "Delivery receipt",
    ),
    (
        "proof.kind.errore-consegna",
        "Avviso di mancata consegna",
        "Non-delivery notice",
    ),
    (
        "proof.kind.preavviso-errore-consegna",
        "Preavviso di mancata consegna (12 ore)",
        "Non-delivery warning (12 hours)",
    ),
    (
        "proof.kind.rilevazione-virus",
        "Avviso di rilevazione virus",
        "Virus detection notice",
    ),
    ("proof.kind.other", "Messaggio", "Message"),
];

/// A PEC kind in the page's language.
pub fn kind_text(ui: &Ui, kind: &str) -> &'static str {
    ui.t(match kind {
        "busta-trasporto" => "proof.kind.busta-trasporto",
        "busta-anomalia" => "proof.kind.busta-anomalia",
        "accettazione" => "proof.kind.accettazione",
        "non-accettazione" => "proof.kind.non-accettazione",
        "presa-in-carico" => "proof.kind.presa-in-carico",
        "avvenuta-consegna" => "proof.kind.avvenuta-consegna",
        "errore-consegna" => "proof.kind.errore-consegna",
        "preavviso-errore-consegna" => "proof.kind.preavviso-errore-consegna",
        "rilevazione-virus" => "proof.kind.rilevazione-virus",
        _ => "proof.kind.other",
    })
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/message/{id}/eml", get(eml))
        .route("/message/{id}/proof", get(actions))
        .route("/message/{id}/receipts/archive", post(archive))
        .route("/message/{id}/delete", post(delete))
        .route("/proof/{file}", get(bundle))
}

/// What a path id that is not a number names: a message that does not exist.
fn not_found(ui: &Ui) -> Response {
    error_page(ui, StatusCode::NOT_FOUND, ui.t("error.not_found"))
}

fn attachment(content_type: &'static str, file_name: &str, body: Body) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // The office's names are letters, digits and `@._-` only (RFC 6266 4.1).
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

async fn eml(State(state): State<AppState>, holder: Holder, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found(&holder.ui);
    };
    match office::proof::eml(&state.office, holder.user.mailbox_id, id).await {
        // RFC 2046 5.2.1: a whole message, as it was stored.
        Ok(eml) => attachment("message/rfc822", &eml.file_name, Body::from(eml.bytes)),
        Err(e) => office_error(&holder.ui, e),
    }
}

/// `/proof/<identificativo>.zip`: the bundle, streamed from its temporary file.
async fn bundle(State(state): State<AppState>, holder: Holder, Path(file): Path<String>) -> Response {
    let Some(identificativo) = file.strip_suffix(".zip") else {
        return not_found(&holder.ui);
    };
    match office::proof::bundle(&state.office, holder.user.mailbox_id, identificativo).await {
        Ok(b) => {
            let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(b.file));
            let mut r = attachment("application/zip", &b.report.file_name, Body::from_stream(stream));
            if let Ok(len) = HeaderValue::from_str(&b.size.to_string()) {
                r.headers_mut().insert(header::CONTENT_LENGTH, len);
            }
            r
        }
        Err(e) => office_error(&holder.ui, e),
    }
}

#[derive(Template)]
#[template(path = "proof_actions.html")]
struct ActionsFragment<'a> {
    ui: &'a Ui,
    proof: &'a ProofActions,
}

impl ActionsFragment<'_> {
    fn bundle_href(&self, identificativo: &str) -> String {
        bundle_href(identificativo)
    }
}

async fn actions(State(state): State<AppState>, holder: Holder, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found(&holder.ui);
    };
    match receipts::actions(&state.office, holder.user.mailbox_id, id).await {
        Ok(proof) => page(&ActionsFragment {
            ui: &holder.ui,
            proof: &proof,
        }),
        Err(e) => office_error(&holder.ui, e),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

#[derive(Template)]
#[template(path = "proof_done.html")]
struct DonePage<'a> {
    ui: &'a Ui,
    archived: Option<&'a receipts::Archived>,
    deleted: Option<&'a receipts::Deleted>,
}

async fn archive(
    State(state): State<AppState>,
    holder: Holder,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Some(refused) = holder.refuse_without_token(&form.csrf) {
        return refused;
    }
    let Ok(id) = id.parse::<i64>() else {
        return not_found(&holder.ui);
    };
    match receipts::archive(&state.office, holder.user.mailbox_id, id).await {
        Ok(archived) => page(&DonePage {
            ui: &holder.ui,
            archived: Some(&archived),
            deleted: None,
        }),
        Err(e) => office_error(&holder.ui, e),
    }
}

async fn delete(
    State(state): State<AppState>,
    holder: Holder,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Some(refused) = holder.refuse_without_token(&form.csrf) {
        return refused;
    }
    let Ok(id) = id.parse::<i64>() else {
        return not_found(&holder.ui);
    };
    match receipts::delete(&state.office, holder.user.mailbox_id, id).await {
        Ok(deleted) => page(&DonePage {
            ui: &holder.ui,
            archived: None,
            deleted: Some(&deleted),
        }),
        // The office's reason names the message it proves; the page says it in its language.
        Err(office::Error::Refused {
            field: Some("message"), ..
        }) => error_page(&holder.ui, StatusCode::CONFLICT, holder.ui.t("proof.protected")),
        Err(e) => office_error(&holder.ui, e),
    }
}

/// Percent-encodes a path segment (RFC 3986 3.3: unreserved characters and `@` stay).
/// The address of the proof bundle of the sent message `identificativo`.
pub(crate) fn bundle_href(identificativo: &str) -> String {
    format!("/proof/{}.zip", percent(identificativo))
}

fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
