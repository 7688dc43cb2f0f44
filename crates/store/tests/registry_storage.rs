//! The registry tables, run against SQLite and PostgreSQL alike. Each PostgreSQL
//! case runs in a fresh database of its own (created and dropped here) on the
//! server of `CERTA_TEST_POSTGRES` (default postgres://postgres@127.0.0.1:5432/test);
//! a missing server is a failure, not a skip.

use store::Error;
use store::registry::{
    self as reg, IniPecExport, MemberFilter, MemberRow, NewPec, RegindeExport, StoredEsito, StoredOrder,
};

mod common;

use common::on_both;

const NOW: i64 = 1_772_000_000_000;

fn order(code: &str) -> StoredOrder {
    StoredOrder {
        code: code.into(),
        name: "Ordine dei Medici Chirurghi e degli Odontoiatri della Provincia di Firenze".into(),
        tax_id: "80003530480".into(),
        codice_ente: "80003530480".into(),
        pec: "segreteria.fi@pec.omceo.it".into(),
        delegate: None,
        created_at: NOW,
    }
}

fn row<'a>(cf: &'a str, status: &'a str, ctu: bool, data: &'a str) -> MemberRow<'a> {
    MemberRow {
        codice_fiscale: cf,
        surname: "Rossi",
        status,
        ctu,
        data,
    }
}

#[tokio::test]
async fn orders_are_unique_by_code_in_any_case() {
    on_both(|store| async move {
        let mut c = store.conn().await.unwrap();
        reg::add_order(&mut c, &order("OMCEO-FI")).await.unwrap();
        let again = reg::add_order(&mut c, &order("omceo-fi")).await.unwrap_err();
        assert!(matches!(again, Error::Conflict(_)), "{again}");
        let found = reg::order(&mut c, "omceo-fi").await.unwrap().unwrap();
        assert_eq!(found.code, "OMCEO-FI");
        reg::add_order(&mut c, &order("OPI-FI")).await.unwrap();
        let codes: Vec<String> = reg::orders(&mut c).await.unwrap().into_iter().map(|o| o.code).collect();
        assert_eq!(codes, ["OMCEO-FI", "OPI-FI"]);
    })
    .await;
}

