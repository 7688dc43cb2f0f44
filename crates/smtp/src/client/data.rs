//! The mail data as sent after DATA (RFC 5321 4.1.1.4 and 4.5.2).

/// Dot-stuffs `message` and appends the `<CRLF>.<CRLF>` terminator.
///
/// RFC 5321 4.5.2 doubles a "." that starts a line. A bare CR or LF is treated as a line start
/// too: some receivers end lines there, and a lone "." after one would end the data early
/// (SMTP smuggling). Receivers that see only CRLF then keep that extra dot, so messages
/// should be in CRLF canonical form, as ours are.
pub(super) fn transparent(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + message.len() / 32 + 5);
    let mut line_start = true;
    for &b in message {
        if line_start && b == b'.' {
            out.push(b'.');
        }
        out.push(b);
        line_start = b == b'\n' || b == b'\r';
    }
    // The CRLF ending the last line is the first half of the terminator.
    if !message.is_empty() && !message.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::transparent;

    #[test]
    fn leading_dots_are_doubled_at_every_line_start() {
        assert_eq!(
            transparent(b".a\r\nb\r\n.\r\n..c\r\n"),
            b"..a\r\nb\r\n..\r\n...c\r\n.\r\n"
        );
    }

    #[test]
    fn a_missing_final_crlf_is_added() {
        assert_eq!(transparent(b"a\r\nb"), b"a\r\nb\r\n.\r\n");
    }

    #[test]
    fn an_empty_message_is_just_the_terminator() {
        assert_eq!(transparent(b""), b".\r\n");
    }

    #[test]
    fn a_dot_after_a_bare_lf_is_doubled() {
        assert_eq!(transparent(b"a\n.\r\n"), b"a\n..\r\n.\r\n");
    }
}
