//! The `Subject:` of generated messages: `PREFIX: <original subject>`.
//!
//! Readers (and `pec-check.py`) look for the prefix verbatim at the start of the
//! raw header, so the prefix is plain ASCII and the first word of the subject
//! stays on its line. Non-ASCII runs become RFC 2047 "B" encoded words of at most
//! 72 characters (RFC 2047 2: at most 75), the spaces between them inside the
//! encoded text (whitespace between two encoded words is not displayed, RFC 2047 6.2);
//! such a header folds only between words, before column 78 where it can. A plain
//! ASCII subject stays on one line up to the 998 characters of RFC 5322 2.1.1,
//! because readers compare it, raw, with daticert `<oggetto>`.

const FOLD_AT: usize = 78;
/// RFC 5322 2.1.1: a line must not exceed 998 characters.
const MAX_LINE: usize = 998;
/// UTF-8 bytes per encoded word: 45 bytes make 60 base64 characters, 72 in all.
const WORD_BYTES: usize = 45;

/// Writes the whole field, `Subject: ...\r\n`.
pub(crate) fn write(out: &mut Vec<u8>, prefix: &str, original: &str) {
    let original: String = original.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let mut line = format!("Subject: {prefix}");
    let words = words(&original);
    let plain = words.iter().all(|w| !w.encoded);
    let fold_at = if plain && line.len() + original.len() <= MAX_LINE {
        MAX_LINE
    } else {
        FOLD_AT
    };
    let mut first = true;
    for word in words {
        let separator = if first || word.joined { "" } else { " " };
        if !first && line.len() + separator.len() + word.text.len() > fold_at {
            out.extend_from_slice(line.as_bytes());
            out.extend_from_slice(b"\r\n");
            line = " ".to_string();
        } else {
            line.push_str(separator);
        }
        line.push_str(&word.text);
        first = false;
    }
    out.extend_from_slice(line.trim_end_matches(' ').as_bytes());
    out.extend_from_slice(b"\r\n");
}

struct Word {
    text: String,
    /// Continues the previous encoded word with no space in the subject between them.
    joined: bool,
    encoded: bool,
}

fn needs_encoding(token: &str) -> bool {
    !token.is_ascii() || token.contains("=?")
}

/// Splits the subject at spaces; runs of tokens that need encoding are merged
/// (with their spaces) and cut into encoded words.
fn words(subject: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut run: Option<String> = None;
    for token in subject.split(' ') {
        if needs_encoding(token) {
            match run.as_mut() {
                Some(r) => {
                    r.push(' ');
                    r.push_str(token);
                }
                None => run = Some(token.to_string()),
            }
            continue;
        }
        if let Some(r) = run.take() {
            out.extend(encode(&r));
        }
        out.push(Word {
            text: token.to_string(),
            joined: false,
            encoded: false,
        });
    }
    if let Some(r) = run {
        out.extend(encode(&r));
    }
    out
}

fn encode(run: &str) -> Vec<Word> {
    let mut chunks = vec![String::new()];
    for c in run.chars() {
        if chunks.last().is_some_and(|l| l.len() + c.len_utf8() > WORD_BYTES) {
            chunks.push(String::new());
        }
        if let Some(last) = chunks.last_mut() {
            last.push(c);
        }
    }
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, chunk)| Word {
            text: format!("=?utf-8?B?{}?=", openssl::base64::encode_block(chunk.as_bytes())),
            joined: i > 0,
            encoded: true,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(prefix: &str, original: &str) -> String {
        let mut out = Vec::new();
        write(&mut out, prefix, original);
        String::from_utf8(out).unwrap()
    }

    fn decode(header: &str) -> String {
        let raw = format!("{header}\r\n");
        mail_parser::MessageParser::default()
            .parse(raw.as_bytes())
            .unwrap()
            .subject()
            .unwrap()
            .to_string()
    }

    #[test]
    fn ascii_subject_is_written_as_is() {
        assert_eq!(
            subject("ACCETTAZIONE: ", "Fattura n. 12"),
            "Subject: ACCETTAZIONE: Fattura n. 12\r\n"
        );
    }

    #[test]
    fn prefix_stays_plain_and_the_rest_decodes_back() {
        let original = "Caffè e perché: àèìòù € ancora testo ascii e poi ancora àèìòù àèìòù àèìòù àèìòù fine";
        let s = subject("AVVISO DI MANCATA CONSEGNA PER SUP. TEMPO MASSIMO: ", original);
        assert!(
            s.starts_with("Subject: AVVISO DI MANCATA CONSEGNA PER SUP. TEMPO MASSIMO: =?utf-8?B?"),
            "{s}"
        );
        assert_eq!(
            decode(&s),
            format!("AVVISO DI MANCATA CONSEGNA PER SUP. TEMPO MASSIMO: {original}")
        );
        for line in s.split("\r\n").skip(1).filter(|l| !l.is_empty()) {
            assert!(line.len() <= FOLD_AT, "{line}");
        }
    }

    #[test]
    fn long_ascii_subject_is_not_folded() {
        let original = "parola ".repeat(40);
        let s = subject("CONSEGNA: ", original.trim());
        assert_eq!(s, format!("Subject: CONSEGNA: {}\r\n", original.trim()));
    }

    #[test]
    fn double_spaces_and_literal_encoded_word_markers_survive() {
        for original in ["a  b", "prezzo =?nope?= ok", "  inizio", "€"] {
            let s = subject("CONSEGNA: ", original);
            assert_eq!(decode(&s), format!("CONSEGNA: {original}").trim_end(), "{s}");
        }
    }
}
