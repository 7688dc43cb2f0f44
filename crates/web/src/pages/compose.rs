//! Writing a PEC (`/compose`, `?reply={id}`, `?forward={id}`): the form with
//! the provider's limits shown before sending, and its submission. The form
//! arrives as multipart: text fields are read whole (each within the message's
//! limit), files are streamed into the office's [`Uploads`] as they arrive and
//! refused as soon as they pass what the provider accepts. The office writes
//! and submits the message through the access point; its problems are shown
//! beside the fields, with everything typed kept.

use axum::Router;
use axum::extract::multipart::MultipartError;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use askama::Template;
use office::compose::{self, Draft, Field, Limits, Outcome, Problem, Uploads, Writer};
use serde::Deserialize;
use store::mailboxes::Status;

use super::sent::{fill, href, megabytes};
use crate::AppState;
use crate::auth::Holder;
use crate::i18n::Texts;
use crate::ui::{Ui, error_page, office_error, page};

pub const TEXTS: Texts = &[
    ("compose.title", "Scrivi un messaggio PEC", "Write a PEC message"),
    ("compose.to", "A", "To"),
    ("compose.cc", "Cc", "Cc"),
    (
        "compose.addresses_hint",
        "Uno o più indirizzi separati da virgole, ad esempio mario.rossi@pec.it, Anna Bianchi <anna@pec.it>",
        "One or more addresses separated by commas, e.g. mario.rossi@pec.it, Anna Bianchi <anna@pec.it>",
    ),
    (
        "compose.no_bcc",
        "Nessun destinatario nascosto (Ccn): le regole della PEC non lo permettono, ogni destinatario è certificato e visibile a tutti (RFC 6109 3.1.1).",
        "No hidden recipients (Bcc): the PEC rules do not allow them; every recipient is certified and visible to all (RFC 6109 3.1.1).",
    ),
    ("compose.subject", "Oggetto", "Subject"),
    ("compose.text", "Testo", "Text"),
    ("compose.attachments", "Allegati", "Attachments"),
    (
        "compose.attachments_hint",
        "Si possono scegliere più file. Dopo un errore vanno scelti di nuovo: il browser non li conserva.",
        "Several files can be chosen. After an error choose them again: the browser does not keep them.",
    ),
    (
        "compose.forwarded",
        "Messaggio inoltrato, allegato per intero:",
        "Forwarded message, attached whole:",
    ),
    ("compose.receipt", "Ricevuta di consegna", "Delivery receipt"),
    (
        "compose.receipt.completa",
        "Completa: con il messaggio e i suoi allegati",
        "Complete: with the message and its attachments",
    ),
    (
        "compose.receipt.breve",
        "Breve: con il messaggio, gli allegati sostituiti dalla loro impronta (conservare gli originali)",
        "Short: with the message, its attachments replaced by their hashes (keep the originals)",
    ),
    (
        "compose.receipt.sintetica",
        "Sintetica: solo i dati di certificazione",
        "Synthetic: the certification data only",
    ),
    ("compose.limits", "Limiti del gestore", "The provider's limits"),
    (
        "compose.limit.size",
        "Dimensione massima di un messaggio: {size}",
        "Largest message: {size}",
    ),
    (
        "compose.limit.recipients",
        "Destinatari al massimo: {n}",
        "At most {n} recipients",
    ),
    (
        "compose.limit.product",
        "Dimensione per numero di destinatari al massimo: {size}. Allegati fino a circa {one} con un destinatario, {five} con cinque.",
        "Size times recipients at most: {size}. Attachments up to about {one} with one recipient, {five} with five.",
    ),
    ("compose.send", "Invia", "Send"),
    (
        "compose.cannot_send",
        "Questa casella è {status}: non può inviare messaggi.",
        "This mailbox is {status}: it cannot send messages.",
    ),
    (
        "compose.problems",
        "Il messaggio non è stato inviato:",
        "The message was not sent:",
    ),
    (
        "compose.notice",
        "Il gestore ha emesso un avviso di non accettazione, che è nella posta in arrivo:",
        "The provider issued a non-acceptance notice, which is in the Inbox:",
    ),
    ("compose.sent_folder", "Posta inviata", "Sent"),
    (
        "compose.quote",
        "Il {date} {from} ha scritto:",
        "On {date} {from} wrote:",
    ),
    ("status.suspended", "sospesa", "suspended"),
    ("status.receive-only", "abilitata solo alla ricezione", "receive-only"),
    ("status.closed", "chiusa", "closed"),
    ("status.active", "attiva", "active"),
    (
        "problem.no_recipient",
        "Indicare almeno un destinatario in A.",
        "Give at least one recipient in To.",
    ),
    (
        "problem.not_an_address",
        "«{text}» non è un indirizzo e-mail.",
        "“{text}” is not an e-mail address.",
    ),
    (
        "problem.not_text",
        "Il contenuto ricevuto non è testo UTF-8 valido: riscriverlo.",
        "What arrived is not valid UTF-8 text: please type it again.",
    ),
    (
        "problem.too_large",
        "Troppo grande: {size}, oltre il limite di {limit} per {recipients} destinatari. Nulla è stato inviato né conservato.",
        "Too large: {size}, over the limit of {limit} for {recipients} recipients. Nothing was sent or kept.",
    ),
    (
        "problem.too_large_one",
        "Troppo grande: {size}, oltre il limite di {limit} per un destinatario. Nulla è stato inviato né conservato.",
        "Too large: {size}, over the limit of {limit} for one recipient. Nothing was sent or kept.",
    ),
    (
        "problem.cannot_send",
        "Il punto di accesso rifiuta l'invio: la casella è {status}.",
        "The access point refuses to send: the mailbox is {status}.",
    ),
    (
        "problem.too_many",
        "Troppi destinatari: {count} (al massimo {max}).",
        "Too many recipients: {count} (at most {max}).",
    ),
    (
        "problem.invalid_address",
        "Il punto di accesso non accetta l'indirizzo «{address}».",
        "The access point does not accept the address “{address}”.",
    ),
    (
        "problem.refused",
        "Il punto di accesso non ha accettato il messaggio: {text}",
        "The access point did not accept the message: {text}",
    ),
    (
        "problem.unreadable_form",
        "Il modulo non è arrivato intero: riprovare.",
        "The form did not arrive whole: please try again.",
    ),
];