#[tokio::test]
async fn a_codice_fiscale_is_once_per_order_and_filters_select_members() {
    on_both(|store| async move {
        let mut c = store.conn().await.unwrap();
        reg::add_order(&mut c, &order("A")).await.unwrap();
        reg::add_order(&mut c, &order("B")).await.unwrap();
        let id = reg::insert_member(&mut c, "A", &row("RSSMRA80A01H501U", "active", true, "{}"), NOW)
            .await
            .unwrap();
        reg::insert_member(&mut c, "A", &row("BNCNNA75C41D612C", "suspended", false, "{}"), NOW)
            .await
            .unwrap();
        // The same person on another Order's roll is another member.
        reg::insert_member(&mut c, "B", &row("RSSMRA80A01H501U", "active", false, "{}"), NOW)
            .await
            .unwrap();
        let twice = reg::insert_member(&mut c, "A", &row("RSSMRA80A01H501U", "active", false, "{}"), NOW).await;
        assert!(twice.is_err());
        assert_eq!(reg::member_count(&mut c, "A").await.unwrap(), 2);

        reg::update_member(
            &mut c,
            id,
            &row("RSSMRA80A01H501U", "struck-off", true, "{\"x\":1}"),
            NOW + 1,
        )
        .await
        .unwrap();
        let m = reg::member(&mut c, "A", "rssmra80a01h501u").await.unwrap().unwrap();
        assert_eq!(
            (m.status.as_str(), m.ctu, m.data.as_str(), m.updated_at),
            ("struck-off", true, "{\"x\":1}", NOW + 1)
        );

        let all = reg::members(&mut c, "A", MemberFilter::default()).await.unwrap();
        assert_eq!(
            all.iter().map(|m| m.codice_fiscale.as_str()).collect::<Vec<_>>(),
            ["BNCNNA75C41D612C", "RSSMRA80A01H501U"]
        );
        let ctu = reg::members(
            &mut c,
            "A",
            MemberFilter {
                ctu: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(ctu.len(), 1);
        let suspended = reg::members(
            &mut c,
            "A",
            MemberFilter {
                status: Some("suspended"),
                ctu: false,
            },
        )
        .await
        .unwrap();
        assert_eq!(suspended[0].codice_fiscale, "BNCNNA75C41D612C");
    })
    .await;
}

#[tokio::test]
async fn one_official_pec_at_a_time_and_the_history_is_kept() {
    on_both(|store| async move {
        let mut tx = store.begin().await.unwrap();
        reg::add_order(&mut tx, &order("A")).await.unwrap();
        let id = reg::insert_member(&mut tx, "A", &row("RSSMRA80A01H501U", "active", false, "{}"), NOW)
            .await
            .unwrap();
        let pec = |address, day, official| NewPec {
            address,
            communicated_on: day,
            channel: "pec",
            official,
            warnings: "[]",
            flag: None,
        };
        reg::add_pec(&mut tx, id, &pec("mario@pec.it", "2025-01-10", true), NOW)
            .await
            .unwrap();
        reg::add_pec(&mut tx, id, &pec("mario@old.pec.it", "2025-02-01", false), NOW)
            .await
            .unwrap();
        let third = reg::add_pec(&mut tx, id, &pec("mario.rossi@legalmail.it", "2025-03-01", true), NOW)
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let mut c = store.conn().await.unwrap();
        let history = reg::pec_history(&mut c, id).await.unwrap();
        assert_eq!(history.len(), 3);
        assert_eq!(history.iter().filter(|p| p.official).count(), 1);
        assert_eq!(history[0].superseded_on.as_deref(), Some("2025-03-01"));
        let official = reg::official_pecs(&mut c, "A").await.unwrap();
        assert_eq!(official.len(), 1);
        assert_eq!(official[0].address, "mario.rossi@legalmail.it");
        assert_eq!(
            reg::official_owners(&mut c, "Mario.Rossi@Legalmail.it").await.unwrap(),
            ["RSSMRA80A01H501U"]
        );
        reg::set_pec_valid(&mut c, third, false).await.unwrap();
        assert!(!reg::official_pecs(&mut c, "A").await.unwrap()[0].valid);
        reg::set_pec_valid(&mut c, third, true).await.unwrap();
        // A mailbox that closed is flagged on whoever made it their official address,
        // and only there: the superseded address of before is left alone.
        assert!(
            reg::flag_address(&mut c, "mario@pec.it", "closed")
                .await
                .unwrap()
                .is_empty()
        );
        let flagged = reg::flag_address(&mut c, "MARIO.ROSSI@legalmail.it", "mailbox closed on 2025-04-01")
            .await
            .unwrap();
        assert_eq!(flagged, [(id, "A".to_string(), "RSSMRA80A01H501U".to_string())]);
        let official = &reg::official_pecs(&mut c, "A").await.unwrap()[0];
        assert!(!official.valid);
        assert_eq!(official.flag.as_deref(), Some("mailbox closed on 2025-04-01"));
        reg::flag_address(&mut c, "mario.rossi@legalmail.it", "diffida not delivered")
            .await
            .unwrap();
        let official = &reg::official_pecs(&mut c, "A").await.unwrap()[0];
        assert_eq!(
            official.flag.as_deref(),
            Some("mailbox closed on 2025-04-01; diffida not delivered")
        );
        assert_eq!(
            reg::all_official_addresses(&mut c).await.unwrap(),
            [("mario.rossi@legalmail.it".to_string(), "RSSMRA80A01H501U".to_string())]
        );
        // The database itself refuses a second official address.
        let raw = sqlx::query("UPDATE registry_pec SET official = 1 WHERE member_id = $1")
            .bind(id)
            .execute(&mut *c)
            .await;
        assert!(raw.is_err());
    })
    .await;
}

#[tokio::test]
async fn compliance_steps_are_dated_and_kept_in_order() {
    on_both(|store| async move {
        let mut c = store.conn().await.unwrap();
        reg::add_order(&mut c, &order("A")).await.unwrap();
        let id = reg::insert_member(&mut c, "A", &row("RSSMRA80A01H501U", "active", false, "{}"), NOW)
            .await
            .unwrap();
        reg::add_step(&mut c, id, "suspended", "2025-02-12", "", NOW)
            .await
            .unwrap();
        reg::add_step(&mut c, id, "letter", "2025-01-10", "raccomandata", NOW)
            .await
            .unwrap();
        reg::add_step(&mut c, id, "restored", "2025-03-01", "mario@pec.it", NOW)
            .await
            .unwrap();
        assert!(matches!(
            reg::add_step(&mut c, id, "fined", "2025-03-01", "", NOW).await,
            Err(Error::Invalid(_))
        ));
        let kinds: Vec<String> = reg::steps(&mut c, id)
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.kind)
            .collect();
        assert_eq!(kinds, ["letter", "suspended", "restored"]);
        assert_eq!(reg::order_steps(&mut c, "A").await.unwrap().len(), 3);

        // A diffida sent by PEC waits for its outcome until a step names the same message.
        reg::add_message_step(&mut c, id, "warned", "2025-04-01", "m@pec.it", Some("opec.9@x"), NOW)
            .await
            .unwrap();
        let pending = reg::pending_deliveries(&mut c, "A").await.unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].message.as_deref(), Some("opec.9@x"));
        reg::add_message_step(&mut c, id, "received", "2025-04-02", "m@pec.it", Some("opec.9@x"), NOW)
            .await
            .unwrap();
        assert!(reg::pending_deliveries(&mut c, "A").await.unwrap().is_empty());
        reg::add_step(&mut c, id, "undelivered", "2025-04-02", "", NOW)
            .await
            .unwrap();
        assert!(reg::order_steps(&mut c, "B").await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn exports_keep_what_was_sent_and_no_changes_days() {
    on_both(|store| async move {
        let mut c = store.conn().await.unwrap();
        reg::add_order(&mut c, &order("A")).await.unwrap();
        let day = |day: &str, file: Option<Vec<u8>>, state: &str| IniPecExport {
            id: 0,
            order_code: "A".into(),
            day: day.into(),
            no_changes: file.is_none(),
            row_count: if file.is_some() { 1 } else { 0 },
            file,
            state: state.into(),
            created_at: NOW,
        };
        // Latin-1 bytes go in and come out as they are.
        let file = b"Indirizzo PEC;Nome\r\nniccol\xf2@pec.it;Niccol\xf2\r\n".to_vec();
        reg::record_inipec(&mut c, &day("2025-06-02", Some(file.clone()), "{\"one\":1}"))
            .await
            .unwrap();
        reg::record_inipec(&mut c, &day("2025-06-03", None, "{\"two\":2}"))
            .await
            .unwrap();
        let again = reg::record_inipec(&mut c, &day("2025-06-03", None, "{}"))
            .await
            .unwrap_err();
        assert!(matches!(again, Error::Conflict(_)));
        let last = reg::last_inipec(&mut c, "A").await.unwrap().unwrap();
        assert_eq!(
            (last.day.as_str(), last.no_changes, last.state.as_str()),
            ("2025-06-03", true, "{\"two\":2}")
        );
        let first = reg::inipec_export(&mut c, "A", "2025-06-02").await.unwrap().unwrap();
        assert_eq!(first.file, Some(file));
        assert_eq!(reg::inipec_exports(&mut c, "A").await.unwrap().len(), 2);

        for (month, whole) in [("2025-05", true), ("2025-06", false)] {
            let e = RegindeExport {
                id: 0,
                order_code: "A".into(),
                month: month.into(),
                whole,
                xml: format!("<x>{month}</x>"),
                subjects: "{}".into(),
                created_at: NOW,
                message: None,
            };
            reg::record_reginde(&mut c, &e).await.unwrap();
        }
        let last = reg::last_reginde(&mut c, "A").await.unwrap().unwrap();
        assert_eq!((last.month.as_str(), last.whole), ("2025-06", false));
        reg::set_reginde_message(&mut c, last.id, "opec.2@pec.it")
            .await
            .unwrap();
        let last = reg::last_reginde(&mut c, "A").await.unwrap().unwrap();
        assert_eq!(last.message.as_deref(), Some("opec.2@pec.it"));
        assert_eq!(reg::reginde_exports(&mut c, "A").await.unwrap().len(), 2);

        let esito = StoredEsito {
            order_code: "A".into(),
            message_id: Some("opec.1@pec.it".into()),
            codice_fiscale: Some("RSSMRA80A01H501U".into()),
            code: "E001".into(),
            severity: "error".into(),
            description: Some("PEC non valida".into()),
            recorded_at: NOW,
        };
        reg::record_esito(&mut c, &esito).await.unwrap();
        assert_eq!(reg::esiti(&mut c, "A").await.unwrap(), [esito]);
    })
    .await;
}
