use super::*;

/// The layout of an Aruba acceptance receipt (pec-rules.md 4.3).
const ARUBA_ACCETTAZIONE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<postacert tipo="accettazione" errore="nessuno">
    <intestazione>
        <mittente>l.battistini@pec.it</mittente>
        <destinatari tipo="certificato">l.battistini@pec.it</destinatari>
        <risposte>l.battistini@pec.it</risposte>
        <oggetto>IT03339130126_00009.xml</oggetto>
    </intestazione>
    <dati>
        <gestore-emittente>ARUBA PEC S.p.A.</gestore-emittente>
        <data zona="+0100">
            <giorno>13/11/2018</giorno>
            <ora>16:39:26</ora>
        </data>
        <identificativo>opec288.20181113163926.01838.310.1.63@pec.aruba.it</identificativo>
        <msgid>&lt;1542123565.921546936035156.464602125997431-openerp-8-fatturapa.attachment.out@elbati-Vostro-3550&gt;</msgid>
    </dati>
</postacert>
"#;

#[test]
fn aruba_layout_is_read_and_written_back_byte_for_byte() {
    let (d, findings) = read(ARUBA_ACCETTAZIONE.as_bytes()).unwrap();
    assert!(findings.is_empty(), "{findings:?}");
    assert_eq!(d.tipo, Tipo::Accettazione);
    assert_eq!(d.errore, Errore::Nessuno);
    assert_eq!(d.destinatari, vec![Destinatario::certificato("l.battistini@pec.it")]);
    assert_eq!(
        d.msgid.as_deref(),
        Some("<1542123565.921546936035156.464602125997431-openerp-8-fatturapa.attachment.out@elbati-Vostro-3550>")
    );
    assert_eq!(d.time().unwrap().utc().to_rfc3339(), "2018-11-13T15:39:26+00:00");
    assert_eq!(write(&d), ARUBA_ACCETTAZIONE);
}

#[test]
fn missing_msgid_is_accepted() {
    let xml = ARUBA_ACCETTAZIONE.replace(
        "        <msgid>&lt;1542123565.921546936035156.464602125997431-openerp-8-fatturapa.attachment.out@elbati-Vostro-3550&gt;</msgid>\n",
        "",
    );
    let (d, findings) = read(xml.as_bytes()).unwrap();
    assert!(findings.is_empty(), "{findings:?}");
    assert_eq!(d.msgid, None);
    assert_eq!(write(&d), xml);
}

#[test]
fn stray_text_node_is_reported_not_fatal() {
    let xml = ARUBA_ACCETTAZIONE.replace("</risposte>\n", "</risposte>a\n");
    let (d, findings) = read(xml.as_bytes()).unwrap();
    assert_eq!(d.risposte, "l.battistini@pec.it");
    assert_eq!(d.oggetto.as_deref(), Some("IT03339130126_00009.xml"));
    assert_eq!(
        findings,
        vec!["stray text \"a\" inside <intestazione> ignored".to_string()]
    );
}

#[test]
fn unknown_values_are_kept_as_written() {
    let xml = ARUBA_ACCETTAZIONE
        .replace(
            "tipo=\"accettazione\" errore=\"nessuno\"",
            "tipo=\"non-pec\" errore=\"boh\"",
        )
        .replace("tipo=\"certificato\"", "tipo=\"strano\"");
    let (d, findings) = read(xml.as_bytes()).unwrap();
    assert_eq!(d.tipo, Tipo::Other("non-pec".into()));
    assert_eq!(d.errore, Errore::Other("boh".into()));
    assert_eq!(d.destinatari[0].tipo, DestinatarioTipo::Other("strano".into()));
    assert_eq!(findings.len(), 3, "{findings:?}");
    assert_eq!(write(&d), xml);
}

#[test]
fn errore_defaults_to_nessuno_and_ricevuta_to_completa() {
    let xml = ARUBA_ACCETTAZIONE
        .replace(" errore=\"nessuno\"", "")
        .replace("</msgid>\n", "</msgid>\n        <ricevuta/>\n");
    let (d, _) = read(xml.as_bytes()).unwrap();
    assert_eq!(d.errore, Errore::Nessuno);
    assert_eq!(d.ricevuta, Some(ReceiptKind::Completa));
}

#[test]
fn not_xml_and_wrong_root_are_errors() {
    assert!(matches!(
        read(b"<postacert><dati></postacert>"),
        Err(ReadError::Malformed(_))
    ));
    assert_eq!(read(b"<daticert/>"), Err(ReadError::WrongRoot("daticert".into())));
    assert_eq!(read(b"   "), Err(ReadError::Empty));
}

#[test]
fn missing_required_elements_are_findings() {
    let (d, findings) = read(b"<postacert tipo=\"accettazione\"><intestazione/><dati/></postacert>").unwrap();
    assert_eq!(d.tipo, Tipo::Accettazione);
    for what in [
        "<mittente>",
        "<risposte>",
        "<gestore-emittente>",
        "<identificativo>",
        "<data>",
        "<destinatari>",
    ] {
        assert!(
            findings.iter().any(|f| f.contains(what)),
            "no finding for {what}: {findings:?}"
        );
    }
}

#[test]
fn writer_escapes_markup_and_control_characters() {
    let (mut d, _) = read(ARUBA_ACCETTAZIONE.as_bytes()).unwrap();
    d.oggetto = Some("Fattura <n. 1> & \"nota\" d'acconto\u{1}\r\nriga".into());
    let xml = write(&d);
    assert!(xml.contains("<oggetto>Fattura &lt;n. 1&gt; &amp; \"nota\" d'acconto\u{FFFD}  riga</oggetto>"));
    let (back, findings) = read(xml.as_bytes()).unwrap();
    assert!(findings.is_empty());
    assert_eq!(
        back.oggetto.as_deref(),
        Some("Fattura <n. 1> & \"nota\" d'acconto\u{FFFD}  riga")
    );
}