pub fn routes() -> Router<AppState> {
    Router::new().route("/compose", get(form).post(submit))
}

#[derive(Template)]
#[template(path = "compose.html")]
struct ComposePage<'a> {
    ui: &'a Ui,
    writer: Writer,
    limits: Vec<String>,
    values: Values,
    forward: Option<String>,
    problems: Vec<(Field, String)>,
    notice: Option<(String, String)>,
}

impl ComposePage<'_> {
    fn problems_for(&self, name: &str) -> Vec<&str> {
        self.problems
            .iter()
            .filter(|(f, _)| field_name(*f) == name)
            .map(|(_, p)| p.as_str())
            .collect()
    }

    fn has_problem(&self, name: &str) -> bool {
        !self.problems_for(name).is_empty()
    }

    fn cannot_send(&self) -> Option<String> {
        (!self.writer.can_send).then(|| {
            fill(
                self.ui.t("compose.cannot_send"),
                &[("status", status(self.ui, self.writer.status).to_string())],
            )
        })
    }

    fn checked(&self, receipt: &str) -> bool {
        self.values.receipt == receipt || (self.values.receipt.is_empty() && receipt == "completa")
    }
}

/// What the form holds.
#[derive(Default)]
struct Values {
    to: String,
    cc: String,
    subject: String,
    text: String,
    receipt: String,
    reply: Option<i64>,
    forward: Option<i64>,
}

#[derive(Deserialize)]
struct Start {
    reply: Option<String>,
    forward: Option<String>,
}

async fn form(State(state): State<AppState>, holder: Holder, Query(start): Query<Start>) -> Response {
    let ui = &holder.ui;
    let id = holder.user.mailbox_id;
    // A message id that is not a number is a message that is not there.
    let id_of = |text: Option<String>| text.map(|t| t.trim().parse::<i64>().unwrap_or(-1));
    let prefill = match (id_of(start.reply), id_of(start.forward)) {
        (Some(m), _) => compose::reply(&state.office, id, m).await,
        (None, Some(m)) => compose::forward(&state.office, id, m).await,
        (None, None) => Ok(compose::Prefill::default()),
    };
    let prefill = match prefill {
        Ok(p) => p,
        Err(e) => return office_error(ui, e),
    };
    let text = match &prefill.quote {
        Some(q) => {
            let said = fill(
                ui.t("compose.quote"),
                &[("date", q.date.clone().unwrap_or_default()), ("from", q.from.clone())],
            );
            format!("\n\n{said}\n{}\n", q.text)
        }
        None => String::new(),
    };
    let values = Values {
        to: prefill.to.clone(),
        subject: prefill.subject.clone(),
        text,
        reply: prefill.reply,
        forward: prefill.forward.as_ref().map(|f| f.message),
        ..Values::default()
    };
    render(&state, &holder, values, Vec::new(), None, StatusCode::OK).await
}

