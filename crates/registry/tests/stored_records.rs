//! Records in the database as written before the codes moved to the `taxid`
//! crate (commit 4b03092): read back, and written again byte for byte.

use registry::inipec::IniPecState;
use registry::{Member, Order, TaxId};

#[test]
fn a_stored_member_reads_back_and_writes_the_same_bytes() {
    let stored = r#"{"codice_fiscale":"RSSMRA80A01H501U","surname":"Rossi","name":"Mario","birth_date":null,"birth_place":null,"sex":"M","registration_number":null,"registration_date":null,"section":null,"status":"active","cancellation_date":null,"ctu":false,"legal_domicile":null,"email":null}"#;
    let member: Member = serde_json::from_str(stored).unwrap();
    assert_eq!(member.codice_fiscale, TaxId::parse("RSSMRA80A01H501U").unwrap());
    assert_eq!(serde_json::to_string(&member).unwrap(), stored);
}

#[test]
fn a_stored_order_reads_back_and_writes_the_same_bytes() {
    let stored = r#"{"name":"OMCeO","tax_id":"80029990480","codice_ente":"80029990480","pec":"a@b.it","signing_delegate":{"surname":"Rossi","name":"Mario","codice_fiscale":"BRNPRZ72D52F83VC"}}"#;
    let order: Order = serde_json::from_str(stored).unwrap();
    assert_eq!(order.signing_delegate.codice_fiscale.omocodia_level(), 1);
    assert_eq!(serde_json::to_string(&order).unwrap(), stored);
}

#[test]
fn a_stored_inipec_state_keyed_by_code_reads_back_and_writes_the_same_bytes() {
    let stored = r#"{"listed":{},"left":{"80029990480":"2025-01-31","RSSMRA80A01H501U":null}}"#;
    let state: IniPecState = serde_json::from_str(stored).unwrap();
    assert_eq!(state.left.len(), 2);
    assert_eq!(serde_json::to_string(&state).unwrap(), stored);
}
