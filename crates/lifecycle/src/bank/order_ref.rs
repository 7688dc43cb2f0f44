//! Finding order IDs in a transfer's free-text reference.
//!
//! The renewal order's summary gives the "ID ORDINE da inserire nella causale
//! di pagamento" (Aruba, in the doctors' Order's notice; lifecycle.md, "Renewal
//! notices"). Members copy the ID by hand and banks rewrite the text: upper
//! case, dashes dropped or turned into spaces, a long reference cut into 35- or
//! 140-character pieces (camt.053's `Ustrd` holds at most 140). So an ID is compared on its letters and digits only, and the
//! reference may put separators between any two of them. What it may not do is
//! run on: the character before the ID must not continue its first letter or
//! digit, nor the one after it its last, so `CRT-2025-0001234` never names
//! `CRT-2025-000123`.

use std::collections::HashMap;

/// The known order IDs, keyed by their letters and digits in upper case.
pub(crate) struct OrderIndex {
    by_compact: HashMap<String, String>,
    max_len: usize,
}

impl OrderIndex {
    pub(crate) fn new<'a>(ids: impl IntoIterator<Item = &'a str>) -> Self {
        let mut by_compact = HashMap::new();
        let mut max_len = 0;
        for id in ids {
            let key = compact(id);
            if key.is_empty() {
                continue;
            }
            max_len = max_len.max(key.len());
            by_compact.entry(key).or_insert_with(|| id.to_string());
        }
        OrderIndex { by_compact, max_len }
    }

    /// The distinct known IDs named in `reference`, in order of first appearance.
    pub(crate) fn find(&self, reference: &str) -> Vec<String> {
        let chars: Vec<char> = reference.chars().collect();
        let mut found: Vec<String> = Vec::new();
        for start in 0..chars.len() {
            if !chars[start].is_alphanumeric() || (start > 0 && same_class(chars[start - 1], chars[start])) {
                continue;
            }
            let mut key = String::new();
            let mut k = start;
            while k < chars.len() && key.len() < self.max_len {
                key.push(chars[k].to_ascii_uppercase());
                let ends_here = k + 1 == chars.len() || !same_class(chars[k], chars[k + 1]);
                if ends_here
                    && let Some(id) = self.by_compact.get(&key)
                    && !found.contains(id)
                {
                    found.push(id.clone());
                }
                k += 1;
                while k < chars.len() && is_separator(chars[k]) {
                    k += 1;
                }
                if k < chars.len() && !chars[k].is_alphanumeric() {
                    break;
                }
            }
        }
        found
    }
}

fn compact(id: &str) -> String {
    id.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn same_class(a: char, b: char) -> bool {
    (a.is_numeric() && b.is_numeric()) || (a.is_alphabetic() && b.is_alphabetic())
}

fn is_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '-' | '_' | '.' | '/' | '\t' | '\r' | '\n' | '\u{a0}' | '\u{2010}'..='\u{2015}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> OrderIndex {
        OrderIndex::new(["CRT-2025-000123", "CRT-2025-000124", "CRT-2025-0001235"])
    }

    #[test]
    fn finds_an_id_however_the_bank_spelled_it() {
        for reference in [
            "CRT-2025-000123",
            "crt-2025-000123",
            "CRT2025000123",
            "CRT 2025 000123",
            "Rinnovo PEC ordine CRT/2025/000123 Rossi",
            "RIF:CRT.2025.000123",
            "CRT - 2025 - 000123",
            "PAGAMENTO CRT-2025- 000123",
            "RINNOVO PEC CRT-2025-000123 4,88 EUR",
            "2025CRT2025000123",
        ] {
            assert_eq!(
                index().find(reference),
                vec!["CRT-2025-000123".to_string()],
                "{reference:?}"
            );
        }
    }

    #[test]
    fn never_matches_part_of_a_longer_number_or_word() {
        for reference in [
            "CRT-2025-0001234",
            "CRT-2025-00012",
            "XCRT-2025-000123",
            "CRT-2025-9000123",
        ] {
            assert!(index().find(reference).is_empty(), "{reference:?}");
        }
        assert_eq!(index().find("CRT-2025-0001235"), vec!["CRT-2025-0001235".to_string()]);
    }

    #[test]
    fn several_ids_in_order_of_appearance_each_once() {
        assert_eq!(
            index().find("CRT-2025-000124 e CRT 2025 000123, CRT2025000124"),
            vec!["CRT-2025-000124".to_string(), "CRT-2025-000123".to_string()]
        );
    }

    #[test]
    fn unicode_and_empty_references_find_nothing() {
        assert!(index().find("").is_empty());
        assert!(index().find("Città: ÀÈ – 𝔘").is_empty());
        assert!(OrderIndex::new(["---"]).find("---").is_empty());
    }
}
