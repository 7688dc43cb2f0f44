//! The mailbox's folders with their counts (INBOX, Sent, Drafts, Trash, Junk,
//! then the others by name), each linking to its list (`mail.rs`).

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;

use askama::Template;
use office::mail::{self, FolderSummary};

use crate::AppState;
use crate::auth::Holder;
use crate::i18n::Texts;
use crate::ui::{Ui, office_error, page};

pub const TEXTS: Texts = &[
    ("folders.title", "Cartelle", "Folders"),
    ("folders.messages", "messaggi", "messages"),
    ("folders.unseen", "da leggere", "unread"),
    ("folders.INBOX", "Posta in arrivo", "Inbox"),
    ("folders.Sent", "Posta inviata", "Sent"),
    ("folders.Drafts", "Bozze", "Drafts"),
    ("folders.Trash", "Cestino", "Trash"),
    ("folders.Junk", "Indesiderata", "Junk"),
];

pub fn routes() -> Router<AppState> {
    Router::new().route("/mail", get(folders))
}

#[derive(Template)]
#[template(path = "folders.html")]
struct FoldersPage<'a> {
    ui: &'a Ui,
    folders: &'a [FolderSummary],
}

impl FoldersPage<'_> {
    fn label<'f>(&self, folder: &'f FolderSummary) -> &'f str {
        label(self.ui, &folder.name)
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
    match mail::folders(&state.office, holder.user.mailbox_id).await {
        Ok(folders) => page(&FoldersPage {
            ui: &holder.ui,
            folders: &folders,
        }),
        Err(e) => office_error(&holder.ui, e),
    }
}
