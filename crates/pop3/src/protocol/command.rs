//! Command syntax (RFC 1939 3): a case-insensitive keyword, arguments separated by a
//! space, the line ended by CRLF. RFC 2449 4 allows 255 octets a line; the session
//! takes up to [`super::COMMAND_LINE_MAX`].
//!
//! The parser is tolerant where clients differ and harmless (a bare LF, repeated or
//! trailing spaces) and strict where a guess could act on the wrong message (numbers).

/// A POP3 command with its arguments checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `USER name` (RFC 1939 7).
    User(String),
    /// `PASS string`: the whole rest of the line, spaces included (RFC 1939 7 allows it).
    Pass(String),
    /// `AUTH [mechanism [initial-response]]` (RFC 5034 4). Without a mechanism the
    /// server lists the ones it offers, as many servers do after RFC 1734.
    Auth {
        mechanism: Option<String>,
        initial_response: Option<String>,
    },
    /// `APOP name digest` (RFC 1939 7): recognised only to be refused clearly.
    Apop,
    /// `STLS` (RFC 2595 4).
    Stls,
    /// `CAPA` (RFC 2449 5).
    Capa,
    Stat,
    /// `LIST [msg]`.
    List(Option<u32>),
    /// `UIDL [msg]`.
    Uidl(Option<u32>),
    Retr(u32),
    /// `TOP msg n`: the header and the first `n` lines of the body.
    Top {
        message: u32,
        lines: u64,
    },
    Dele(u32),
    Rset,
    Noop,
    Quit,
}

/// Why a line is not a command; the `Display` text is what the client reads after `-ERR`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("empty command line")]
    Empty,
    /// Control characters, or bytes that are not UTF-8.
    #[error("invalid characters in command line")]
    InvalidCharacters,
    #[error("unknown command")]
    Unknown,
    /// A known command with wrong arguments; `usage` shows the right ones.
    #[error("syntax: {usage}")]
    Syntax { usage: &'static str },
}

/// Parses one command line, with or without its line end.
pub fn parse(line: &[u8]) -> Result<Command, ParseError> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let line = std::str::from_utf8(line).map_err(|_| ParseError::InvalidCharacters)?;
    if line.chars().any(char::is_control) {
        return Err(ParseError::InvalidCharacters);
    }
    let (keyword, rest) = line.split_once(' ').unwrap_or((line, ""));
    if keyword.is_empty() {
        return Err(if line.trim().is_empty() {
            ParseError::Empty
        } else {
            ParseError::Unknown
        });
    }
    let args: Vec<&str> = rest.split(' ').filter(|a| !a.is_empty()).collect();
    let usage = |usage| ParseError::Syntax { usage };
    let keyword = keyword.to_ascii_uppercase();
    match keyword.as_str() {
        "USER" => match args[..] {
            [name] => Ok(Command::User(name.to_string())),
            _ => Err(usage("USER <name>")),
        },
        // RFC 1939 7: "a POP3 server may treat spaces in the argument as part of the password".
        "PASS" if !rest.is_empty() => Ok(Command::Pass(rest.to_string())),
        "PASS" => Err(usage("PASS <password>")),
        "AUTH" => match args[..] {
            [] => Ok(Command::Auth {
                mechanism: None,
                initial_response: None,
            }),
            [mechanism] => Ok(Command::Auth {
                mechanism: Some(mechanism.to_ascii_uppercase()),
                initial_response: None,
            }),
            [mechanism, response] => Ok(Command::Auth {
                mechanism: Some(mechanism.to_ascii_uppercase()),
                initial_response: Some(response.to_string()),
            }),
            _ => Err(usage("AUTH <mechanism> [<initial response>]")),
        },
        "APOP" => Ok(Command::Apop),
        "STLS" => none(&args, Command::Stls, "STLS"),
        "CAPA" => none(&args, Command::Capa, "CAPA"),
        "STAT" => none(&args, Command::Stat, "STAT"),
        "RSET" => none(&args, Command::Rset, "RSET"),
        "NOOP" => none(&args, Command::Noop, "NOOP"),
        "QUIT" => none(&args, Command::Quit, "QUIT"),
        "LIST" => optional_number(&args, "LIST [<message number>]").map(Command::List),
        "UIDL" => optional_number(&args, "UIDL [<message number>]").map(Command::Uidl),
        "RETR" => number(&args, "RETR <message number>").map(Command::Retr),
        "DELE" => number(&args, "DELE <message number>").map(Command::Dele),
        "TOP" => match args[..] {
            [message, lines] => match (message_number(message), line_count(lines)) {
                (Some(message), Some(lines)) => Ok(Command::Top { message, lines }),
                _ => Err(usage("TOP <message number> <lines>")),
            },
            _ => Err(usage("TOP <message number> <lines>")),
        },
        _ => Err(ParseError::Unknown),
    }
}

fn none(args: &[&str], command: Command, usage: &'static str) -> Result<Command, ParseError> {
    if args.is_empty() {
        Ok(command)
    } else {
        Err(ParseError::Syntax { usage })
    }
}

fn number(args: &[&str], usage: &'static str) -> Result<u32, ParseError> {
    match args {
        [n] => message_number(n).ok_or(ParseError::Syntax { usage }),
        _ => Err(ParseError::Syntax { usage }),
    }
}

fn optional_number(args: &[&str], usage: &'static str) -> Result<Option<u32>, ParseError> {
    match args {
        [] => Ok(None),
        _ => number(args, usage).map(Some),
    }
}

/// RFC 1939 3: message numbers start at 1 and are decimal (no sign, no spaces).
fn message_number(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok().filter(|&n| n >= 1)
}

