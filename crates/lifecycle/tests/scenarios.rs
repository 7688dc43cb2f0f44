//! The five scenarios of `../shared/docs/lifecycle.md`, driven by a clock
//! that advances in steps, each named after its scenario.

mod examples;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use examples::{aruba, date, dcs, holder, poste, utc};
use lifecycle::convention::{Channel, Convention, NoticeKind};
use lifecycle::policy::{Action, Done, due_actions, perform};
use lifecycle::subscription::{Pricing, State, Subscription, activate, cancel, renew};

/// Runs the daily machine every `step` from `from` to `to` (included),
/// performing what is due; returns `(when it ran, action)`.
fn drive(
    sub: &mut Subscription,
    conv: &Convention,
    done: &mut Done,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    step: Duration,
) -> Vec<(DateTime<Utc>, Action)> {
    let mut log = Vec::new();
    let mut now = from;
    while now <= to {
        for action in due_actions(sub, conv, done, now).unwrap() {
            perform(sub, done, &action);
            log.push((now, action));
        }
        now += step;
    }
    log
}

fn notice_dates(log: &[(DateTime<Utc>, Action)], channel: Channel) -> Vec<NaiveDate> {
    log.iter()
        .filter_map(|(_, a)| match *a {
            Action::SendNotice { channel: c, due_at, .. } if c == channel => {
                Some(due_at.with_timezone(&chrono_tz::Europe::Rome).date_naive())
            }
            _ => None,
        })
        .collect()
}

fn dcs_yearly_expiring_2025_03_10(conv: &Convention) -> Subscription {
    let sub = activate(
        conv,
        "annuale",
        "mario.rossi@pec.dcssrl.it",
        holder(),
        utc("2024-03-10T08:00:00Z"),
        Pricing::Convention,
    )
    .unwrap();
    assert_eq!(sub.expiry, date("2025-03-10"));
    sub
}

const WEEKLY_FROM_2024_12_10: [&str; 13] = [
    "2024-12-10",
    "2024-12-17",
    "2024-12-24",
    "2024-12-31",
    "2025-01-07",
    "2025-01-14",
    "2025-01-21",
    "2025-01-28",
    "2025-02-04",
    "2025-02-11",
    "2025-02-18",
    "2025-02-25",
    "2025-03-04",
];

#[test]
fn scenario_1_dcs_unpaid_weekly_notices_suspension_at_11_then_closure_and_deletion() {
    let conv = dcs();
    let mut sub = dcs_yearly_expiring_2025_03_10(&conv);
    let mut done = Done::new();

    let log = drive(
        &mut sub,
        &conv,
        &mut done,
        utc("2024-12-01T00:00:00Z"),
        utc("2025-03-10T09:59:00Z"),
        Duration::hours(1),
    );
    let expected: Vec<NaiveDate> = WEEKLY_FROM_2024_12_10.iter().map(|d| date(d)).collect();
    assert_eq!(notice_dates(&log, Channel::PecMailbox), expected);
    assert_eq!(notice_dates(&log, Channel::OrdinaryEmail), expected);
    assert!(
        log.iter()
            .all(|(_, a)| matches!(a, Action::SendNotice { expiry, .. } if *expiry == date("2025-03-10")))
    );
    assert_eq!(sub.state, State::Active, "still active at 10:59 Rome on the expiry day");

    // 11:00 Europe/Rome on 10 March 2025 is 10:00 UTC (CET).
    let at_11 = utc("2025-03-10T10:00:00Z");
    assert_eq!(
        due_actions(&sub, &conv, &done, at_11).unwrap(),
        vec![Action::Suspend { at: at_11 }]
    );
    perform(&mut sub, &mut done, &Action::Suspend { at: at_11 });
    // At 11:05 a PEC to it gets a non-delivery notice (the engine's part): it is suspended.
    assert_eq!(sub.state, State::Suspended { since: at_11 });
    assert!(
        due_actions(&sub, &conv, &done, utc("2025-03-10T10:05:00Z"))
            .unwrap()
            .is_empty()
    );

    let log = drive(
        &mut sub,
        &conv,
        &mut done,
        utc("2025-03-10T10:05:00Z"),
        utc("2025-04-30T00:00:00Z"),
        Duration::hours(1),
    );
    // 20 days later, 11:00 Rome is 09:00 UTC: summer time began that night.
    let closure = utc("2025-03-30T09:00:00Z");
    assert_eq!(
        log,
        vec![
            (utc("2025-03-30T09:05:00Z"), Action::Close { at: closure }),
            (utc("2025-03-30T09:05:00Z"), Action::DeleteContents { at: closure }),
        ]
    );
    assert_eq!(sub.state, State::Deleted { at: closure });
}

