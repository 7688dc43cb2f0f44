//! Property tests: no panic on any input to a parser of outside data. The
//! codes' own properties are the `taxid` crate's.

use proptest::prelude::*;
use registry::reginde::esiti::parse_esiti;
use registry::roll::parse_roll;

proptest! {
    #[test]
    fn file_parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse_roll(&bytes);
        let _ = parse_esiti(&bytes);
    }

    #[test]
    fn roll_parser_never_panics_on_csv_like_text(text in "(cf|cognome|nome|[A-Z0-9\"]{0,16})([;,\\n\"]([A-Za-z0-9/ \"]{0,16}))*") {
        let _ = parse_roll(format!("cf;cognome;nome\n{text}").as_bytes());
    }

    #[test]
    fn esiti_parser_never_panics_on_xml_like_text(text in "(<[A-Za-z:]{1,12}( [a-z]{1,5}=\"[A-Z0-9]{0,5}\")?/?>|</[A-Za-z:]{1,12}>|[A-Z0-9&;]{0,6}){0,30}") {
        let _ = parse_esiti(text.as_bytes());
    }
}
