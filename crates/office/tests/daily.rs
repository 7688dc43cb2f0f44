//! The daily machine run at chosen instants, and simulations that write
//! nothing, on both storage back ends.

mod common;
mod lifecycle_support;

use lifecycle::policy::Action;
use lifecycle::subscription::Pricing;
use lifecycle_support::{DCS, example, rome, subscribed};
use office::daily::{self, Trial};
use office::subscriptions;
use store::mailboxes::Status;

const MARIO: &str = "mario.rossi@pec.dcssrl.it";

/// The notices in the mailbox (its messages that are not PEC).
async fn notices(office: &office::Office) -> usize {
    let contents = office::mailboxes::show(office, MARIO).await.unwrap();
    contents
        .messages
        .iter()
        .filter(|m| m.message.pec_kind.is_none())
        .count()
}

#[tokio::test]
async fn the_daily_machine_sends_a_notice_once_and_suspends_at_eleven() {
    common::on_both_clocked(rome(2024, 3, 10, 9, 30), |office, clock| async move {
        subscribed(&office, MARIO, rome(2024, 3, 10, 9, 30)).await;
        clock.set(rome(2024, 12, 9, 23, 59));
        let run = daily::run(&office).await.unwrap();
        assert!(run.report.performed.is_empty(), "nothing due before 90 days: {run:?}");

        // 90 days before the expiry of 2025-03-10: the first weekly notice, on both channels.
        clock.set(rome(2024, 12, 10, 9, 0));
        let run = daily::run(&office).await.unwrap();
        assert_eq!(run.at, rome(2024, 12, 10, 9, 0), "at the office's instant");
        assert!(!run.failed());
        assert_eq!(run.report.performed.get("send-notice"), Some(&2), "{run:?}");
        assert_eq!(notices(&office).await, 1);
        let order = subscriptions::show(&office, MARIO).await.unwrap().orders[0].id.clone();
        assert_eq!(order, "CRT-2024-000001", "the notice names the order it created");

        let again = daily::run(&office).await.unwrap();
        assert!(again.report.events.is_empty(), "{again:?}");
        assert_eq!(notices(&office).await, 1, "each notice once");

        clock.set(rome(2025, 3, 10, 10, 59));
        daily::run(&office).await.unwrap();
        assert_eq!(subscriptions::show(&office, MARIO).await.unwrap().state, "active");
        clock.set(rome(2025, 3, 10, 11, 0));
        let run = daily::run(&office).await.unwrap();
        assert_eq!(run.report.performed.get("suspend"), Some(&1), "{run:?}");
        let m = office::mailboxes::show(&office, MARIO).await.unwrap().mailbox;
        assert_eq!(m.status, Status::Suspended);
        let json = serde_json::to_value(&run).unwrap();
        assert_eq!(json["report"]["performed"]["suspend"], 1);
    })
    .await;
}

#[tokio::test]
async fn a_simulation_of_the_stored_subscriptions_writes_nothing() {
    common::on_both(rome(2025, 2, 20, 12, 0), |office| async move {
        subscribed(&office, MARIO, rome(2024, 3, 10, 9, 0)).await;
        let before = serde_json::to_value(subscriptions::show(&office, MARIO).await.unwrap()).unwrap();
        let from = "2025-02-20".parse().unwrap();
        let to = "2025-04-15".parse().unwrap();
        let simulation = daily::simulate(&office, None, from, to).await.unwrap();
        assert_eq!(simulation.subscriptions.len(), 1);
        let last: Vec<String> = simulation
            .events
            .iter()
            .rev()
            .take(3)
            .map(|e| e.at.format("%Y-%m-%d %H:%M %Z").to_string())
            .collect();
        assert_eq!(
            last,
            ["2025-03-30 11:00 CEST", "2025-03-30 11:00 CEST", "2025-03-10 11:00 CET"]
        );
        assert!(matches!(
            simulation.events.last().unwrap().action,
            Action::DeleteContents { .. }
        ));
        assert_eq!(simulation.events.len(), 9);

        let after = serde_json::to_value(subscriptions::show(&office, MARIO).await.unwrap()).unwrap();
        assert_eq!(after, before, "the subscription, its orders and log unchanged");
        assert_eq!(notices(&office).await, 0, "nothing delivered");
        let mut c = office.store().conn().await.unwrap();
        assert!(
            store::lifecycle::done_between(&mut c, 0, i64::MAX)
                .await
                .unwrap()
                .is_empty()
        );

        let e = daily::simulate(&office, Some("x@pec.dcssrl.it"), from, to)
            .await
            .unwrap_err();
        assert_eq!(e.to_string(), "mailbox: x@pec.dcssrl.it has no subscription");
    })
    .await;
}

#[test]
fn a_convention_text_is_simulated_without_a_provider() {
    let trial = Trial {
        plan: "annuale",
        activated: rome(2024, 3, 10, 9, 0),
        mailbox: None,
        reference_email: None,
        pricing: Pricing::Convention,
    };
    let from = "2025-03-01".parse().unwrap();
    let to = "2025-04-15".parse().unwrap();
    let simulation = daily::simulate_convention(example(DCS), &trial, from, to).unwrap();
    assert_eq!(simulation.mailbox, "demo@pec.dcssrl.it");
    assert_eq!(simulation.expiry.to_string(), "2025-03-10");
    let suspension = simulation
        .events
        .iter()
        .find(|e| matches!(e.action, Action::Suspend { .. }))
        .unwrap();
    assert_eq!(
        suspension.at.format("%Y-%m-%d %H:%M %Z").to_string(),
        "2025-03-10 11:00 CET"
    );

    let monthly = Trial {
        plan: "mensile",
        ..trial
    };
    let e = daily::simulate_convention(example(DCS), &monthly, from, to).unwrap_err();
    assert!(e.to_string().contains("has no plan \"mensile\""), "{e}");
    let e = daily::simulate_convention("code = \"\"\n", &trial, from, to).unwrap_err();
    assert_eq!(e.field(), Some("source"));
}
