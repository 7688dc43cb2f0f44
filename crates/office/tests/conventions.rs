//! Conventions from their TOML text, on both storage back ends.

mod common;
mod lifecycle_support;

use lifecycle::convention::{Channel, Payer, RenewalMode};
use lifecycle_support::{DCS, POSTE, example, rome};
use office::Error;
use office::conventions;
use serde_json::json;

#[test]
fn a_convention_is_checked_whole_and_shown_with_prices_notices_expiry_and_payers() {
    let report = conventions::check(example(DCS)).unwrap();
    assert_eq!(report.code, DCS);
    assert_eq!(
        report.cancellation_address.as_deref(),
        Some("gestione.servizi@pec.dcssrl.it")
    );
    let payers: Vec<_> = report.payers.iter().map(|p| (p.payer, p.from, p.to)).collect();
    assert_eq!(payers[0].0, Payer::Order);
    assert_eq!(payers[1].0, Payer::Member);
    let yearly = &report.plans[0];
    assert_eq!(
        (
            yearly.price.net.to_string(),
            yearly.price.vat.to_string(),
            yearly.price.gross.to_string()
        ),
        ("6,50 €".to_string(), "22 %".to_string(), "7,93 €".to_string())
    );
    assert_eq!(yearly.renewal, RenewalMode::Tacit);
    assert_eq!(yearly.channels, [Channel::PecMailbox, Channel::OrdinaryEmail]);
    assert_eq!(yearly.notices, "every 7 days from 90 days before expiry");
    assert_eq!(
        yearly.at_expiry,
        "suspended at 11:00 on the expiry day for 20 days, then closed"
    );
    let poste = conventions::check(example(POSTE)).unwrap();
    assert_eq!(poste.plans[0].notices, "30 days before, 5 days before, 25 days after");
    assert_eq!(
        poste.plans[0].at_expiry,
        "receive-only from the day after expiry for 30 days, then closed"
    );
    assert_eq!(poste.list_price.unwrap().gross.plain(), "30.50");
}

#[tokio::test]
async fn a_convention_is_stored_once_and_replaced_only_when_asked() {
    common::on_both(rome(2024, 3, 1, 9, 0), |office| async move {
        conventions::create(&office, example(DCS), false).await.unwrap();
        let e = conventions::create(&office, example(DCS), false).await.unwrap_err();
        assert!(matches!(e, Error::Refused { field: None, .. }), "{e:?}");
        assert!(e.to_string().contains("exists already"), "{e}");
        let dearer = example(DCS).replace("net = \"6.50\"", "net = \"7.00\"");
        conventions::create(&office, &dearer, true).await.unwrap();
        let shown = conventions::show(&office, "croas-dcs-2024").await.unwrap();
        assert_eq!(shown.source, dearer, "the text as it was given");
        assert_eq!(shown.convention.plans[0].price.gross.plain(), "8.54");
    })
    .await;
}

#[tokio::test]
async fn a_bad_convention_names_the_field_and_stores_nothing() {
    common::on_both(rome(2024, 3, 1, 9, 0), |office| async move {
        let bad = example(DCS).replacen("net = \"6.50\"", "net = \"-6.50\"", 1);
        let e = conventions::create(&office, &bad, false).await.unwrap_err();
        assert_eq!(e.field(), Some("source"), "{e}");
        assert!(e.reason().starts_with("plans[0].net: negative amount"), "{e}");
        assert!(conventions::list(&office).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn an_unknown_code_is_not_found_and_the_known_ones_are_listed() {
    common::on_both(rome(2024, 3, 1, 9, 0), |office| async move {
        let e = conventions::show(&office, "NOPE").await.unwrap_err();
        assert!(matches!(e, Error::NotFound { field: "code", .. }), "{e:?}");
        assert!(e.reason().contains("known: none"), "{e}");
        conventions::create(&office, example(POSTE), false).await.unwrap();
        let e = conventions::show(&office, "NOPE").await.unwrap_err();
        assert_eq!(
            e.reason(),
            "unknown convention code \"NOPE\" (known: FNOMCEO-POSTE-2016)"
        );
    })
    .await;
}

#[tokio::test]
async fn the_list_serialises_as_convention_list_json() {
    common::on_both(rome(2024, 3, 1, 9, 0), |office| async move {
        conventions::create(&office, example(POSTE), false).await.unwrap();
        let list = conventions::list(&office).await.unwrap();
        assert_eq!(
            serde_json::to_value(&list).unwrap(),
            json!([{
                "code": "FNOMCEO-POSTE-2016",
                "order": "Ordine dei Medici Chirurghi e degli Odontoiatri della Provincia di Alessandria",
                "domains": ["al.omceo.it"],
                "time_zone": "Europe/Rome",
                "offer": { "from": "2016-09-19", "to": "2016-11-18" },
                "common_expiry": "2019-09-30",
                "list_price": "30.50",
                "plans": [{
                    "name": "annuale",
                    "net": "13.20",
                    "vat_percent": "22 %",
                    "gross": "16.10",
                    "first_term_months": 12,
                    "renewal_term_months": 36,
                }],
            }])
        );
    })
    .await;
}
