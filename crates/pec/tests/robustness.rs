//! Outside input never panics: the fuzzer's past findings, and random damage to
//! real providers' messages (truncation, byte flips, insertions), run on stable in
//! every test run. The coverage-guided fuzzer is in `fuzz/` (see README).

mod common;

use proptest::prelude::*;

fn vectors() -> Vec<Vec<u8>> {
    let dir = common::shared_dir().join("vectors/real");
    let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

fn exercise(bytes: &[u8]) {
    let _ = pec::parse(bytes, None);
    let _ = pec::daticert::read(bytes);
    if let Ok(o) = pec::original::Original::parse(bytes) {
        let _ = pec::build::hash_attachments(o.raw());
    }
}

#[test]
fn fuzzer_findings_stay_fixed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        exercise(&std::fs::read(entry.unwrap().path()).unwrap());
        n += 1;
    }
    assert!(n > 0);
}

#[derive(Debug, Clone)]
enum Damage {
    Truncate(usize),
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
}

fn damage() -> impl Strategy<Value = Vec<Damage>> {
    let one = prop_oneof![
        any::<usize>().prop_map(Damage::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(a, b)| Damage::Flip(a, b)),
        (
            any::<usize>(),
            prop::sample::select(vec![
                b"\r\n".to_vec(),
                b"--".to_vec(),
                b"\r\n\r\n".to_vec(),
                b"Content-Type: multipart/mixed; boundary=\"x\"\r\n".to_vec(),
                b"=?utf-8?B?".to_vec(),
                b"<postacert>".to_vec(),
                b"\xff\xfe".to_vec(),
                b"\0".to_vec(),
            ])
        )
            .prop_map(|(a, b)| Damage::Insert(a, b)),
        (any::<usize>(), 0usize..200).prop_map(|(a, b)| Damage::Delete(a, b)),
    ];
    prop::collection::vec(one, 1..6)
}

fn apply(mut bytes: Vec<u8>, damages: &[Damage]) -> Vec<u8> {
    for d in damages {
        if bytes.is_empty() {
            break;
        }
        let len = bytes.len();
        match d {
            Damage::Truncate(at) => bytes.truncate(at % len),
            Damage::Flip(at, b) => bytes[at % len] ^= b,
            Damage::Insert(at, what) => {
                let at = at % len;
                bytes.splice(at..at, what.iter().copied());
            }
            Damage::Delete(at, n) => {
                let at = at % len;
                let end = (at + n).min(len);
                bytes.drain(at..end);
            }
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn damaged_real_messages_never_panic(which in any::<prop::sample::Index>(), damages in damage()) {
        let all = vectors();
        let original = which.get(&all).clone();
        exercise(&apply(original, &damages));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        exercise(&bytes);
    }
}
