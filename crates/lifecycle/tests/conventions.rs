//! The documented convention files of the three providers, and bad input.

mod examples;

use chrono::NaiveTime;
use examples::{aruba, date, dcs, documented_examples, poste};
use lifecycle::convention::{
    Channel, Convention, ConventionError, ExpiryPolicy, NoticeKind, NoticeSchedule, Payer, RenewalMode, find,
};

#[test]
fn the_three_documented_conventions_load() {
    assert_eq!(documented_examples().len(), 3);

    let aruba = aruba();
    assert_eq!(aruba.code, "OMCEO-AL-0056");
    let plan = &aruba.plans[0];
    assert_eq!((plan.first_term_months, plan.renewal_term_months), (36, 36));
    assert_eq!(
        (plan.price.net.plain(), plan.price.gross().plain()),
        ("4.00".into(), "4.88".into())
    );
    assert_eq!(plan.renewal, RenewalMode::Explicit);
    assert_eq!(plan.channels, [Channel::OrdinaryEmail]);
    assert_eq!(plan.expiry, ExpiryPolicy::DeactivateNextDay);
    assert_eq!(aruba.time_zone, chrono_tz::Europe::Rome);

    let poste = poste();
    assert_eq!(poste.common_expiry, Some(date("2019-09-30")));
    assert_eq!(poste.offer.to, Some(date("2016-11-18")));
    assert_eq!(poste.domains, ["al.omceo.it"]);
    let plan = &poste.plans[0];
    assert_eq!((plan.first_term_months, plan.renewal_term_months), (12, 36));
    assert_eq!(plan.price.gross().plain(), "16.10");
    assert_eq!(plan.quota_bytes, 1 << 30);
    assert_eq!(
        plan.notices,
        NoticeSchedule::Offsets(vec![
            NoticeKind::Before { days: 30 },
            NoticeKind::Before { days: 5 },
            NoticeKind::After { days: 25 }
        ])
    );

    let dcs = dcs();
    assert_eq!(dcs.plans.len(), 2);
    assert_eq!(dcs.plans[0].price.gross().plain(), "7.93");
    assert_eq!(dcs.plans[1].price.gross().plain(), "14.64");
    assert_eq!(dcs.plans[0].renewal, RenewalMode::Tacit);
    assert_eq!(
        dcs.plans[0].notices,
        NoticeSchedule::Every {
            every_days: 7,
            from_days_before: 90
        }
    );
    assert_eq!(
        dcs.plans[0].expiry,
        ExpiryPolicy::Suspend {
            at: NaiveTime::from_hms_opt(11, 0, 0).unwrap(),
            days: 20,
            then_close: true
        }
    );
    assert_eq!(dcs.payer_on(date("2023-12-31")), Payer::Order);
    assert_eq!(dcs.payer_on(date("2024-01-01")), Payer::Member);
    assert_eq!(
        dcs.cancellation_address.as_deref(),
        Some("gestione.servizi@pec.dcssrl.it")
    );
}

#[test]
fn an_unknown_convention_code_is_named() {
    let conventions = [aruba(), poste()];
    assert_eq!(find(&conventions, " omceo-al-0056 ").unwrap().code, "OMCEO-AL-0056");
    let error = find(&conventions, "OMCEO-AL-0057").unwrap_err();
    assert_eq!(
        error.to_string(),
        "unknown convention code \"OMCEO-AL-0057\": check the code the Order gave its members"
    );
}

/// The DCS example with `from` replaced by `to`, and the field the error must name.
fn refused(from: &str, to: &str) -> (String, String) {
    let text = documented_examples()[2];
    assert!(text.contains(from), "{from}");
    match Convention::from_toml(&text.replacen(from, to, 1)) {
        Err(ConventionError::Invalid(e)) => (e.field, e.message),
        Err(ConventionError::Toml(e)) => ("<toml>".into(), e.to_string()),
        Ok(_) => panic!("accepted {to}"),
    }
}

#[test]
fn bad_conventions_are_refused_naming_the_field() {
    let cases = [
        ("code = \"CROAS-DCS-2024\"", "code = \"\"", "code"),
        ("code = \"CROAS-DCS-2024\"", "code = \"CROAS DCS\"", "code"),
        (
            "offer = { from = 2024-01-22 }",
            "offer = { from = 2024-01-22, to = 2024-01-01 }",
            "offer.to",
        ),
        (
            "offer = { from = 2024-01-22 }",
            "offer = { from = \"22/01/2024\" }",
            "offer.from",
        ),
        ("net = \"6.50\"", "net = \"-6.50\"", "plans[0].net"),
        ("net = \"6.50\"", "net = \"sei euro\"", "plans[0].net"),
        ("net = \"6.50\"", "net = \"6.505\"", "plans[0].net"),
        (
            "domains = [\"pec.dcssrl.it\"]",
            "domains = [\"pec.dcssrl.it\"]\ntime_zone = \"Europe/Roma\"",
            "time_zone",
        ),
        ("every_days = 7", "every_days = 0", "plans[0].notices.every_days"),
        ("every_days = 7", "every_days = -7", "plans[0].notices.every_days"),
        ("name = \"biennale\"", "name = \"annuale\"", "plans[1].name"),
        (
            "first_term_months = 12",
            "first_term_months = 0",
            "plans[0].first_term_months",
        ),
        ("quota = \"1 GB\"", "quota = \"1 giga\"", "plans[0].quota"),
        ("at = \"11:00\"", "at = \"11\"", "plans[0].expiry.at"),
        (
            "policy = \"suspend\"",
            "policy = \"sospendi\"",
            "plans[0].expiry.policy",
        ),
        (
            "channels = [\"pec-mailbox\", \"ordinary-email\"]",
            "channels = []",
            "plans[0].channels",
        ),
        (
            "payer = \"member\"\nfrom = 2024-01-01",
            "payer = \"member\"\nfrom = 2023-12-01",
            "payers[1]",
        ),
        (
            "notices = { every_days = 7, from_days_before = 90 }",
            "notices = { before = [10], after = [20] }",
            "plans[0].notices",
        ),
        (
            "notices = { every_days = 7, from_days_before = 90 }",
            "notices = { before = [] }",
            "plans[0].notices",
        ),
    ];
    for (from, to, field) in cases {
        let (got, message) = refused(from, to);
        assert_eq!(got, field, "{to}: {message}");
    }
}

#[test]
fn unknown_keys_and_wrong_types_are_toml_errors_naming_the_key() {
    let (field, message) = refused("retention_days = 0", "retention_day = 0");
    assert_eq!(field, "<toml>");
    assert!(message.contains("retention_day"), "{message}");
    let (_, message) = refused("renewal = \"tacit\"", "renewal = \"tacito\"");
    assert!(message.contains("tacito"), "{message}");
}

#[test]
fn an_after_expiry_notice_once_the_box_is_closed_never_fires() {
    let (field, message) = refused(
        "notices = { every_days = 7, from_days_before = 90 }",
        "notices = { after = [20] }",
    );
    assert_eq!(field, "plans[0].notices");
    assert!(message.contains("never fires"), "{message}");
}