#[test]
fn scenario_2_dcs_paid_during_suspension_is_reactivated_at_once_and_expires_a_year_after_the_old_expiry() {
    let conv = dcs();
    let mut sub = dcs_yearly_expiring_2025_03_10(&conv);
    let mut done = Done::new();
    drive(
        &mut sub,
        &conv,
        &mut done,
        utc("2024-12-01T00:00:00Z"),
        utc("2025-03-15T08:00:00Z"),
        Duration::hours(1),
    );
    assert_eq!(
        sub.state,
        State::Suspended {
            since: utc("2025-03-10T10:00:00Z")
        }
    );

    let paid_at = utc("2025-03-15T08:30:00Z");
    sub = renew(&sub, &conv, "annuale", paid_at).unwrap();
    assert_eq!(
        sub.expiry,
        date("2026-03-10"),
        "from the old expiry, not from the payment date"
    );
    assert_eq!(
        due_actions(&sub, &conv, &done, paid_at).unwrap(),
        vec![Action::Reactivate { at: paid_at }]
    );
    perform(&mut sub, &mut done, &Action::Reactivate { at: paid_at });
    assert_eq!(sub.state, State::Active);

    // 00:00 Rome on 10 December is 23:00 UTC on the 9th.
    let log = drive(
        &mut sub,
        &conv,
        &mut done,
        paid_at,
        utc("2025-12-09T22:59:00Z"),
        Duration::hours(1),
    );
    assert!(
        log.is_empty(),
        "no closure, no deletion, no notice before 2025-12-10: {log:?}"
    );
    let log = drive(
        &mut sub,
        &conv,
        &mut done,
        utc("2025-12-09T23:00:00Z"),
        utc("2025-12-10T00:00:00Z"),
        Duration::hours(1),
    );
    assert_eq!(notice_dates(&log, Channel::PecMailbox), vec![date("2025-12-10")]);
}

#[test]
fn scenario_3_aruba_three_year_renewal_paid_early_extends_from_the_old_expiry() {
    let conv = aruba();
    let sub = activate(
        &conv,
        "triennale",
        "mario.rossi@pec.it",
        holder(),
        utc("2024-01-31T10:00:00Z"),
        Pricing::Convention,
    )
    .unwrap();
    assert_eq!(sub.expiry, date("2027-01-31"));
    let renewed = renew(&sub, &conv, "triennale", utc("2026-11-02T15:00:00Z")).unwrap();
    assert_eq!(renewed.expiry, date("2030-01-31"));
    assert_eq!(renewed.price(&conv).unwrap().gross().plain(), "4.88");

    let mut done = Done::new();
    // The day after the old expiry nothing happens: the box was renewed.
    assert!(
        due_actions(&renewed, &conv, &done, utc("2027-02-01T12:00:00Z"))
            .unwrap()
            .is_empty()
    );
    // Unrenewed, Aruba deactivates it at the start of the day after expiry.
    let midnight = utc("2027-01-31T23:00:00Z");
    let mut unrenewed = sub.clone();
    let log = drive(
        &mut unrenewed,
        &conv,
        &mut done,
        utc("2026-12-31T00:00:00Z"),
        utc("2027-02-01T00:00:00Z"),
        Duration::hours(1),
    );
    assert_eq!(
        log.iter().map(|(_, a)| *a).collect::<Vec<_>>(),
        vec![
            Action::SendNotice {
                kind: NoticeKind::Before { days: 30 },
                channel: Channel::OrdinaryEmail,
                expiry: date("2027-01-31"),
                due_at: utc("2026-12-31T23:00:00Z"),
            },
            Action::Close { at: midnight },
        ]
    );
}

