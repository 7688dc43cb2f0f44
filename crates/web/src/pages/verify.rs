//! The public receipt verifier (no login): upload a PEC `.eml` of any provider
//! and read the verdict of `certa inspect` / `certa verify` as a page
//! (`office::verify`). Nothing uploaded is stored. It is public, so each client
//! address gets an allowance per window (`office::verify::Limiter`, one per
//! router) and an upload is cut off past `office::verify::MAX_SIZE`.

use std::sync::Arc;

use axum::extract::{ConnectInfo, DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};

use askama::Template;
use office::verify::{self, Limiter, MAX_SIZE, Verification};
use pec::verdict::Outcome;

use crate::AppState;
use crate::i18n::Texts;
use crate::tls::Peer;
use crate::ui::{Ui, office_error, page};

pub const TEXTS: Texts = &[
    ("verify.title", "Verifica di una PEC", "Verify a PEC"),
    (
        "verify.intro",
        "Carica il file .eml di una PEC (un messaggio, una ricevuta, un avviso) di qualsiasi gestore: \
         se ne leggono il tipo, le parti, l'ora legale e la firma. Il file non viene conservato.",
        "Upload the .eml file of a PEC (a message, a receipt, a notice) of any provider: its kind, \
         parties, legal time and signature are read. The file is not kept.",
    ),
    (
        "verify.file",
        "File .eml (al massimo 30 MB)",
        ".eml file (30 MB at most)",
    ),
    ("verify.submit", "Verifica", "Verify"),
    ("verify.result", "Esito", "Result"),
    ("verify.kind", "Tipo", "Kind"),
    ("verify.subject", "Oggetto", "Subject"),
    ("verify.sender", "Mittente", "Sender"),
    ("verify.recipients", "Destinatari", "Recipients"),
    ("verify.legal_time", "Ora legale", "Legal time"),
    ("verify.identificativo", "Identificativo", "Identificativo"),
    ("verify.msgid", "Message-ID originale", "Original Message-ID"),
    ("verify.issued_by", "Emesso da", "Issued by"),
    (
        "verify.recipient",
        "Destinatario della ricevuta",
        "Recipient of the receipt",
    ),
    ("verify.error", "Errore", "Error"),
    ("verify.receipt_type", "Tipo di ricevuta", "Receipt type"),
    ("verify.signature", "Firma", "Signature"),
    ("verify.signer", "Firmatario", "Signer"),
    ("verify.signing_time", "Firmato il (UTC)", "Signed at (UTC)"),
    ("verify.digest", "Algoritmo di impronta", "Digest algorithm"),
    ("verify.chain", "Catena di certificati", "Certificate chain"),
    ("verify.provider", "Gestore dell'indice", "Provider of the index"),
    (
        "verify.no_provider",
        "Il firmatario non è un gestore dell'indice di questa installazione.",
        "The signer is not a provider of this installation's index.",
    ),
    ("verify.problems", "Problemi rilevati", "Problems found"),
    ("verify.no_problems", "Nessun problema rilevato.", "No problem found."),
    (
        "verify.details",
        "Dettaglio tecnico (come certa inspect)",
        "Technical detail (as certa inspect)",
    ),
    ("verify.not_pec", "Non è un messaggio PEC", "Not a PEC message"),
    (
        "verify.outcome.valid-trusted",
        "Firma valida di un gestore fidato",
        "Valid signature of a trusted provider",
    ),
    (
        "verify.outcome.valid-not-trusted",
        "Firma valida, ma il firmatario non è fidato",
        "Valid signature, but the signer is not trusted",
    ),
    (
        "verify.outcome.valid-trust-not-checked",
        "Firma valida, fiducia non verificata",
        "Valid signature, trust not checked",
    ),
    (
        "verify.outcome.invalid",
        "Firma NON valida: il contenuto è stato alterato dopo la firma",
        "INVALID signature: the content was altered after signing",
    ),
    (
        "verify.outcome.unreadable",
        "Nessuna firma leggibile",
        "No readable signature",
    ),
    ("verify.outcome.not-pec", "Non è un messaggio PEC", "Not a PEC message"),
    (
        "verify.too_large",
        "Il file supera i 30 MB: non è stato letto.",
        "The file is larger than 30 MB: it was not read.",
    ),
    (
        "verify.no_file",
        "Nessun file ricevuto: scegliere il file .eml da verificare.",
        "No file received: choose the .eml file to verify.",
    ),
    (
        "verify.bad_upload",
        "Il caricamento non è leggibile (non è un modulo multipart valido): riprovare.",
        "The upload cannot be read (not a valid multipart form): please try again.",
    ),
    (
        "verify.throttled",
        "Troppe verifiche da questo indirizzo: riprovare tra qualche minuto.",
        "Too many verifications from this address: try again in a few minutes.",
    ),
];