async fn render(
    state: &AppState,
    holder: &Holder,
    values: Values,
    problems: Vec<Problem>,
    notice: Option<String>,
    status: StatusCode,
) -> Response {
    let ui = &holder.ui;
    let id = holder.user.mailbox_id;
    let writer = match compose::writer(&state.office, id).await {
        Ok(w) => w,
        Err(e) => return office_error(ui, e),
    };
    let forward = match values.forward {
        Some(m) => match compose::forward(&state.office, id, m).await {
            Ok(p) => p
                .forward
                .map(|f| format!("«{}» ({})", f.subject, megabytes(ui.lang, f.size))),
            Err(e) => return office_error(ui, e),
        },
        None => None,
    };
    let mut response = page(&ComposePage {
        ui,
        writer,
        limits: limits(ui, &compose::limits(&state.office)),
        values,
        forward,
        problems: problems.iter().map(|p| (p.field(), problem(ui, p))).collect(),
        notice: notice.map(|n| (href(&n), n)),
    });
    *response.status_mut() = status;
    response
}

fn limits(ui: &Ui, l: &Limits) -> Vec<String> {
    let mb = |b: u64| megabytes(ui.lang, b);
    vec![
        fill(ui.t("compose.limit.size"), &[("size", mb(l.max_message_size as u64))]),
        fill(ui.t("compose.limit.recipients"), &[("n", l.max_recipients.to_string())]),
        fill(
            ui.t("compose.limit.product"),
            &[
                ("size", mb(l.max_recipients_x_size as u64)),
                ("one", mb(l.attachments_for(1))),
                ("five", mb(l.attachments_for(5))),
            ],
        ),
    ]
}

fn field_name(f: Field) -> &'static str {
    match f {
        Field::To => "to",
        Field::Cc => "cc",
        Field::Subject => "subject",
        Field::Text => "text",
        Field::Attachments => "attachments",
        Field::Form => "form",
    }
}

fn status(ui: &Ui, s: Status) -> &'static str {
    match s {
        Status::Active => ui.t("status.active"),
        Status::Suspended => ui.t("status.suspended"),
        Status::ReceiveOnly => ui.t("status.receive-only"),
        Status::Closed => ui.t("status.closed"),
    }
}

/// A problem in the page's language.
fn problem(ui: &Ui, p: &Problem) -> String {
    let mb = |b: u64| megabytes(ui.lang, b);
    match p {
        Problem::NoRecipient => ui.t("problem.no_recipient").to_string(),
        Problem::NotAnAddress { text, .. } => fill(ui.t("problem.not_an_address"), &[("text", text.clone())]),
        Problem::NotText { .. } => ui.t("problem.not_text").to_string(),
        Problem::TooLarge {
            size,
            limit,
            recipients,
        } => fill(
            ui.t(if *recipients > 1 {
                "problem.too_large"
            } else {
                "problem.too_large_one"
            }),
            &[
                ("size", mb(*size)),
                ("limit", mb(*limit)),
                ("recipients", recipients.to_string()),
            ],
        ),
        Problem::CannotSend { status: s } => fill(ui.t("problem.cannot_send"), &[("status", status(ui, *s).into())]),
        Problem::TooManyRecipients { count, max } => fill(
            ui.t("problem.too_many"),
            &[("count", count.to_string()), ("max", max.to_string())],
        ),
        Problem::InvalidAddress { address } => fill(ui.t("problem.invalid_address"), &[("address", address.clone())]),
        Problem::Refused { text } => fill(ui.t("problem.refused"), &[("text", text.clone())]),
    }
}

/// The form as it arrived: its text fields, its files in `uploads`, and what
/// was wrong with them already.
struct Arrived {
    csrf: String,
    values: Values,
    problems: Vec<Problem>,
}

