//! Payments of renewal orders: recorded one by one, or from a bank statement,
//! on both storage back ends.

mod common;
mod lifecycle_support;

use lifecycle::bank::{CsvFormat, Outcome};
use lifecycle::money::Money;
use lifecycle_support::{rome, subscribed};
use office::Error;
use office::payments::{self, Applied, Payment, PaymentReport, Statement};
use office::subscriptions;
use serde_json::json;

const MARIO: &str = "mario.rossi@pec.dcssrl.it";

fn payment<'a>(order_id: &'a str, cents: i64, payment_id: &'a str) -> Payment<'a> {
    Payment {
        order_id,
        amount: Money::from_cents(cents),
        payment_id,
        paid_at: None,
        source: "operator",
        detail: None,
    }
}

#[tokio::test]
async fn a_renewal_order_paid_late_renews_from_the_old_expiry_once() {
    common::on_both_clocked(rome(2025, 2, 1, 10, 0), |office, clock| async move {
        subscribed(&office, MARIO, rome(2024, 3, 10, 9, 30)).await;
        let order = subscriptions::renew(&office, MARIO, None).await.unwrap().order;
        // Paid five days after the expiry: the next one is a year after the old one.
        clock.set(rome(2025, 3, 15, 10, 30));
        let paid = payments::record(&office, &payment(&order.id, 793, "BON-1"))
            .await
            .unwrap();
        assert_eq!(
            serde_json::to_value(&paid).unwrap(),
            json!({
                "outcome": "renewed",
                "payment_id": "BON-1",
                "order_id": order.id,
                "mailbox": MARIO,
                "renewed_from": "2025-03-10",
                "new_expiry": "2026-03-10",
                "reactivated": false,
            })
        );
        assert!(!paid.refund_due());
        let shown = subscriptions::show(&office, MARIO).await.unwrap();
        assert_eq!(shown.expiry.to_string(), "2026-03-10");
        assert_eq!(shown.orders[0].state, "paid");
        assert_eq!(shown.payments[0].payment_id, "BON-1");
        assert_eq!(shown.subscription.last_payment_at, Some(rome(2025, 3, 15, 10, 30)));

        let replay = payments::record(&office, &payment(&order.id, 793, "BON-1"))
            .await
            .unwrap();
        assert_eq!(
            replay,
            PaymentReport::AlreadyApplied {
                payment_id: "BON-1".into()
            }
        );
        assert_eq!(subscriptions::show(&office, MARIO).await.unwrap().expiry, shown.expiry);
    })
    .await;
}

#[tokio::test]
async fn another_payment_of_a_paid_order_is_not_applied_and_a_refund_is_due() {
    common::on_both(rome(2025, 2, 1, 10, 0), |office| async move {
        subscribed(&office, MARIO, rome(2024, 3, 10, 9, 30)).await;
        let order = subscriptions::renew(&office, MARIO, None).await.unwrap().order;
        payments::record(&office, &payment(&order.id, 793, "BON-1"))
            .await
            .unwrap();
        let paid = subscriptions::show(&office, MARIO).await.unwrap();

        let twice = payments::record(&office, &payment(&order.id, 793, "BON-2"))
            .await
            .unwrap();
        assert!(twice.refund_due());
        assert_eq!(
            serde_json::to_value(&twice).unwrap(),
            json!({
                "outcome": "order already paid",
                "payment_id": "BON-2",
                "order_id": order.id,
                "paid_by": "BON-1",
            })
        );
        let after = subscriptions::show(&office, MARIO).await.unwrap();
        assert_eq!((after.expiry, after.version), (paid.expiry, paid.version));
        let last = after.timeline.last().unwrap();
        assert_eq!(last.event, "payment-refused");
        assert!(last.detail.contains("refund due"), "{}", last.detail);
    })
    .await;
}

#[tokio::test]
async fn a_payment_is_refused_before_anything_is_written() {
    common::on_both(rome(2025, 2, 1, 10, 0), |office| async move {
        subscribed(&office, MARIO, rome(2024, 3, 10, 9, 30)).await;
        let order = subscriptions::renew(&office, MARIO, None).await.unwrap().order;
        let before = serde_json::to_value(subscriptions::show(&office, MARIO).await.unwrap()).unwrap();

        let e = payments::record(&office, &payment("crt-2025-999999", 793, "BON-1"))
            .await
            .unwrap_err();
        assert!(matches!(e, Error::NotFound { field: "order_id", .. }), "{e:?}");
        assert_eq!(
            e.reason(),
            "no order CRT-2025-999999: check the order ID (CRT-YYYY-NNNNNN)"
        );
        let e = payments::record(&office, &payment(&order.id, 650, "BON-1"))
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Invalid { field: "amount", .. }), "{e:?}");
        assert!(e.reason().starts_with("amount 6,50 € does not match order"), "{e}");
        let e = payments::record(&office, &payment(&order.id, 793, "  "))
            .await
            .unwrap_err();
        assert_eq!(e.field(), Some("payment_id"));
        let after = serde_json::to_value(subscriptions::show(&office, MARIO).await.unwrap()).unwrap();
        assert_eq!(after, before, "nothing recorded");

        subscriptions::cancel(&office, MARIO, rome(2025, 2, 1, 9, 0), "operatore")
            .await
            .unwrap();
        let e = payments::record(&office, &payment(&order.id, 793, "BON-1"))
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Refused { field: None, .. }), "{e:?}");
        assert!(e.reason().contains("was cancelled: it cannot be paid"), "{e}");
    })
    .await;
}

