//! The mailbox's folders with their counts (INBOX, Sent, Drafts, Trash, Junk,
//! then the others by name), each linking to its list (`mail.rs`), and its
//! usage: a bar with the server's warning levels and the predicted day of
//! fullness.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;

use askama::Template;
use office::mail::{self, FolderSummary};
use office::quota::{self, Level, Usage};

use crate::AppState;
use crate::auth::Holder;
use crate::i18n::Texts;
use crate::ui::{Ui, office_error, page};

pub const TEXTS: Texts = &[
    ("folders.title", "Cartelle", "Folders"),
    ("folders.message", "messaggio", "message"),
    ("folders.messages", "messaggi", "messages"),
    ("folders.unseen", "da leggere", "unread"),
    ("folders.INBOX", "Posta in arrivo", "Inbox"),
    ("folders.Sent", "Posta inviata", "Sent"),
    ("folders.Drafts", "Bozze", "Drafts"),
    ("folders.Trash", "Cestino", "Trash"),
    ("folders.Junk", "Indesiderata", "Junk"),
    ("quota.title", "Spazio occupato", "Space used"),
    ("quota.of", "di", "of"),
    (
        "quota.warning",
        "La casella ha superato il 70% dello spazio: salvate e cancellate i messaggi non più necessari.",
        "The mailbox is over 70% full: save and delete the messages you no longer need.",
    ),
    (
        "quota.critical",
        "La casella ha superato il 90% dello spazio: quando sarà piena, chi vi scrive riceverà un avviso di mancata consegna.",
        "The mailbox is over 90% full: once it is full, senders get a non-delivery notice.",
    ),
    (
        "quota.full",
        "La casella è piena: i nuovi messaggi non vengono consegnati.",
        "The mailbox is full: new messages are not delivered.",
    ),
    (
        "quota.full_on",
        "Al ritmo degli ultimi 30 giorni sarà piena il",
        "At the pace of the last 30 days it will be full on",
    ),
    (
        "quota.steady",
        "Negli ultimi 30 giorni non è cresciuta.",
        "It has not grown in the last 30 days.",
    ),
    (
        "quota.archive",
        "Le ricevute archiviate non contano nello spazio.",
        "Archived receipts do not count in the space used.",
    ),
];

pub fn routes() -> Router<AppState> {
    Router::new().route("/mail", get(folders))
}

#[derive(Template)]
#[template(path = "folders.html")]
struct FoldersPage<'a> {
    ui: &'a Ui,
    folders: &'a [FolderSummary],
    usage: &'a Usage,
}

impl FoldersPage<'_> {
    fn label<'f>(&self, folder: &'f FolderSummary) -> &'f str {
        label(self.ui, &folder.name)
    }

    fn megabytes(bytes: i64) -> String {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    }

    fn used(&self) -> String {
        Self::megabytes(self.usage.used_bytes)
    }

    fn quota(&self) -> String {
        Self::megabytes(self.usage.quota_bytes)
    }

    /// The warning for the mailbox's level, if any.
    fn warning(&self) -> Option<&'static str> {
        match self.usage.level {
            Level::Normal => None,
            Level::Warning => Some(self.ui.t("quota.warning")),
            Level::Critical => Some(self.ui.t("quota.critical")),
            Level::Full => Some(self.ui.t("quota.full")),
        }
    }

    fn full_on(&self) -> Option<String> {
        self.usage.full_on.map(|d| d.format("%d/%m/%Y").to_string())
    }
}

/// A standard folder's name in the page's language; others as they are.
pub(super) fn label<'f>(ui: &Ui, name: &'f str) -> &'f str {
    match name {
        "INBOX" => ui.t("folders.INBOX"),
        "Sent" => ui.t("folders.Sent"),
        "Drafts" => ui.t("folders.Drafts"),
        "Trash" => ui.t("folders.Trash"),
        "Junk" => ui.t("folders.Junk"),
        other => other,
    }
}

async fn folders(State(state): State<AppState>, holder: Holder) -> Response {
    let mailbox_id = holder.user.mailbox_id;
    let read = async {
        Ok::<_, office::Error>((
            mail::folders(&state.office, mailbox_id).await?,
            quota::usage(&state.office, mailbox_id).await?,
        ))
    };
    match read.await {
        Ok((folders, usage)) => page(&FoldersPage {
            ui: &holder.ui,
            folders: &folders,
            usage: &usage,
        }),
        Err(e) => office_error(&holder.ui, e),
    }
}