async fn submit(State(state): State<AppState>, holder: Holder, multipart: Multipart) -> Response {
    let ui = &holder.ui;
    let limits = compose::limits(&state.office);
    let mut uploads = match Uploads::new(&state.office, limits.attachments_for(1)) {
        Ok(u) => u,
        Err(e) => return office_error(ui, e),
    };
    let arrived = match read_form(multipart, &mut uploads, limits.message_for(1)).await {
        Ok(a) => a,
        Err(Unread::Body(e)) => {
            tracing::info!("a compose form could not be read: {e}");
            return error_page(ui, e.status(), ui.t("problem.unreadable_form"));
        }
        Err(Unread::Office(e)) => return office_error(ui, e),
    };
    if let Some(refused) = holder.refuse_without_token(&arrived.csrf) {
        return refused;
    }
    let Arrived { values, problems, .. } = arrived;
    if !problems.is_empty() {
        return render(
            &state,
            &holder,
            values,
            problems,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let draft = Draft {
        to: values.to.clone(),
        cc: values.cc.clone(),
        subject: values.subject.clone(),
        text: values.text.clone(),
        receipt: values.receipt.clone(),
        reply: values.reply,
        forward: values.forward,
    };
    let outcome = compose::send(&state.office, holder.user.mailbox_id, &draft, &uploads).await;
    drop(uploads);
    match outcome {
        Ok(Outcome::Accepted { identificativo, .. }) => {
            Redirect::to(&format!("{}?sent=1", href(&identificativo))).into_response()
        }
        Ok(Outcome::Refused { problems, notice }) => {
            render(
                &state,
                &holder,
                values,
                problems,
                notice,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => office_error(ui, e),
    }
}

/// Why a form could not be read.
enum Unread {
    /// The body is not the multipart it says, or is over the site's body limit.
    Body(MultipartError),
    /// An upload could not be written.
    Office(office::Error),
}

impl From<MultipartError> for Unread {
    fn from(e: MultipartError) -> Self {
        Unread::Body(e)
    }
}

impl From<office::Error> for Unread {
    fn from(e: office::Error) -> Self {
        Unread::Office(e)
    }
}

/// Reads every field of the form. Text fields are kept whole up to `max_text`
/// bytes each; files go to `uploads`, and once they pass its budget the rest of
/// the body is read and dropped (so that the browser, still sending, gets the
/// page that says why).
async fn read_form(mut multipart: Multipart, uploads: &mut Uploads, max_text: usize) -> Result<Arrived, Unread> {
    let mut arrived = Arrived {
        csrf: String::new(),
        values: Values::default(),
        problems: Vec::new(),
    };
    let mut over = false;
    while let Some(mut field) = multipart.next_field().await? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "attachments" {
            let file_name = field.file_name().unwrap_or_default().to_string();
            let content_type = field.content_type().unwrap_or_default().to_string();
            if over {
                while field.chunk().await?.is_some() {}
                continue;
            }
            let mut upload = uploads.begin(&file_name, &content_type).await?;
            let mut refused = None;
            while let Some(chunk) = field.chunk().await? {
                if refused.is_some() {
                    continue;
                }
                if let Err(o) = upload.write(&chunk).await? {
                    refused = Some(o);
                }
            }
            match refused {
                Some(o) => {
                    over = true;
                    arrived.problems.push(Problem::TooLarge {
                        size: o.size,
                        limit: o.budget,
                        recipients: 1,
                    });
                }
                None => upload.finish().await?,
            }
            continue;
        }
        let mut bytes = Vec::new();
        let mut too_long = false;
        while let Some(chunk) = field.chunk().await? {
            if bytes.len() + chunk.len() > max_text {
                too_long = true;
            } else {
                bytes.extend_from_slice(&chunk);
            }
        }
        let field_of = match name.as_str() {
            "to" => Field::To,
            "cc" => Field::Cc,
            "subject" => Field::Subject,
            "text" => Field::Text,
            _ => Field::Form,
        };
        if too_long {
            arrived.problems.push(Problem::TooLarge {
                size: bytes.len() as u64,
                limit: max_text as u64,
                recipients: 1,
            });
        }
        // The form's own bytes must be UTF-8 text; a field that is not is named
        // and left empty (nothing of it is sent).
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(_) => {
                arrived.problems.push(Problem::NotText { field: field_of });
                String::new()
            }
        };
        let v = &mut arrived.values;
        match name.as_str() {
            "csrf" => arrived.csrf = text,
            "to" => v.to = text,
            "cc" => v.cc = text,
            "subject" => v.subject = text,
            "text" => v.text = text,
            "receipt" => v.receipt = text,
            "reply" => v.reply = text.trim().parse().ok(),
            "forward" => v.forward = text.trim().parse().ok(),
            _ => {}
        }
    }
    Ok(arrived)
}
