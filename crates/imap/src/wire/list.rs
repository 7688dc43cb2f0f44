//! The LIST command with the RFC 5258 (LIST-EXTENDED) syntax imap-codec does not read yet:
//! selection options, several patterns and return options.
//!
//! ```abnf
//! list             = "LIST" [SP list-select-opts] SP mailbox SP mbox-or-pat [SP list-return-opts]
//! list-select-opts = "(" [list-select-option *(SP list-select-option)] ")"
//! mbox-or-pat      = list-mailbox / patterns
//! patterns         = "(" list-mailbox *(SP list-mailbox) ")"
//! list-return-opts = "RETURN" SP "(" [return-option *(SP return-option)] ")"
//! ```

use imap_types::core::Tag;

/// A LIST command as sent; names and patterns are raw bytes, options uppercase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListCommand {
    pub tag: Tag<'static>,
    pub select: Vec<String>,
    pub reference: Vec<u8>,
    pub patterns: Vec<Vec<u8>>,
    pub return_options: Vec<String>,
}

/// The command verb of a message (the word after the tag), if it has one.
pub fn verb(message: &[u8]) -> Option<&[u8]> {
    let after_tag = message.iter().position(|&b| b == b' ')? + 1;
    let rest = message.get(after_tag..)?;
    let end = rest
        .iter()
        .position(|&b| b == b' ' || b == b'\r' || b == b'\n')
        .unwrap_or(rest.len());
    rest.get(..end)
}

/// Parses a whole LIST message (line, literals and final CRLF). `Err` carries the tag when it
/// could be read, and what is wrong.
pub fn parse(message: &[u8]) -> Result<ListCommand, (Option<Tag<'static>>, &'static str)> {
    let mut p = Parser { input: message, at: 0 };
    let tag = p
        .word()
        .and_then(|w| Tag::try_from(w.to_vec()).ok())
        .ok_or((None, "Invalid tag"))?;
    let fail = |what| (Some(tag.clone()), what);
    p.space().ok_or_else(|| fail("Missing command"))?;
    if !p.word().is_some_and(|w| w.eq_ignore_ascii_case(b"LIST")) {
        return Err(fail("Not a LIST command"));
    }
    p.space().ok_or_else(|| fail("LIST needs a reference and a pattern"))?;
    let mut select = Vec::new();
    if p.peek() == Some(b'(') {
        select = p.options().ok_or_else(|| fail("Invalid LIST selection options"))?;
        p.space().ok_or_else(|| fail("LIST needs a reference and a pattern"))?;
    }
    let reference = p.string().ok_or_else(|| fail("Invalid LIST reference"))?;
    p.space().ok_or_else(|| fail("LIST needs a pattern"))?;
    let mut patterns = Vec::new();
    if p.peek() == Some(b'(') {
        p.at += 1;
        loop {
            patterns.push(p.string().ok_or_else(|| fail("Invalid LIST pattern"))?);
            match p.peek() {
                Some(b' ') => p.at += 1,
                Some(b')') => {
                    p.at += 1;
                    break;
                }
                _ => return Err(fail("Invalid LIST patterns")),
            }
        }
    } else {
        patterns.push(p.string().ok_or_else(|| fail("Invalid LIST pattern"))?);
    }
    let mut return_options = Vec::new();
    if p.peek() == Some(b' ') {
        p.at += 1;
        if !p.word().is_some_and(|w| w.eq_ignore_ascii_case(b"RETURN")) {
            return Err(fail("Unexpected text after the LIST pattern"));
        }
        p.space().ok_or_else(|| fail("RETURN needs options"))?;
        return_options = p.options().ok_or_else(|| fail("Invalid LIST return options"))?;
    }
    if p.input.get(p.at..) != Some(&b"\r\n"[..]) {
        return Err(fail("Unexpected text after the LIST command"));
    }
    Ok(ListCommand {
        tag,
        select,
        reference,
        patterns,
        return_options,
    })
}

struct Parser<'a> {
    input: &'a [u8],
    at: usize,
}

