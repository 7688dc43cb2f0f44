//! The Orders an installation serves, on both storage back ends.

mod common;
mod registry_support;

use office::Error;
use office::registry::orders::{self, NewDelegate, NewOrder};
use registry_support::{ORDER, at};

fn order<'a>() -> NewOrder<'a> {
    NewOrder {
        code: ORDER,
        name: "Ordine dei Medici Chirurghi e degli Odontoiatri della Provincia di Firenze",
        tax_id: "80003530484",
        codice_ente: "80003530484",
        pec: "Segreteria.FI@pec.omceo.it",
        delegate: Some(NewDelegate {
            codice_fiscale: "RSSMRA80A01H501U",
            surname: "Rossi",
            name: "Mario",
        }),
    }
}

/// `first10` completed with its partita IVA check digit (registries.md 4.4).
fn with_check_digit(first10: &str) -> String {
    let sum: u32 = first10
        .bytes()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            match (i % 2, d * 2) {
                (0, _) => d,
                (_, x) if x > 9 => x - 9,
                (_, x) => x,
            }
        })
        .sum();
    format!("{first10}{}", (10 - sum % 10) % 10)
}

#[tokio::test]
async fn an_order_is_added_then_listed_and_shown_with_its_delegate() {
    common::on_both(at(), |office| async move {
        let added = orders::add(&office, &order()).await.unwrap();
        assert_eq!(added.pec, "segreteria.fi@pec.omceo.it");
        assert_eq!(added.members, 0);
        let shown = orders::show(&office, "omceo-fi").await.unwrap();
        assert_eq!(shown.code, ORDER);
        let delegate = shown.delegate.as_ref().unwrap();
        assert_eq!(
            (delegate.surname.as_str(), delegate.codice_fiscale.as_str()),
            ("Rossi", "RSSMRA80A01H501U")
        );
        let json = serde_json::to_value(&shown).unwrap();
        assert_eq!(json["delegate"]["name"], "Mario");
        assert_eq!(json["members"], 0);
        assert_eq!(orders::list(&office).await.unwrap().len(), 1);

        let again = orders::add(&office, &order()).await.unwrap_err();
        assert!(matches!(again, Error::Refused { field: None, .. }), "{again}");
        assert_eq!(again.to_string(), "Order OMCEO-FI exists already");
        let unknown = orders::show(&office, "OMCEO-PI").await.unwrap_err();
        assert!(matches!(unknown, Error::NotFound { field: "order", .. }), "{unknown}");
    })
    .await;
}

#[tokio::test]
async fn each_field_of_an_order_is_checked_and_named() {
    common::on_both(at(), |office| async move {
        let cases: [(&str, NewOrder); 6] = [
            (
                "code",
                NewOrder {
                    code: "OMCEO FI",
                    ..order()
                },
            ),
            ("name", NewOrder { name: " ", ..order() }),
            (
                "codice_ente",
                NewOrder {
                    codice_ente: "",
                    ..order()
                },
            ),
            (
                "pec",
                NewOrder {
                    pec: "segreteria",
                    ..order()
                },
            ),
            (
                "delegate",
                NewOrder {
                    delegate: Some(NewDelegate {
                        codice_fiscale: "RSSMRA80A01H501X",
                        surname: "Rossi",
                        name: "Mario",
                    }),
                    ..order()
                },
            ),
            (
                "delegate_name",
                NewOrder {
                    delegate: Some(NewDelegate {
                        codice_fiscale: "RSSMRA80A01H501U",
                        surname: "Rossi",
                        name: "",
                    }),
                    ..order()
                },
            ),
        ];
        for (field, new) in cases {
            let e = orders::add(&office, &new).await.unwrap_err();
            assert!(
                matches!(e, Error::Invalid { field: f, .. } if f == field),
                "{field}: {e}"
            );
        }
        assert!(orders::list(&office).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn an_orders_tax_id_is_11_digits_and_a_refusal_says_which_part_is_wrong() {
    let refused = |tax_id: &str| {
        let e = orders::order_tax_id(tax_id).unwrap_err();
        assert_eq!(e.field(), Some("tax_id"), "{e}");
        e.reason()
    };
    // Office code 101 does not exist, whatever the check digit says.
    let office_101 = with_check_digit("8000353101");
    let reason = refused(&office_101);
    assert!(
        reason.contains("digits 8-10") && reason.contains("101") && reason.contains("001-100, 120, 121, 888 or 999"),
        "{reason}"
    );
    let reason = refused("80003530485");
    assert!(
        reason.contains("check digit") && reason.contains("4 for these, not 5"),
        "{reason}"
    );
    let reason = refused("RSSMRA80A01H501U");
    assert!(reason.contains("a person's codice fiscale"), "{reason}");
    let reason = refused("8000353048");
    assert!(reason.starts_with("\"8000353048\": 10 characters"), "{reason}");
    let reason = refused("8000353048A");
    assert!(reason.contains("character 11 is 'A'"), "{reason}");
    for reason in [refused(&office_101), refused("8000353048")] {
        assert!(
            reason.contains("11 digits") && reason.contains("e.g. 80003530484"),
            "{reason}"
        );
    }
    // OMCeO Firenze (registries.md 4.6), with the EU VAT prefix and blanks.
    assert_eq!(orders::order_tax_id(" IT80029990480 ").unwrap().as_str(), "80029990480");

    common::on_both(at(), |office| async move {
        let e = orders::add(
            &office,
            &NewOrder {
                tax_id: "80003530485",
                ..order()
            },
        )
        .await
        .unwrap_err();
        assert!(matches!(e, Error::Invalid { field: "tax_id", .. }), "{e}");
    })
    .await;
}
