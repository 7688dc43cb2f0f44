//! The To and Cc fields of the form: addresses as people type them
//! (`a@pec.it, Mario Rossi <m@pec.it>; "Rossi, Mario" <m@pec.it>`), each
//! checked with the access point's own rule (`pec::original::is_address`).

/// One recipient as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Addressee {
    pub name: Option<String>,
    pub address: String,
}

/// The addressees of a field, or the first entry that is not an address.
pub(crate) fn parse(text: &str) -> Result<Vec<Addressee>, String> {
    let mut out: Vec<Addressee> = Vec::new();
    for entry in split(text) {
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        let (name, address) = match (entry.rfind('<'), entry.ends_with('>')) {
            (Some(open), true) => {
                let name = entry[..open].trim().trim_matches('"').trim();
                (
                    Some(name.to_string()).filter(|n| !n.is_empty()),
                    entry[open + 1..entry.len() - 1].trim(),
                )
            }
            _ => (None, entry),
        };
        if !pec::original::is_address(address) || name.as_deref().is_some_and(|n| n.chars().any(char::is_control)) {
            return Err(entry.to_string());
        }
        if !out.iter().any(|a| a.address.eq_ignore_ascii_case(address)) {
            out.push(Addressee {
                name,
                address: address.to_string(),
            });
        }
    }
    Ok(out)
}

/// Splits at `,`, `;` and line ends outside double quotes.
fn split(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' | ';' | '\n' | '\r' if !quoted => {
                parts.push(&text[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_read_as_people_type_them() {
        let list = parse("a@pec.it, Mario Rossi <m@pec.it>;\r\n\"Rossi, Mario\" <r@pec.it>,, A@pec.it").unwrap();
        let got: Vec<(Option<&str>, &str)> = list.iter().map(|a| (a.name.as_deref(), a.address.as_str())).collect();
        assert_eq!(
            got,
            [
                (None, "a@pec.it"),
                (Some("Mario Rossi"), "m@pec.it"),
                (Some("Rossi, Mario"), "r@pec.it"),
            ]
        );
        assert_eq!(parse("  ").unwrap(), []);
    }

    #[test]
    fn the_first_entry_that_is_not_an_address_is_named() {
        assert_eq!(parse("a@pec.it, mario.rossi, b@pec.it").unwrap_err(), "mario.rossi");
        assert_eq!(parse("Mario <m@pec>").unwrap_err(), "Mario <m@pec>");
        assert_eq!(parse("a b@pec.it").unwrap_err(), "a b@pec.it");
    }
}