/// RFC 1939 7: TOP's line count is a non-negative number; a huge one means "all of it".
fn line_count(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.parse().unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syntax(e: Result<Command, ParseError>) -> bool {
        matches!(e, Err(ParseError::Syntax { .. }))
    }

    #[test]
    fn keywords_are_case_insensitive_and_line_ends_optional() {
        assert_eq!(parse(b"stat\r\n"), Ok(Command::Stat));
        assert_eq!(parse(b"StAt\n"), Ok(Command::Stat));
        assert_eq!(parse(b"STAT"), Ok(Command::Stat));
        assert_eq!(parse(b"capa\r\n"), Ok(Command::Capa));
        assert_eq!(parse(b"stls\r\n"), Ok(Command::Stls));
        assert_eq!(parse(b"QUIT\r\n"), Ok(Command::Quit));
        assert_eq!(parse(b"noop\r\n"), Ok(Command::Noop));
        assert_eq!(parse(b"RSET\r\n"), Ok(Command::Rset));
    }

    #[test]
    fn message_numbers_are_positive_decimals() {
        assert_eq!(parse(b"RETR 1\r\n"), Ok(Command::Retr(1)));
        assert_eq!(parse(b"DELE 42\r\n"), Ok(Command::Dele(42)));
        assert_eq!(parse(b"LIST\r\n"), Ok(Command::List(None)));
        assert_eq!(parse(b"LIST 3\r\n"), Ok(Command::List(Some(3))));
        assert_eq!(parse(b"UIDL 7\r\n"), Ok(Command::Uidl(Some(7))));
        assert_eq!(parse(b"LIST  3 \r\n"), Ok(Command::List(Some(3))));
        for bad in [
            &b"RETR 0\r\n"[..],
            b"RETR -1\r\n",
            b"RETR +1\r\n",
            b"RETR x\r\n",
            b"RETR\r\n",
            b"RETR 1 2\r\n",
            b"RETR 99999999999999999999\r\n",
            b"DELE 1.5\r\n",
            b"LIST a\r\n",
        ] {
            assert!(syntax(parse(bad)), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn top_takes_a_message_and_a_line_count() {
        assert_eq!(parse(b"TOP 1 0\r\n"), Ok(Command::Top { message: 1, lines: 0 }));
        assert_eq!(parse(b"top 2 10\r\n"), Ok(Command::Top { message: 2, lines: 10 }));
        assert_eq!(
            parse(b"TOP 1 999999999999999999999999\r\n"),
            Ok(Command::Top {
                message: 1,
                lines: u64::MAX
            })
        );
        assert!(syntax(parse(b"TOP 1\r\n")));
        assert!(syntax(parse(b"TOP 0 1\r\n")));
        assert!(syntax(parse(b"TOP 1 -1\r\n")));
    }

    #[test]
    fn pass_keeps_spaces_in_the_password() {
        assert_eq!(parse(b"PASS a b  c \r\n"), Ok(Command::Pass("a b  c ".into())));
        assert_eq!(parse(b"pass p\xc3\xa0ss\r\n"), Ok(Command::Pass("pàss".into())));
        assert!(syntax(parse(b"PASS\r\n")));
        assert_eq!(
            parse(b"USER alice@pec.example.it\r\n"),
            Ok(Command::User("alice@pec.example.it".into()))
        );
        assert!(syntax(parse(b"USER\r\n")));
        assert!(syntax(parse(b"USER a b\r\n")));
    }

    #[test]
    fn auth_has_an_optional_mechanism_and_initial_response() {
        assert_eq!(
            parse(b"AUTH\r\n"),
            Ok(Command::Auth {
                mechanism: None,
                initial_response: None
            })
        );
        assert_eq!(
            parse(b"auth plain\r\n"),
            Ok(Command::Auth {
                mechanism: Some("PLAIN".into()),
                initial_response: None
            })
        );
        assert_eq!(
            parse(b"AUTH PLAIN AGFAAGI=\r\n"),
            Ok(Command::Auth {
                mechanism: Some("PLAIN".into()),
                initial_response: Some("AGFAAGI=".into())
            })
        );
        assert!(syntax(parse(b"AUTH PLAIN a b\r\n")));
    }

    #[test]
    fn commands_without_arguments_refuse_them() {
        for bad in [
            &b"STAT 1\r\n"[..],
            b"QUIT now\r\n",
            b"CAPA x\r\n",
            b"STLS 1\r\n",
            b"NOOP x\r\n",
        ] {
            assert!(syntax(parse(bad)), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn garbage_is_refused_without_panicking() {
        assert_eq!(parse(b"\r\n"), Err(ParseError::Empty));
        assert_eq!(parse(b"   \r\n"), Err(ParseError::Empty));
        assert_eq!(parse(b""), Err(ParseError::Empty));
        assert_eq!(parse(b" STAT\r\n"), Err(ParseError::Unknown));
        assert_eq!(parse(b"HELO x\r\n"), Err(ParseError::Unknown));
        assert_eq!(parse(b"LAST\r\n"), Err(ParseError::Unknown));
        assert_eq!(parse(b"\xff\xfe\r\n"), Err(ParseError::InvalidCharacters));
        assert_eq!(parse(b"USER a\xc3\r\n"), Err(ParseError::InvalidCharacters));
        assert_eq!(parse(b"STAT\0\r\n"), Err(ParseError::InvalidCharacters));
        assert_eq!(parse(b"STAT\r\rx\r\n"), Err(ParseError::InvalidCharacters));
        assert_eq!(parse(b"PASS a\tb\r\n"), Err(ParseError::InvalidCharacters));
        assert_eq!(
            parse(b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n"),
            Ok(Command::Apop)
        );
    }
}
