//! Subscriptions: created with the checks that name the field at fault, shown,
//! renewed and cancelled, on both storage back ends.

mod common;
mod lifecycle_support;

use lifecycle::subscription::Pricing;
use lifecycle_support::{DCS, DCS_DOMAIN, POSTE, convention, dcs_yearly, mailbox, rome, subscribed};
use office::Error;
use office::subscriptions::{self, NewSubscription};
use store::mailboxes::Status;

const MARIO: &str = "mario.rossi@pec.dcssrl.it";

#[tokio::test]
async fn each_refused_subscription_names_its_field_and_writes_nothing() {
    common::on_both(rome(2024, 3, 10, 9, 0), |office| async move {
        convention(&office, DCS).await;
        convention(&office, POSTE).await;
        mailbox(&office, MARIO).await;
        let at = rome(2024, 3, 10, 9, 0);
        let base = dcs_yearly(MARIO, at);
        let poste = NewSubscription {
            address: "anna@al.omceo.it",
            convention: POSTE,
            ..base.clone()
        };
        let cases: Vec<(NewSubscription, Option<&str>, &str)> = vec![
            (
                NewSubscription {
                    tax_id: "RSSMRA85T10A562X",
                    ..base.clone()
                },
                Some("tax_id"),
                "wrong check character",
            ),
            (
                NewSubscription {
                    name: " ",
                    ..base.clone()
                },
                Some("name"),
                "empty",
            ),
            (
                NewSubscription {
                    billing_address: "",
                    ..base.clone()
                },
                Some("billing_address"),
                "empty",
            ),
            (
                NewSubscription {
                    email: Some("mario"),
                    ..base.clone()
                },
                Some("email"),
                "is not an e-mail address",
            ),
            (
                NewSubscription {
                    convention: "NOPE-2024",
                    ..base.clone()
                },
                Some("convention"),
                "unknown convention code \"NOPE-2024\"",
            ),
            (
                NewSubscription {
                    plan: "mensile",
                    ..base.clone()
                },
                Some("plan"),
                "has no plan \"mensile\"",
            ),
            (
                NewSubscription {
                    at: Some(rome(2023, 12, 1, 9, 0)),
                    ..base.clone()
                },
                Some("at"),
                "opens on 2024-01-22",
            ),
            (
                NewSubscription {
                    pricing: Pricing::ListPrice,
                    ..base.clone()
                },
                Some("list_price"),
                "has no list price",
            ),
            (
                NewSubscription {
                    address: "mario@pec.office.test",
                    ..base.clone()
                },
                Some("address"),
                "is not on a domain of convention",
            ),
            (
                NewSubscription {
                    address: "mario",
                    ..base.clone()
                },
                Some("address"),
                "is not an e-mail address",
            ),
            (
                NewSubscription {
                    address: "nessuno@pec.dcssrl.it",
                    ..base.clone()
                },
                Some("address"),
                "create the mailbox first",
            ),
            // Poste's offer ended in 2016: the list price would be accepted.
            (poste.clone(), Some("list_price"), "ended on 2016-11-18"),
        ];
        for (new, field, reason) in cases {
            let e = subscriptions::create(&office, &new).await.unwrap_err();
            assert_eq!(e.field(), field, "{new:?}: {e}");
            assert!(e.reason().contains(reason), "{new:?}: {e}");
            assert!(subscriptions::list(&office, None).await.unwrap().is_empty(), "{new:?}");
        }
        // The window that ended is a refusal the list price turns into an activation.
        let e = subscriptions::create(&office, &poste).await.unwrap_err();
        assert!(
            matches!(
                e,
                Error::Refused {
                    field: Some("list_price"),
                    ..
                }
            ),
            "{e:?}"
        );
        mailbox(&office, "anna@al.omceo.it").await;
        let at_list_price = NewSubscription {
            pricing: Pricing::ListPrice,
            ..poste
        };
        let created = subscriptions::create(&office, &at_list_price).await.unwrap();
        assert_eq!(created.price.unwrap().gross.plain(), "30.50");

        subscriptions::create(&office, &base).await.unwrap();
        let e = subscriptions::create(&office, &base).await.unwrap_err();
        assert!(e.reason().contains("already has a subscription"), "{e}");
        assert_eq!(subscriptions::list(&office, None).await.unwrap().len(), 2);
    })
    .await;
}

