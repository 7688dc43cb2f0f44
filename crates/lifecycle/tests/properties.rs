//! Properties of renewal and money.

mod examples;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use examples::{dcs, holder};
use lifecycle::convention::add_months;
use lifecycle::money::Money;
use lifecycle::subscription::{Pricing, activate, renew};
use proptest::prelude::*;

proptest! {
    /// Renewing twice from payments made anywhere in time (early, late, during a
    /// suspension) gives the activation-based expiry plus two renewal terms.
    #[test]
    fn renewal_never_depends_on_the_payment_date(
        activation_day in 0i64..(60 * 365),
        first_term in 1u32..=48,
        renewal_term in 1u32..=48,
        first_paid in -2000i64..2000,
        second_paid in -2000i64..2000,
        hour in 0u32..24,
    ) {
        let mut conv = dcs();
        conv.offer.from = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
        conv.plans[0].first_term_months = first_term;
        conv.plans[0].renewal_term_months = renewal_term;
        let at = Utc.with_ymd_and_hms(2000, 1, 1, hour, 0, 0).unwrap() + Duration::days(activation_day);
        let sub = activate(&conv, "annuale", "a@pec.dcssrl.it", holder(), at, Pricing::Convention).unwrap();
        let local_day = at.with_timezone(&chrono_tz::Europe::Rome).date_naive();
        prop_assert_eq!(sub.expiry, add_months(local_day, first_term));

        let once = renew(&sub, &conv, "annuale", at + Duration::days(first_paid)).unwrap();
        let twice = renew(&once, &conv, "annuale", at + Duration::days(second_paid)).unwrap();
        prop_assert_eq!(twice.expiry, add_months(add_months(sub.expiry, renewal_term), renewal_term));
        if sub.expiry.format("%d").to_string().parse::<u32>().unwrap() <= 28 {
            prop_assert_eq!(twice.expiry, add_months(sub.expiry, 2 * renewal_term));
        }
    }

    #[test]
    fn amounts_round_trip_through_their_plain_form(cents in 0i64..1_000_000_000_000) {
        let money = Money::from_cents(cents);
        prop_assert_eq!(Money::parse(&money.plain()).unwrap(), money);
        prop_assert_eq!(Money::parse(&money.plain().replace('.', ",")).unwrap(), money);
    }

    #[test]
    fn parsing_any_text_as_money_never_panics(text in ".{0,24}") {
        let _ = Money::parse(&text);
    }
}