#[test]
fn scenario_4_poste_common_expiry_notices_30_and_5_days_before_and_25_after() {
    let conv = poste();
    let mut sub = activate(
        &conv,
        "annuale",
        "mario.rossi@al.omceo.it",
        holder(),
        utc("2016-10-03T09:00:00Z"),
        Pricing::Convention,
    )
    .unwrap();
    assert_eq!(sub.expiry, date("2019-09-30"), "the convention's common expiry");
    let mut done = Done::new();
    let log = drive(
        &mut sub,
        &conv,
        &mut done,
        utc("2019-07-01T00:00:00Z"),
        utc("2019-12-31T00:00:00Z"),
        Duration::hours(1),
    );
    assert_eq!(
        notice_dates(&log, Channel::PecMailbox),
        vec![date("2019-08-31"), date("2019-09-25"), date("2019-10-25")]
    );
    assert!(notice_dates(&log, Channel::OrdinaryEmail).is_empty());
    let kinds: Vec<NoticeKind> = log
        .iter()
        .filter_map(|(_, a)| {
            if let Action::SendNotice { kind, .. } = a {
                Some(*kind)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            NoticeKind::Before { days: 30 },
            NoticeKind::Before { days: 5 },
            NoticeKind::After { days: 25 }
        ]
    );
    let transitions: Vec<Action> = log
        .iter()
        .map(|(_, a)| *a)
        .filter(|a| !matches!(a, Action::SendNotice { .. }))
        .collect();
    assert_eq!(
        transitions,
        vec![
            Action::ReceiveOnly {
                at: utc("2019-09-30T22:00:00Z")
            },
            Action::Close {
                at: utc("2019-10-30T23:00:00Z")
            },
            Action::DeleteContents {
                at: utc("2019-10-30T23:00:00Z")
            },
        ]
    );
}

#[test]
fn scenario_5_cancellation_by_pec_stops_notices_ends_service_at_expiry_keeps_data_for_the_retention() {
    let mut conv = dcs();
    conv.plans[0].retention_days = 30;
    let mut sub = dcs_yearly_expiring_2025_03_10(&conv);
    let mut done = Done::new();
    let log = drive(
        &mut sub,
        &conv,
        &mut done,
        utc("2024-12-01T00:00:00Z"),
        utc("2025-02-01T09:00:00Z"),
        Duration::hours(1),
    );
    assert_eq!(notice_dates(&log, Channel::PecMailbox).len(), 8, "12-10 to 01-28");

    sub = cancel(&sub, utc("2025-02-01T09:12:34Z")).unwrap();
    let log = drive(
        &mut sub,
        &conv,
        &mut done,
        utc("2025-02-01T10:00:00Z"),
        utc("2025-06-01T00:00:00Z"),
        Duration::hours(1),
    );
    // Service ends at the start of 11 March (Rome); deleted 30 local days later (CEST by then).
    let end = utc("2025-03-10T23:00:00Z");
    let deletion = utc("2025-04-09T22:00:00Z");
    assert_eq!(
        log.iter().map(|(_, a)| *a).collect::<Vec<_>>(),
        vec![Action::EndService { at: end }, Action::DeleteContents { at: deletion }]
    );
    assert_eq!(log[1].0, deletion);
    assert_eq!(sub.state, State::Deleted { at: deletion });
    assert!(renew(&sub, &conv, "annuale", utc("2025-06-01T00:00:00Z")).is_err());
}

#[test]
fn each_notice_is_sent_once_however_often_the_machine_runs() {
    let conv = dcs();
    let sub = dcs_yearly_expiring_2025_03_10(&conv);
    let mut done = Done::new();
    let now = utc("2024-12-10T06:00:00Z");
    let first = due_actions(&sub, &conv, &done, now).unwrap();
    assert_eq!(first.len(), 2, "one per channel: {first:?}");
    assert_eq!(
        due_actions(&sub, &conv, &done, now).unwrap(),
        first,
        "pure: same answer until recorded"
    );
    let mut copy = sub.clone();
    for action in &first {
        perform(&mut copy, &mut done, action);
    }
    // The next notice is due at 00:00 Rome on 17 December, 23:00 UTC on the 16th.
    for minutes in 0..(6 * 24 * 60 + 17 * 60) {
        let later = now + Duration::minutes(minutes);
        assert!(
            due_actions(&copy, &conv, &done, later).unwrap().is_empty(),
            "at {later}"
        );
    }
    assert_eq!(
        due_actions(&copy, &conv, &done, utc("2024-12-16T23:00:00Z"))
            .unwrap()
            .len(),
        2,
        "next week's"
    );
}

#[test]
fn a_machine_down_for_weeks_sends_only_the_latest_notice() {
    let conv = dcs();
    let sub = dcs_yearly_expiring_2025_03_10(&conv);
    let actions = due_actions(&sub, &conv, &Done::new(), utc("2025-01-10T12:00:00Z")).unwrap();
    assert!(
        actions.iter().all(|a| matches!(
            a,
            Action::SendNotice {
                kind: NoticeKind::Recurring { days_before: 62 },
                ..
            }
        )),
        "{actions:?}"
    );
}

#[test]
fn no_notice_without_a_reference_email_on_the_ordinary_channel() {
    let conv = dcs();
    let mut sub = dcs_yearly_expiring_2025_03_10(&conv);
    sub.holder.reference_email = None;
    let actions = due_actions(&sub, &conv, &Done::new(), utc("2024-12-10T06:00:00Z")).unwrap();
    assert_eq!(actions.len(), 1);
    assert!(matches!(
        actions[0],
        Action::SendNotice {
            channel: Channel::PecMailbox,
            ..
        }
    ));
}

#[test]
fn a_suspension_in_the_spring_dst_gap_happens_when_the_gap_ends() {
    let toml = examples::documented_examples()[2].replace("at = \"11:00\"", "at = \"02:30\"");
    let conv = Convention::from_toml(&toml).unwrap();
    // 2025-03-30 is the last Sunday of March: 02:00 CET jumps to 03:00 CEST.
    let sub = activate(
        &conv,
        "annuale",
        "a@pec.dcssrl.it",
        holder(),
        utc("2024-03-30T12:00:00Z"),
        Pricing::Convention,
    )
    .unwrap();
    assert_eq!(sub.expiry, date("2025-03-30"));
    let done = Done::new();
    let transitions = |now| {
        due_actions(&sub, &conv, &done, now)
            .unwrap()
            .into_iter()
            .filter(|a| !matches!(a, Action::SendNotice { .. }))
            .collect::<Vec<_>>()
    };
    assert!(transitions(utc("2025-03-30T00:59:59Z")).is_empty());
    // The end of the gap, 03:00 CEST.
    assert_eq!(
        transitions(utc("2025-03-30T01:00:00Z")),
        vec![Action::Suspend {
            at: utc("2025-03-30T01:00:00Z")
        }]
    );
}

#[test]
fn the_order_paying_renews_the_box_at_expiry_without_notices() {
    let conv = dcs();
    let sub = activate(
        &conv,
        "annuale",
        "a@pec.dcssrl.it",
        holder(),
        utc("2024-01-22T12:00:00Z"),
        Pricing::Convention,
    )
    .unwrap();
    // Pretend it expired while the Order paid (until 2023-12-31).
    let sub = Subscription {
        expiry: date("2023-12-20"),
        activated_at: utc("2022-12-20T12:00:00Z"),
        ..sub
    };
    let done = Done::new();
    assert!(
        due_actions(&sub, &conv, &done, utc("2023-12-01T12:00:00Z"))
            .unwrap()
            .is_empty(),
        "no notice"
    );
    assert_eq!(
        due_actions(&sub, &conv, &done, utc("2023-12-20T10:00:00Z")).unwrap(),
        vec![Action::TacitRenew {
            at: utc("2023-12-20T10:00:00Z"),
            new_expiry: date("2024-12-20")
        }]
    );
}

#[test]
fn activation_after_the_offer_window_needs_the_list_price() {
    let conv = poste();
    let late = utc("2017-01-10T10:00:00Z");
    let error = activate(&conv, "annuale", "a@al.omceo.it", holder(), late, Pricing::Convention).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the offer window of convention FNOMCEO-POSTE-2016 ended on 2016-11-18: activate at list price"
    );
    let sub = activate(&conv, "annuale", "a@al.omceo.it", holder(), late, Pricing::ListPrice).unwrap();
    assert_eq!(sub.price(&conv).unwrap().gross().plain(), "30.50");
    assert!(
        activate(&aruba(), "triennale", "a@pec.it", holder(), late, Pricing::ListPrice).is_err(),
        "no list price"
    );
}

#[test]
fn plan_change_at_renewal_uses_the_new_plans_term() {
    let conv = dcs();
    let sub = dcs_yearly_expiring_2025_03_10(&conv);
    let renewed = renew(&sub, &conv, "biennale", utc("2025-02-01T10:00:00Z")).unwrap();
    assert_eq!(
        (renewed.plan.as_str(), renewed.expiry),
        ("biennale", date("2027-03-10"))
    );
    assert_eq!(renewed.price(&conv).unwrap().gross().plain(), "14.64");
    assert!(renew(&sub, &conv, "mensile", utc("2025-02-01T10:00:00Z")).is_err());
}