#[tokio::test]
async fn a_subscription_sets_the_quota_and_is_shown_with_its_orders_and_log() {
    common::on_both(rome(2024, 3, 10, 9, 30), |office| async move {
        let created = subscribed(&office, MARIO, rome(2024, 3, 10, 9, 30)).await;
        assert_eq!(created.expiry.to_string(), "2025-03-10");
        assert_eq!(created.price.unwrap().gross.plain(), "7.93");
        let m = office::mailboxes::show(&office, MARIO).await.unwrap().mailbox;
        assert_eq!((m.status, m.quota_bytes), (Status::Active, 1 << 30), "the plan's quota");

        let renewal = subscriptions::renew(&office, MARIO, None).await.unwrap();
        let shown = subscriptions::show(&office, "Mario.Rossi@pec.dcssrl.it").await.unwrap();
        let json = serde_json::to_value(&shown).unwrap();
        assert_eq!(json["state"], "active");
        assert_eq!(json["expiry"], "2025-03-10");
        assert_eq!(json["pricing"], "convention");
        assert_eq!(json["holder"]["name"], "Mario Rossi");
        assert_eq!(json["orders"][0]["id"], renewal.order.id);
        assert_eq!(json["orders"][0]["amount"], "7.93");
        assert_eq!(json["orders"][0]["vat_percent"], "22 %");
        assert_eq!(json["payments"], serde_json::json!([]));
        let events: Vec<&str> = shown.timeline.iter().map(|e| e.event.as_str()).collect();
        assert_eq!(events, ["activated", "order"]);

        let listed = subscriptions::list(&office, Some("croas-dcs-2024")).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert!(subscriptions::list(&office, Some(POSTE)).await.unwrap().is_empty());
        let e = subscriptions::show(&office, "nessuno@pec.dcssrl.it").await.unwrap_err();
        assert!(e.reason().contains("has no subscription"), "{e}");
    })
    .await;
}

#[tokio::test]
async fn the_renewal_order_of_an_expiry_is_created_once() {
    common::on_both(rome(2025, 2, 1, 10, 0), |office| async move {
        subscribed(&office, MARIO, rome(2024, 3, 10, 9, 30)).await;
        let first = subscriptions::renew(&office, MARIO, None).await.unwrap();
        assert_eq!(first.order.id, "CRT-2025-000001");
        assert_eq!(first.order.renews_expiry, "2025-03-10");
        assert_eq!(first.next_expiry.unwrap().to_string(), "2026-03-10");
        // The link names no order: its token opens this one.
        let token = first.renewal_url.rsplit('/').next().unwrap();
        assert!(!first.renewal_url.contains("CRT-2025"), "{}", first.renewal_url);
        let page = office::renewal::open(&office, token).await.unwrap();
        assert_eq!(page.order.id, "CRT-2025-000001");
        assert!(!first.payment_methods.is_empty());
        let json = serde_json::to_value(&first).unwrap();
        assert_eq!(
            (json["id"].as_str(), json["mailbox"].as_str()),
            (Some("CRT-2025-000001"), Some(MARIO))
        );
        assert_eq!(json["amount_cents"], 793);

        let again = subscriptions::renew(&office, MARIO, None).await.unwrap();
        assert_eq!(again.order.id, first.order.id);
        // Another plan for the same expiry: the order exists already.
        let e = subscriptions::renew(&office, MARIO, Some("biennale"))
            .await
            .unwrap_err();
        assert!(e.reason().contains("exists already for plan annuale"), "{e}");
        let e = subscriptions::renew(&office, MARIO, Some("mensile")).await.unwrap_err();
        assert!(e.reason().contains("has no plan \"mensile\""), "{e}");
    })
    .await;
}

#[tokio::test]
async fn a_cancellation_keeps_its_first_legal_time_and_stops_renewal() {
    common::on_both(rome(2025, 2, 3, 9, 0), |office| async move {
        subscribed(&office, MARIO, rome(2024, 3, 10, 9, 30)).await;
        let order = subscriptions::renew(&office, MARIO, None).await.unwrap().order;
        let legal = rome(2025, 2, 1, 10, 15);
        let cancelled = subscriptions::cancel(&office, MARIO, legal, "raccomandata A/R")
            .await
            .unwrap();
        assert_eq!(
            (cancelled.cancelled_at, cancelled.expiry.to_string()),
            (legal, "2025-03-10".into())
        );
        let later = subscriptions::cancel(&office, MARIO, rome(2025, 2, 2, 9, 0), "operatore")
            .await
            .unwrap();
        assert_eq!(later.cancelled_at, legal);

        let shown = subscriptions::show(&office, MARIO).await.unwrap();
        assert_eq!(shown.cancelled_at, Some(legal));
        assert_eq!(shown.orders[0].id, order.id);
        assert_eq!(shown.orders[0].state, "cancelled");
        let e = subscriptions::renew(&office, MARIO, None).await.unwrap_err();
        assert!(e.reason().contains("it cannot be renewed"), "{e}");
        let e = subscriptions::cancel(&office, &format!("x@{DCS_DOMAIN}"), legal, "operatore")
            .await
            .unwrap_err();
        assert!(e.reason().contains("has no subscription"), "{e}");
    })
    .await;
}