/// Bytes that end an atom-like token: SP, parentheses, quote, CR, LF, controls.
fn is_token_byte(b: u8) -> bool {
    b > b' ' && b != b'(' && b != b')' && b != b'"' && b != 0x7f
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.input.get(self.at).copied()
    }

    fn space(&mut self) -> Option<()> {
        (self.peek() == Some(b' ')).then(|| self.at += 1)
    }

    fn word(&mut self) -> Option<&[u8]> {
        let start = self.at;
        while self.peek().is_some_and(is_token_byte) {
            self.at += 1;
        }
        (self.at > start).then(|| &self.input[start..self.at])
    }

    /// An astring or list-mailbox: atom-like token, quoted string or literal.
    fn string(&mut self) -> Option<Vec<u8>> {
        match self.peek()? {
            b'"' => self.quoted(),
            b'{' => self.literal(),
            _ => self.word().map(<[u8]>::to_vec),
        }
    }

    fn quoted(&mut self) -> Option<Vec<u8>> {
        self.at += 1;
        let mut out = Vec::new();
        loop {
            match self.peek()? {
                b'"' => {
                    self.at += 1;
                    return Some(out);
                }
                b'\\' => {
                    let escaped = self.input.get(self.at + 1).copied()?;
                    if escaped != b'"' && escaped != b'\\' {
                        return None;
                    }
                    out.push(escaped);
                    self.at += 2;
                }
                b'\r' | b'\n' | 0 => return None,
                b => {
                    out.push(b);
                    self.at += 1;
                }
            }
        }
    }

    /// `{n}CRLF` or `{n+}CRLF` and n bytes (the receiver has already gathered them).
    fn literal(&mut self) -> Option<Vec<u8>> {
        let close = self.input.get(self.at..)?.iter().position(|&b| b == b'}')? + self.at;
        let digits = self.input.get(self.at + 1..close)?;
        let digits = digits.strip_suffix(b"+").unwrap_or(digits);
        if digits.is_empty() || digits.len() > 10 || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let length: usize = std::str::from_utf8(digits).ok()?.parse().ok()?;
        if self.input.get(close + 1..close + 3) != Some(&b"\r\n"[..]) {
            return None;
        }
        let start = close + 3;
        let data = self.input.get(start..start.checked_add(length)?)?;
        self.at = start + length;
        Some(data.to_vec())
    }

    /// `"(" [option *(SP option)] ")"`, each option an atom optionally followed by a
    /// parenthesised argument (kept out: no option we know takes one).
    fn options(&mut self) -> Option<Vec<String>> {
        if self.peek() != Some(b'(') {
            return None;
        }
        self.at += 1;
        let mut options = Vec::new();
        if self.peek() == Some(b')') {
            self.at += 1;
            return Some(options);
        }
        loop {
            let word = self.word()?;
            options.push(String::from_utf8_lossy(word).to_ascii_uppercase());
            if self.input.get(self.at..self.at + 2) == Some(&b" ("[..]) {
                self.at += 1;
                self.skip_group()?;
            }
            match self.peek()? {
                b' ' => self.at += 1,
                b')' => {
                    self.at += 1;
                    return Some(options);
                }
                _ => return None,
            }
        }
    }

    fn skip_group(&mut self) -> Option<()> {
        let mut depth = 0usize;
        loop {
            match self.peek()? {
                b'(' => depth += 1,
                b')' => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        self.at += 1;
                        return Some(());
                    }
                }
                b'\r' | b'\n' => return None,
                _ => {}
            }
            self.at += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_list() {
        let c = parse(b"a LIST \"\" *\r\n").unwrap();
        assert_eq!(c.reference, b"");
        assert_eq!(c.patterns, vec![b"*".to_vec()]);
        assert!(c.select.is_empty() && c.return_options.is_empty());
    }

    #[test]
    fn extended_list() {
        let c = parse(b"a list (SPECIAL-USE subscribed) \"\" (INBOX {4}\r\nSent) RETURN (children)\r\n").unwrap();
        assert_eq!(c.select, ["SPECIAL-USE", "SUBSCRIBED"]);
        assert_eq!(c.patterns, vec![b"INBOX".to_vec(), b"Sent".to_vec()]);
        assert_eq!(c.return_options, ["CHILDREN"]);
    }

    #[test]
    fn garbage_is_refused_with_its_tag() {
        let (tag, _) = parse(b"t1 LIST (\r\n").unwrap_err();
        assert_eq!(tag.unwrap().as_ref(), "t1");
        assert!(parse(b"\xff LIST \"\" *\r\n").unwrap_err().0.is_none());
        assert!(parse(b"a LIST \"\" {99}\r\nab\r\n").is_err());
    }
}
