//! An Order's roll: the import (every row reported, progress told, all or
//! nothing), the list and a member shown, a communicated PEC recorded with its
//! checks' warnings; on both storage back ends.

mod common;
mod registry_support;

use office::Error;
use office::registry::campaign::{self, Campaign, PecDiffide};
use office::registry::import::{self, ImportProgress, Outcome, RollFile};
use office::registry::members::{self, CommunicatedPec, Filter};
use office::registry::pec_checker::CheckLists;
use registry::model::Channel;
use registry::{MemberStatus, Sex};
use registry_support::{ORDER, Row, add_order, at, day, import, roll};
use store::sqlx;

fn bianchi() -> Row<'static> {
    Row::new(
        "Bianchi",
        "Anna",
        day(1975, 3, 1),
        Sex::Female,
        "anna.bianchi@legalmail.it",
    )
}

fn rossi() -> Row<'static> {
    Row {
        ctu: true,
        ..Row::new("Rossi", "Mario", day(1980, 1, 1), Sex::Male, "mario.rossi@pec.it")
    }
}

fn verdi() -> Row<'static> {
    Row::new("Verdi", "Luca", day(1982, 7, 20), Sex::Male, "luca.verdi@pec.it")
}

#[tokio::test]
async fn a_roll_is_imported_row_by_row_then_updated_and_unchanged() {
    common::on_both(at(), |office| async move {
        add_order(&office, "segreteria@pec.omceo.it").await;
        let lists = CheckLists::default();
        let text = format!(
            "{}RSSMRA80A01H501X;Rossi;Mario;;;;;;;;;;;;\n",
            roll(&[bianchi(), rossi(), verdi()])
        );
        let mut told = Vec::new();
        let file = RollFile {
            order: ORDER,
            bytes: text.as_bytes(),
            date: Some(day(2026, 3, 2)),
            lists: &lists,
        };
        let report = import::import(&office, &file, &mut |p| told.push(p)).await.unwrap();
        assert_eq!(
            told,
            [ImportProgress { done: 4, total: 4 }],
            "progress once all rows are written"
        );
        assert_eq!(
            (report.imported, report.updated, report.unchanged, report.rejected),
            (3, 0, 0, 1)
        );
        let rejected = &report.rows[3];
        assert_eq!((rejected.line, rejected.outcome), (5, Outcome::Rejected));
        assert!(
            rejected.reasons[0].starts_with("bad codice fiscale"),
            "{:?}",
            rejected.reasons
        );
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["rows"][0]["outcome"], "imported");
        assert_eq!(json["order"], ORDER);

        // Verdi moves, Rossi leaves the roll, Conte joins; Bianchi is unchanged.
        let verdi_moved = Row {
            street: "Via Larga 1",
            ..verdi()
        };
        let rossi_gone = Row {
            status: "cancellato",
            cancelled: "01/03/2026",
            ..rossi()
        };
        let conte = Row::new("Conte", "Nicola", day(1982, 8, 15), Sex::Male, "");
        let again = import(
            &office,
            &roll(&[bianchi(), rossi_gone, verdi_moved, conte]),
            day(2026, 3, 9),
            &lists,
        )
        .await;
        assert_eq!(
            (again.imported, again.updated, again.unchanged, again.rejected),
            (1, 2, 1, 0)
        );

        let all = members::list(&office, ORDER, Filter::default()).await.unwrap();
        assert_eq!(all.len(), 4);
        let active = Filter {
            status: Some(MemberStatus::Active),
            ctu: false,
        };
        assert_eq!(members::list(&office, ORDER, active).await.unwrap().len(), 3);
        let ctu = members::list(
            &office,
            ORDER,
            Filter {
                status: None,
                ctu: true,
            },
        )
        .await
        .unwrap();
        assert_eq!(ctu.len(), 1);
        assert_eq!(
            (ctu[0].status.as_str(), ctu[0].pec.as_deref()),
            ("cancelled", Some("mario.rossi@pec.it"))
        );

        let shown = members::show(&office, ORDER, &verdi().cf()).await.unwrap();
        let street = &shown.member.legal_domicile.as_ref().unwrap().street;
        assert_eq!(street, "Via Larga 1");
        assert_eq!(shown.pec.len(), 1);
        let json = serde_json::to_value(&shown).unwrap();
        assert_eq!(json["compliance"]["state"], "compliant");
        let conte = members::show(
            &office,
            ORDER,
            &Row::new("Conte", "Nicola", day(1982, 8, 15), Sex::Male, "").cf(),
        )
        .await
        .unwrap();
        assert_eq!(serde_json::to_value(&conte.compliance).unwrap()["state"], "diffida-due");

        let e = members::show(&office, ORDER, "RSSMRA80A01H501U").await.unwrap_err();
        assert!(
            matches!(
                e,
                Error::NotFound {
                    field: "codice_fiscale",
                    ..
                }
            ),
            "{e}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_bad_file_is_refused_naming_it() {
    common::on_both(at(), |office| async move {
        add_order(&office, "segreteria@pec.omceo.it").await;
        let lists = CheckLists::default();
        let file = RollFile {
            order: ORDER,
            bytes: b"nome;eta\nMario;40\n",
            date: None,
            lists: &lists,
        };
        let e = import::import(&office, &file, &mut |_| {}).await.unwrap_err();
        assert_eq!(e.field(), Some("file"), "{e}");
        let nobody = RollFile {
            order: "NESSUNO",
            ..file
        };
        let text = roll(&[bianchi()]);
        let nobody = RollFile {
            bytes: text.as_bytes(),
            ..nobody
        };
        let e = import::import(&office, &nobody, &mut |_| {}).await.unwrap_err();
        assert_eq!(e.field(), Some("order"), "{e}");
    })
    .await;
}

/// Makes the store refuse to insert the member `cf`, as a database failing
/// half-way through an import would.
async fn refuse_insert_of(office: &office::Office, cf: &str) {
    let mut c = office.store().conn().await.unwrap();
    let statements = match office.store().backend() {
        store::Backend::Sqlite => vec![format!(
            "CREATE TRIGGER refuse BEFORE INSERT ON registry_members WHEN NEW.codice_fiscale = '{cf}' \
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        )],
        store::Backend::Postgres => vec![
            format!(
                "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN \
                 IF NEW.codice_fiscale = '{cf}' THEN RAISE EXCEPTION 'refused by the test'; END IF; \
                 RETURN NEW; END $$ LANGUAGE plpgsql"
            ),
            "CREATE TRIGGER refuse BEFORE INSERT ON registry_members FOR EACH ROW EXECUTE FUNCTION refuse()".into(),
        ],
    };
    for sql in statements {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *c).await.unwrap();
    }
}

#[tokio::test]
async fn an_import_that_fails_at_write_time_keeps_nothing_and_names_the_row() {
    common::on_both(at(), |office| async move {
        add_order(&office, "segreteria@pec.omceo.it").await;
        let lists = CheckLists::default();
        import(&office, &roll(&[bianchi()]), day(2026, 3, 2), &lists).await;
        refuse_insert_of(&office, &verdi().cf()).await;
        let moved = Row {
            street: "Via Larga 1",
            ..bianchi()
        };
        let text = roll(&[moved, rossi(), verdi()]);
        let file = RollFile {
            order: ORDER,
            bytes: text.as_bytes(),
            date: None,
            lists: &lists,
        };
        let e = import::import(&office, &file, &mut |_| {}).await.unwrap_err();
        let Error::At { place, error } = &e else {
            panic!("not named by its row: {e}");
        };
        assert_eq!(place, &format!("line 4 ({})", verdi().cf()));
        assert!(error.to_string().contains("refused by the test"), "{e}");
        // Nothing of the file: Bianchi not moved, Rossi not added.
        assert_eq!(members::list(&office, ORDER, Filter::default()).await.unwrap().len(), 1);
        let shown = members::show(&office, ORDER, &bianchi().cf()).await.unwrap();
        assert_eq!(shown.member.legal_domicile.unwrap().street, "Via dei Servi 12");
    })
    .await;
}

#[tokio::test]
async fn a_communicated_pec_is_recorded_with_its_warnings_and_restores_a_warned_member() {
    common::on_both(at(), |office| async move {
        add_order(&office, "segreteria@pec.omceo.it").await;
        let lists = CheckLists {
            provider_domains: vec!["legalmail.it".into()],
            institutional_domains: vec!["ospedale.toscana.it".into()],
        };
        let nopec = Row::new("Bianchi", "Anna", day(1975, 3, 1), Sex::Female, "");
        let cf = nopec.cf();
        import(&office, &roll(&[nopec]), day(2026, 1, 2), &lists).await;
        let letters = Campaign {
            order: ORDER,
            date: Some(day(2026, 1, 10)),
            pec: PecDiffide::Texts,
            letters: true,
        };
        let warned = campaign::warn(&office, &letters, &mut |_| {}).await.unwrap();
        assert_eq!(warned.by_letter, 1);

        let set = |address: &'static str, date| {
            let (office, cf, lists) = (office.clone(), cf.clone(), lists.clone());
            async move {
                let new = CommunicatedPec {
                    order: ORDER,
                    codice_fiscale: &cf,
                    address,
                    channel: Channel::Pec,
                    date: Some(date),
                    lists: &lists,
                };
                members::set_pec(&office, &new).await
            }
        };
        // The hospital's PEC: recorded, not valid, and the cycle stays open.
        let hospital = set("Anna.Bianchi@ospedale.toscana.it", day(2026, 1, 20)).await.unwrap();
        assert_eq!(hospital.address, "anna.bianchi@ospedale.toscana.it");
        assert!(
            hospital.warnings.iter().any(|w| w.contains("institutional")),
            "{:?}",
            hospital.warnings
        );
        assert_eq!(hospital.restored, None);
        // A mailbox of this installation that does not exist: a warning, not valid.
        let missing = set("anna@pec.office.test", day(2026, 1, 21)).await.unwrap();
        assert!(
            missing
                .warnings
                .iter()
                .any(|w| w.contains("there is no mailbox anna@pec.office.test")),
            "{:?}",
            missing.warnings
        );
        assert_eq!(missing.restored, None);
        // A personal PEC: the cycle closes.
        let valid = set("anna.bianchi@legalmail.it", day(2026, 1, 25)).await.unwrap();
        assert!(valid.warnings.is_empty(), "{:?}", valid.warnings);
        assert_eq!(valid.restored.as_deref(), Some("warning cycle closed"));
        let shown = members::show(&office, ORDER, &cf).await.unwrap();
        assert_eq!(shown.pec.len(), 3);
        assert_eq!(shown.pec.iter().filter(|p| p.official).count(), 1);
        assert!(!shown.pec[0].valid && shown.pec[0].flag.as_deref().unwrap().starts_with("refused"));
        let kinds: Vec<&str> = shown.steps.iter().map(|s| s.kind.as_str()).collect();
        assert_eq!(kinds, ["letter", "restored"]);

        let e = set("non è un indirizzo", day(2026, 1, 25)).await.unwrap_err();
        assert_eq!(e.field(), Some("address"), "{e}");
    })
    .await;
}