/// A home-banking CSV: a transfer naming `paid`, one naming no order, one
/// naming `cancelled`.
fn statement(paid: &str, cancelled: &str) -> String {
    format!(
        "Conto corrente;IT00X0000000000000000000001\n\
         \n\
         Data contabile;Data valuta;Importo;Divisa;Causale;Ordinante;Id operazione\n\
         12/03/2025;12/03/2025;7,93;EUR;BONIFICO RINNOVO PEC {paid};ROSSI MARIO;CRO-A\n\
         13/03/2025;13/03/2025;50,00;EUR;QUOTA ISCRIZIONE ALBO 2025;NERI LUCA;CRO-X\n\
         14/03/2025;14/03/2025;7,93;EUR;RINNOVO {cancelled};BIANCHI LUCIA;CRO-B\n"
    )
}

#[tokio::test]
async fn a_bank_statement_pays_the_matched_line_and_names_the_cancelled_order() {
    common::on_both_clocked(rome(2025, 2, 1, 10, 0), |office, clock| async move {
        subscribed(&office, MARIO, rome(2024, 3, 10, 9, 30)).await;
        let anna = "anna.neri@pec.dcssrl.it";
        lifecycle_support::mailbox(&office, anna).await;
        subscriptions::create(&office, &lifecycle_support::dcs_yearly(anna, rome(2024, 3, 10, 9, 30)))
            .await
            .unwrap();
        let paid = subscriptions::renew(&office, MARIO, None).await.unwrap().order.id;
        let cancelled = subscriptions::renew(&office, anna, None).await.unwrap().order.id;
        subscriptions::cancel(&office, anna, rome(2025, 2, 1, 9, 0), "raccomandata A/R")
            .await
            .unwrap();
        clock.set(rome(2025, 3, 17, 9, 0));
        let text = statement(&paid, &cancelled);
        let csv = CsvFormat::default();
        let mut s = Statement {
            bytes: text.as_bytes(),
            name: "estratto.csv",
            format: None,
            csv: &csv,
            dry_run: true,
        };

        let dry = payments::import(&office, &s).await.unwrap();
        let outcomes: Vec<&Outcome> = dry.lines.iter().map(|l| &l.outcome).collect();
        assert_eq!(
            outcomes,
            [
                &Outcome::Matched { order: paid.clone() },
                &Outcome::Unmatched,
                &Outcome::Cancelled {
                    order: cancelled.clone()
                },
            ]
        );
        assert!(dry.applied.is_empty());
        assert_eq!(
            subscriptions::show(&office, MARIO).await.unwrap().expiry.to_string(),
            "2025-03-10"
        );

        s.dry_run = false;
        let import = payments::import(&office, &s).await.unwrap();
        assert!(!import.failed());
        let Applied::Done { line: 4, applied } = &import.applied[0] else {
            panic!("{:?}", import.applied)
        };
        assert!(matches!(applied, PaymentReport::Renewed { new_expiry, .. } if new_expiry.to_string() == "2026-03-10"));
        assert_eq!(import.applied.len(), 1);
        let json = serde_json::to_value(&import).unwrap();
        assert_eq!(json["lines"][2]["outcome"], "cancelled");
        assert_eq!(json["lines"][2]["order_id"], cancelled);
        assert_eq!(json["lines"][1]["order_id"], serde_json::Value::Null);
        assert_eq!(json["applied"][0]["applied"]["new_expiry"], "2026-03-10");
        assert_eq!(json["dry_run"], false);
        let shown = subscriptions::show(&office, MARIO).await.unwrap();
        assert_eq!(shown.expiry.to_string(), "2026-03-10");
        assert_eq!(shown.payments[0].payment_id, "CRO-A");
        assert_eq!(
            shown.payments[0].paid_at,
            Some(rome(2025, 3, 12, 0, 0)),
            "paid at the start of its booking day"
        );

        let again = payments::import(&office, &s).await.unwrap();
        assert!(matches!(again.lines[0].outcome, Outcome::Duplicate { .. }));
        assert!(again.applied.is_empty());

        let e = payments::import(
            &office,
            &Statement {
                bytes: b"<html><body>estratto</body></html>",
                ..s
            },
        )
        .await
        .unwrap_err();
        assert_eq!(e.field(), Some("statement"), "{e}");
        assert!(e.reason().contains("camt.053"), "{e}");
    })
    .await;
}
