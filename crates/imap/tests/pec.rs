//! Real PEC messages from ../shared/vectors/real through imaplib: BODYSTRUCTURE and the
//! content of every part against Python's email module. The vectors must be there: a missing
//! directory fails the test.

mod common;

use common::{TestServer, vectors_dir};

#[tokio::test]
async fn real_pec_envelopes_have_the_structure_python_sees_and_their_parts_fetch_exactly() {
    let dir = vectors_dir();
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the PEC vectors must be at {}: {e}", dir.display()))
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".eml"))
        .collect();
    files.sort();
    for required in ["aruba-2014-message1.eml", "sogei-envelope-invio-file.eml"] {
        assert!(
            files.iter().any(|f| f == required),
            "{required} missing from {}",
            dir.display()
        );
    }
    let server = TestServer::start().await;
    let args: Vec<&str> = files.iter().map(String::as_str).collect();
    let out = server.python("pec.py", &args).await;
    // A PEC envelope (busta di trasporto): multipart/signed over multipart/mixed holding the
    // text, daticert.xml and the original message as postacert.eml.
    let defective: Vec<&String> = out
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, v)| !v["defects"].is_null())
        .map(|(k, _)| k)
        .collect();
    println!("malformed MIME, compared on BODY[] only: {defective:?}");
    // Only the anonymised vectors lost closing boundaries in their anonymisation.
    assert!(defective.iter().all(|name| name.starts_with("anon-")), "{defective:?}");
    let aruba = &out["aruba-2014-message1.eml"];
    assert!(aruba["defects"].is_null(), "{aruba}");
    assert_eq!(aruba["tree"][0], "multipart/signed", "{aruba}");
    assert_eq!(aruba["tree"][1][0][0], "multipart/mixed", "{aruba}");
    let parts: Vec<&str> = aruba["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(parts.contains(&"1.3") || parts.contains(&"1.2.1"), "{parts:?}");
    let sogei = &out["sogei-envelope-invio-file.eml"];
    assert!(sogei["defects"].is_null(), "{sogei}");
    assert!(sogei["tree"].to_string().contains("message/rfc822"), "{sogei}");
    assert!(
        sogei["subject"].as_str().unwrap().starts_with("POSTA CERTIFICATA"),
        "{sogei}"
    );
    assert_eq!(out.as_object().unwrap().len(), files.len());
}