#[tokio::test]
async fn a_renewal_link_opens_its_own_order_until_its_last_day_and_nothing_else() {
    testkit::office::on_both_clocked(rome(2025, 2, 1, 10, 0), |office, clock| async move {
        subscribed(&office, MARIO, rome(2024, 3, 10, 9, 30)).await;
        let anna = "anna.neri@pec.dcssrl.it";
        mailbox(&office, anna).await;
        subscriptions::create(
            &office,
            &NewSubscription {
                address: anna,
                ..dcs_yearly(anna, rome(2024, 3, 20, 9, 30))
            },
        )
        .await
        .unwrap();
        let mario = subscriptions::renew(&office, MARIO, None).await.unwrap();
        let other = subscriptions::renew(&office, anna, None).await.unwrap();
        let token = mario.renewal_url.rsplit('/').next().unwrap().to_string();

        let page = office::renewal::open(&office, &token).await.unwrap();
        assert_eq!(
            (page.mailbox.as_str(), page.order.id.as_str()),
            (MARIO, mario.order.id.as_str())
        );
        assert_eq!(
            (page.state, page.expiry.to_string()),
            ("active", "2025-03-10".to_string())
        );
        assert_eq!(
            page.next_expiry.unwrap().to_string(),
            "2026-03-10",
            "from the expiry, not from payment"
        );
        assert_eq!(
            (page.order.amount.plain(), page.order.state.as_str()),
            ("7.93".to_string(), "open")
        );
        assert_eq!(page.transfer_reference, format!("{} {MARIO}", mario.order.id));
        assert_eq!(page.holder, "Mario Rossi");
        assert!(!page.payment_methods.is_empty());
        let json = serde_json::to_value(&page).unwrap();
        assert_eq!(json["order"]["vat_percent"], "22 %");

        // Each link opens its own order only.
        let other_token = other.renewal_url.rsplit('/').next().unwrap();
        assert_eq!(office::renewal::open(&office, other_token).await.unwrap().mailbox, anna);

        // Altered, made up, or the order number alone: not found, naming the link.
        let mut altered = token.clone().into_bytes();
        let last = altered.len() - 1;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        for bad in [
            String::from_utf8(altered).unwrap(),
            mario.order.id.clone(),
            "x.y".into(),
            String::new(),
        ] {
            let e = office::renewal::open(&office, &bad).await.unwrap_err();
            assert!(matches!(e, Error::NotFound { field: "token", .. }), "{bad:?}: {e:?}");
            assert!(e.reason().contains("not valid"), "{e}");
        }

        // 180 days after the expiry it renews, the link stops opening.
        clock.set(rome(2025, 9, 6, 12, 0));
        assert!(office::renewal::open(&office, &token).await.is_ok(), "the last day");
        clock.set(rome(2025, 9, 7, 12, 0));
        let e = office::renewal::open(&office, &token).await.unwrap_err();
        assert!(e.reason().contains("expired"), "{e}");
    })
    .await;
}

#[tokio::test]
async fn the_plan_changes_at_renewal_from_the_link_while_the_order_is_open() {
    common::on_both(rome(2025, 2, 1, 10, 0), |office| async move {
        subscribed(&office, MARIO, rome(2024, 3, 10, 9, 30)).await;
        let first = subscriptions::renew(&office, MARIO, None).await.unwrap();
        let token = first.renewal_url.rsplit('/').next().unwrap().to_string();
        let page = office::renewal::open(&office, &token).await.unwrap();
        let names: Vec<&str> = page.plans.iter().map(|p| p.name.as_str()).collect();
        assert!(names.contains(&"annuale") && names.contains(&"biennale"), "{names:?}");

        // The same plan: nothing changes.
        assert_eq!(
            office::renewal::change_plan(&office, &token, "annuale").await.unwrap(),
            token
        );
        // Another: a new order for the same expiry, under its own link.
        let new = office::renewal::change_plan(&office, &token, "biennale").await.unwrap();
        let changed = office::renewal::open(&office, &new).await.unwrap();
        assert_eq!(changed.order.plan, "biennale");
        assert_ne!(changed.order.id, first.order.id);
        assert_eq!(changed.order.renews_expiry, "2025-03-10", "the same expiry");
        let biennale = page.plans.iter().find(|p| p.name == "biennale").unwrap();
        assert_eq!(changed.order.amount, biennale.gross);
        // The old link shows its order cancelled, and can no longer change it.
        assert_eq!(
            office::renewal::open(&office, &token).await.unwrap().order.state,
            "cancelled"
        );
        let e = office::renewal::change_plan(&office, &token, "annuale")
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::Refused {
                    field: Some("plan"),
                    ..
                }
            ),
            "{e:?}"
        );
        // A plan the convention lacks: named, nothing written.
        let e = office::renewal::change_plan(&office, &new, "mensile")
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Invalid { field: "plan", .. }), "{e:?}");
        assert_eq!(office::renewal::open(&office, &new).await.unwrap().order.state, "open");
        // The daily machine and the operator see the new order.
        let again = subscriptions::renew(&office, MARIO, None).await.unwrap();
        assert_eq!(again.order.id, changed.order.id);
    })
    .await;
}
