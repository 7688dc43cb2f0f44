//! `simulate` replays the policy on copies: what would happen, in order.

mod examples;

use std::collections::HashMap;

use examples::{date, dcs, holder, poste, utc};
use lifecycle::policy::Action;
use lifecycle::simulate::simulate;
use lifecycle::subscription::{Pricing, State, activate};

#[test]
fn simulation_lists_notices_suspension_closure_and_deletion_in_order_without_changing_anything() {
    let (dcs, poste) = (dcs(), poste());
    let a = activate(
        &dcs,
        "annuale",
        "a@pec.dcssrl.it",
        holder(),
        utc("2024-03-10T08:00:00Z"),
        Pricing::Convention,
    )
    .unwrap();
    let p = activate(
        &poste,
        "annuale",
        "p@al.omceo.it",
        holder(),
        utc("2016-10-03T09:00:00Z"),
        Pricing::Convention,
    )
    .unwrap();
    let subs = vec![a.clone(), p.clone()];
    let conventions = [dcs, poste];

    let events = simulate(
        &subs,
        &conventions,
        &HashMap::new(),
        utc("2025-03-01T00:00:00Z"),
        utc("2025-04-30T00:00:00Z"),
    )
    .unwrap();
    assert_eq!(subs, vec![a, p], "nothing changed");
    let summary: Vec<(String, &str)> = events
        .iter()
        .map(|e| {
            let what = match e.action {
                Action::SendNotice { .. } => "notice",
                Action::Suspend { .. } => "suspend",
                Action::Close { .. } => "close",
                Action::DeleteContents { .. } => "delete",
                _ => "other",
            };
            (e.at.to_rfc3339(), what)
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            // Overdue at the start: the DCS weekly notice of 24 February (none
            // recorded as done here), and the Poste box's whole end, long due.
            ("2025-03-01T00:00:00+00:00".into(), "notice"),
            ("2025-03-01T00:00:00+00:00".into(), "notice"),
            ("2025-03-01T00:00:00+00:00".into(), "other"),
            ("2025-03-01T00:00:00+00:00".into(), "close"),
            ("2025-03-01T00:00:00+00:00".into(), "delete"),
            ("2025-03-03T23:00:00+00:00".into(), "notice"),
            ("2025-03-03T23:00:00+00:00".into(), "notice"),
            ("2025-03-10T10:00:00+00:00".into(), "suspend"),
            ("2025-03-30T09:00:00+00:00".into(), "close"),
            ("2025-03-30T09:00:00+00:00".into(), "delete"),
        ],
        "{events:?}"
    );
    assert!(events[..2].iter().all(|e| e.mailbox == "a@pec.dcssrl.it"));
    assert!(events[2..5].iter().all(|e| e.mailbox == "p@al.omceo.it"));
}

#[test]
fn an_overdue_action_is_reported_at_the_start_of_the_range() {
    let conv = poste();
    let mut sub = activate(
        &conv,
        "annuale",
        "p@al.omceo.it",
        holder(),
        utc("2016-10-03T09:00:00Z"),
        Pricing::Convention,
    )
    .unwrap();
    sub.state = State::Active;
    assert_eq!(sub.expiry, date("2019-09-30"));
    let from = utc("2020-01-01T00:00:00Z");
    let events = simulate(&[sub], &[conv], &HashMap::new(), from, utc("2020-01-02T00:00:00Z")).unwrap();
    assert!(!events.is_empty());
    assert!(events.iter().all(|e| e.at == from), "{events:?}");
    assert!(matches!(events.last().unwrap().action, Action::DeleteContents { .. }));
}
