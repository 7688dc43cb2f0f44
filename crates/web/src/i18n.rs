//! Italian first, English by a switch. Every text of the pages is a key looked
//! up here; each page module keeps its own texts (`TEXTS`: key, Italian,
//! English) and lists it in `pages::CATALOGUES`. A test checks that every key a
//! template uses exists, once, in both languages.

use std::collections::HashMap;
use std::sync::OnceLock;

/// The language of the pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    It,
    En,
}

impl Lang {
    /// The BCP 47 tag, for `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::It => "it",
            Lang::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "it" => Some(Lang::It),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The other language, which the switch offers.
    pub fn other(self) -> Lang {
        match self {
            Lang::It => Lang::En,
            Lang::En => Lang::It,
        }
    }
}

/// (key, Italian, English)
pub type Texts = &'static [(&'static str, &'static str, &'static str)];

/// The texts outside the page modules (which list theirs in `pages::CATALOGUES`).
const CATALOGUES: &[Texts] = &[
    COMMON,
    crate::auth::TEXTS,
    crate::console::TEXTS,
    crate::console::order::TEXTS,
    crate::console::provider::TEXTS,
];

fn all() -> impl Iterator<Item = &'static (&'static str, &'static str, &'static str)> {
    CATALOGUES.iter().chain(crate::pages::CATALOGUES).flat_map(|c| c.iter())
}

/// What every page shows.
const COMMON: Texts = &[
    ("app.name", "Certa PEC", "Certa PEC"),
    ("app.skip", "Vai al contenuto", "Skip to content"),
    ("app.language", "Lingua", "Language"),
    ("app.switch", "English", "Italiano"),
    ("app.logout", "Esci", "Log out"),
    ("app.logged_in_as", "Casella", "Mailbox"),
    ("nav.folders", "Cartelle", "Folders"),
    ("nav.sent", "Inviati", "Sent"),
    ("nav.compose", "Scrivi", "Write"),
    ("nav.search", "Cerca", "Search"),
    ("nav.security", "Sicurezza", "Security"),
    ("nav.verify", "Verifica una PEC", "Verify a PEC"),
    (
        "app.read_only",
        "La casella è sospesa: si può leggere, non inviare né modificare.",
        "The mailbox is suspended: it can be read, not sent from or changed.",
    ),
    ("error.title", "Errore", "Error"),
    ("error.not_found", "Non trovato.", "Not found."),
    (
        "error.internal",
        "Si è verificato un problema interno: riprovare più tardi.",
        "An internal problem occurred: please try again later.",
    ),
    ("error.back", "Torna indietro", "Go back"),
];

fn table() -> &'static HashMap<&'static str, (&'static str, &'static str)> {
    static TABLE: OnceLock<HashMap<&'static str, (&'static str, &'static str)>> = OnceLock::new();
    TABLE.get_or_init(|| all().map(|(k, it, en)| (*k, (*it, *en))).collect())
}

/// The text of `key` in `lang`; the key itself when it is missing (a test
/// keeps that from happening).
pub fn t(lang: Lang, key: &'static str) -> &'static str {
    match (table().get(key), lang) {
        (Some((it, _)), Lang::It) => it,
        (Some((_, en)), Lang::En) => en,
        (None, _) => key,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_defined_once_in_both_languages() {
        let mut seen = std::collections::HashSet::new();
        for (key, it, en) in all() {
            assert!(seen.insert(*key), "{key} is defined twice");
            assert!(
                !it.trim().is_empty() && !en.trim().is_empty(),
                "{key} has an empty text"
            );
        }
    }

    #[test]
    fn every_key_the_templates_use_is_defined() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut missing = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for part in text.split("t(\"").skip(1) {
                let key = part.split('"').next().unwrap_or_default();
                if !table().contains_key(key) {
                    missing.push(format!("{}: {key}", path.display()));
                }
            }
        }
        assert!(missing.is_empty(), "keys without texts: {missing:#?}");
    }
}