/// The verifier's routes, with their own allowance per client address and
/// their own body limit (a little above the file's, for the form around it).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/verify", get(form).post(upload))
        .layer(Extension(Arc::new(Limiter::default())))
        .layer(DefaultBodyLimit::max(MAX_SIZE + 64 * 1024))
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage<'a> {
    ui: &'a Ui,
    result: Option<&'a Verification>,
    problem: Option<&'a str>,
}

impl VerifyPage<'_> {
    fn outcome_text(&self, outcome: &Outcome) -> &'static str {
        self.ui.t(match outcome {
            Outcome::ValidTrusted => "verify.outcome.valid-trusted",
            Outcome::ValidNotTrusted => "verify.outcome.valid-not-trusted",
            Outcome::ValidTrustNotChecked => "verify.outcome.valid-trust-not-checked",
            Outcome::Invalid => "verify.outcome.invalid",
            Outcome::Unreadable => "verify.outcome.unreadable",
            Outcome::NotPec => "verify.outcome.not-pec",
        })
    }

    fn outcome_class(&self, outcome: &Outcome) -> &'static str {
        match outcome {
            Outcome::ValidTrusted => "state-ok",
            Outcome::ValidNotTrusted | Outcome::ValidTrustNotChecked => "state-wait",
            _ => "state-bad",
        }
    }

    fn signed_at(&self, signature: &pec::smime::SignatureReport) -> Option<String> {
        signature
            .signing_time
            .map(|t| t.format("%d/%m/%Y %H:%M:%S").to_string())
    }

    fn kind_text(&self, kind: &str) -> &'static str {
        super::proof::kind_text(self.ui, kind)
    }
}

async fn form(ui: Ui) -> Response {
    page(&VerifyPage {
        ui: &ui,
        result: None,
        problem: None,
    })
}

fn refused(ui: &Ui, status: StatusCode, problem: &str) -> Response {
    let mut r = page(&VerifyPage {
        ui,
        result: None,
        problem: Some(problem),
    });
    *r.status_mut() = status;
    r
}

async fn upload(
    State(state): State<AppState>,
    ConnectInfo(Peer(peer)): ConnectInfo<Peer>,
    Extension(limiter): Extension<Arc<Limiter>>,
    ui: Ui,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    if verify::admit(&state.office, &limiter, peer.ip()).is_err() {
        return refused(&ui, StatusCode::TOO_MANY_REQUESTS, ui.t("verify.throttled"));
    }
    let Ok(mut multipart) = multipart else {
        return refused(&ui, StatusCode::BAD_REQUEST, ui.t("verify.bad_upload"));
    };
    let raw = match read_file(&mut multipart).await {
        Ok(Some(raw)) => raw,
        Ok(None) => return refused(&ui, StatusCode::UNPROCESSABLE_ENTITY, ui.t("verify.no_file")),
        Err(Upload::TooLarge) => return refused(&ui, StatusCode::PAYLOAD_TOO_LARGE, ui.t("verify.too_large")),
        Err(Upload::Unreadable) => return refused(&ui, StatusCode::BAD_REQUEST, ui.t("verify.bad_upload")),
    };
    match verify::verify(&state.office, raw).await {
        Ok(result) => page(&VerifyPage {
            ui: &ui,
            result: Some(&result),
            problem: None,
        }),
        Err(office::Error::Invalid { .. }) => refused(&ui, StatusCode::UNPROCESSABLE_ENTITY, ui.t("verify.no_file")),
        Err(e) => office_error(&ui, e),
    }
}

enum Upload {
    TooLarge,
    Unreadable,
}

/// The `message` field's bytes, read chunk by chunk and cut off past the limit.
async fn read_file(multipart: &mut Multipart) -> Result<Option<Vec<u8>>, Upload> {
    let failed = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Upload::TooLarge
        } else {
            Upload::Unreadable
        }
    };
    while let Some(mut field) = multipart.next_field().await.map_err(failed)? {
        if field.name() != Some("message") {
            continue;
        }
        let mut raw = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(failed)? {
            if raw.len() + chunk.len() > MAX_SIZE {
                return Err(Upload::TooLarge);
            }
            raw.extend_from_slice(&chunk);
        }
        return Ok(Some(raw).filter(|r: &Vec<u8>| !r.is_empty()));
    }
    Ok(None)
}
