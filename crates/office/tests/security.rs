//! Two-factor login (TOTP) and app passwords, on both storage back ends: the
//! office's operations and the engine's logins they change.

mod common;

use std::net::IpAddr;
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use engine::guard::{Channel, LoginRefused, Purpose};
use office::Error;
use office::Office;
use office::login;
use office::mailboxes::{self, NewMailbox};
use office::security::{self, SecondFactor, SecondFactorRefusal, TotpState, totp};
use testkit::office::Stopped;

const ADDRESS: &str = "mario@pec.office.test";
const PASSWORD: &str = "la-password-giusta";
const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 9));

fn at() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 10).unwrap()
}

async fn mailbox(office: &Office) -> i64 {
    let new = NewMailbox {
        address: ADDRESS,
        password: PASSWORD,
        quota_bytes: 1 << 20,
    };
    mailboxes::add_mailbox(office, &new).await.unwrap().id
}

/// The code the holder's authenticator shows now.
fn code_now(secret: &str, clock: &Stopped) -> String {
    totp::code_at(secret, clock.0.lock().unwrap().timestamp()).unwrap()
}

fn advance(clock: &Stopped, by: Duration) {
    let now = *clock.0.lock().unwrap();
    clock.set(now + by);
}

/// TOTP turned on for the mailbox: its secret (base32) and recovery codes.
async fn turned_on(office: &Office, clock: &Stopped, id: i64) -> (String, Vec<String>) {
    let enrolment = security::start_enrolment(office, id).await.unwrap();
    let codes = security::confirm_enrolment(office, id, &code_now(&enrolment.secret, clock))
        .await
        .unwrap();
    (enrolment.secret, codes.0)
}

async fn mail_login(office: &Office, password: &str) -> Result<(), LoginRefused> {
    office
        .engine()
        .login("imap", ADDRESS, password, IP, Purpose::Read, Channel::Mail)
        .await
        .unwrap()
        .map(|_| ())
}

#[tokio::test]
async fn enrolment_is_confirmed_by_the_right_code_only_and_gives_recovery_codes() {
    common::on_both_clocked(at(), |office, clock: Arc<Stopped>| async move {
        let id = mailbox(&office).await;
        assert_eq!(security::overview(&office, id).await.unwrap().totp, TotpState::Off);
        let enrolment = security::start_enrolment(&office, id).await.unwrap();
        assert!(
            enrolment
                .uri
                .starts_with("otpauth://totp/Office%20Test%20S.p.A.:mario%40pec.office.test?secret=")
        );
        assert!(enrolment.qr_svg.contains("<svg"));
        assert_eq!(security::overview(&office, id).await.unwrap().totp, TotpState::Pending);

        let wrong = security::confirm_enrolment(&office, id, "000000").await.unwrap_err();
        assert!(matches!(wrong, Error::Invalid { field: "code", .. }), "{wrong}");
        let malformed = security::confirm_enrolment(&office, id, "12ab56").await.unwrap_err();
        assert!(matches!(malformed, Error::Invalid { field: "code", .. }), "{malformed}");

        let codes = security::confirm_enrolment(&office, id, &code_now(&enrolment.secret, &clock))
            .await
            .unwrap();
        assert_eq!(codes.0.len(), security::RECOVERY_CODES);
        let overview = security::overview(&office, id).await.unwrap();
        assert!(matches!(overview.totp, TotpState::On { .. }));
        assert_eq!(overview.recovery_codes_left, security::RECOVERY_CODES);
        assert!(matches!(
            security::start_enrolment(&office, id).await,
            Err(Error::Refused { .. })
        ));

        // Sealed in the database: neither the secret nor its base32 form is stored.
        let mut c = office.store().conn().await.unwrap();
        let t = store::two_factor::totp(&mut c, id).await.unwrap().unwrap();
        let bare = enrolment.secret.replace(' ', "");
        assert!(t.sealed_secret.starts_with("v1:") && !t.sealed_secret.contains(&bare));
        let key = office.store().data_dir().join(security::KEY_FILE);
        assert!(key.exists());
    })
    .await;
}

#[tokio::test]
async fn a_login_with_totp_on_awaits_a_code_and_a_code_is_never_accepted_twice() {
    common::on_both_clocked(at(), |office, clock: Arc<Stopped>| async move {
        let id = mailbox(&office).await;
        let (secret, _) = turned_on(&office, &clock, id).await;
        advance(&clock, Duration::seconds(30));

        let session = login::log_in(&office, ADDRESS, PASSWORD, IP).await.unwrap().unwrap();
        assert!(session.second_factor);
        let policy = login::SessionPolicy::default();
        let user = login::session(&office, &session.token, policy).await.unwrap().unwrap();
        assert!(!user.complete, "the password alone opens no mailbox");

        let wrong = security::verify_second_factor(&office, &session.token, "123456", IP)
            .await
            .unwrap();
        assert_eq!(wrong, Err(SecondFactorRefusal::Wrong));
        let code = code_now(&secret, &clock);
        let ok = security::verify_second_factor(&office, &session.token, &code, IP)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(ok.with, SecondFactor::Code);
        let complete = login::session(&office, &ok.token, policy).await.unwrap().unwrap();
        assert!(complete.complete);
        assert!(
            login::session(&office, &session.token, policy).await.unwrap().is_none(),
            "a new session token once the login is complete"
        );

        // RFC 6238 5.2: the same code, on another login, is refused.
        let again = login::log_in(&office, ADDRESS, PASSWORD, IP).await.unwrap().unwrap();
        let replay = security::verify_second_factor(&office, &again.token, &code, IP)
            .await
            .unwrap();
        assert_eq!(replay, Err(SecondFactorRefusal::Replayed));
        advance(&clock, Duration::seconds(30));
        let next = security::verify_second_factor(&office, &again.token, &code_now(&secret, &clock), IP)
            .await
            .unwrap();
        assert_eq!(next.map(|v| v.with), Ok(SecondFactor::Code));
    })
    .await;
}

#[tokio::test]
async fn a_recovery_code_completes_a_login_once() {
    common::on_both_clocked(at(), |office, clock: Arc<Stopped>| async move {
        let id = mailbox(&office).await;
        let (_, codes) = turned_on(&office, &clock, id).await;
        let first = login::log_in(&office, ADDRESS, PASSWORD, IP).await.unwrap().unwrap();
        let used = security::verify_second_factor(&office, &first.token, &codes[3].to_uppercase(), IP)
            .await
            .unwrap();
        assert_eq!(
            used.map(|v| v.with),
            Ok(SecondFactor::RecoveryCode {
                left: security::RECOVERY_CODES - 1
            })
        );
        let second = login::log_in(&office, ADDRESS, PASSWORD, IP).await.unwrap().unwrap();
        let reused = security::verify_second_factor(&office, &second.token, &codes[3], IP)
            .await
            .unwrap();
        assert_eq!(reused, Err(SecondFactorRefusal::Wrong));
        assert_eq!(
            security::overview(&office, id).await.unwrap().recovery_codes_left,
            security::RECOVERY_CODES - 1
        );
    })
    .await;
}

#[tokio::test]
async fn with_totp_on_only_app_passwords_open_the_mail_protocols_and_never_the_web() {
    common::on_both_clocked(at(), |office, clock: Arc<Stopped>| async move {
        let id = mailbox(&office).await;
        let app = security::create_app_password(&office, id, "Thunderbird").await.unwrap();
        assert_eq!(app.password.len(), 19);
        assert_eq!(
            mail_login(&office, PASSWORD).await,
            Ok(()),
            "TOTP off: the password opens IMAP"
        );
        assert_eq!(mail_login(&office, &app.password).await, Ok(()));

        turned_on(&office, &clock, id).await;
        assert_eq!(mail_login(&office, PASSWORD).await, Err(LoginRefused::Invalid));
        assert_eq!(mail_login(&office, &app.password).await, Ok(()));
        assert_eq!(
            mail_login(&office, &app.password.replace('-', " ").to_uppercase()).await,
            Ok(())
        );
        let smtp = office
            .engine()
            .login("smtp", ADDRESS, &app.password, IP, Purpose::Send, Channel::Mail)
            .await
            .unwrap();
        assert!(smtp.is_ok());
        assert_eq!(
            login::log_in(&office, ADDRESS, &app.password, IP)
                .await
                .unwrap()
                .unwrap_err(),
            login::Refusal::Invalid,
            "an app password never opens the web"
        );
        let listed = security::overview(&office, id).await.unwrap().app_passwords;
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].name, "Thunderbird");
        assert!(listed[0].last_used_at.is_some());

        security::revoke_app_password(&office, id, app.id).await.unwrap();
        assert_eq!(mail_login(&office, &app.password).await, Err(LoginRefused::Invalid));
        assert!(matches!(
            security::revoke_app_password(&office, id, app.id).await,
            Err(Error::NotFound {
                field: "app_password",
                ..
            })
        ));
        assert!(matches!(
            security::create_app_password(&office, id, "  ").await,
            Err(Error::Invalid { field: "name", .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn wrong_second_factors_count_in_the_brute_force_limits() {
    common::on_both_clocked(at(), |office, clock: Arc<Stopped>| async move {
        let id = mailbox(&office).await;
        let (secret, _) = turned_on(&office, &clock, id).await;
        advance(&clock, Duration::seconds(30));
        let session = login::log_in(&office, ADDRESS, PASSWORD, IP).await.unwrap().unwrap();
        for _ in 0..10 {
            let r = security::verify_second_factor(&office, &session.token, "999999", IP)
                .await
                .unwrap();
            assert!(matches!(
                r,
                Err(SecondFactorRefusal::Wrong | SecondFactorRefusal::Replayed)
            ));
        }
        let locked = security::verify_second_factor(&office, &session.token, &code_now(&secret, &clock), IP)
            .await
            .unwrap();
        assert!(
            matches!(locked, Err(SecondFactorRefusal::Throttled { .. })),
            "{locked:?}"
        );
        assert!(matches!(
            mail_login(&office, "anything-at-all").await,
            Err(LoginRefused::Throttled { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn turning_totp_off_needs_a_code_or_the_password_and_gives_the_password_back_to_imap() {
    common::on_both_clocked(at(), |office, clock: Arc<Stopped>| async move {
        let id = mailbox(&office).await;
        turned_on(&office, &clock, id).await;
        let wrong = security::disable(&office, id, "non-la-password", IP).await.unwrap_err();
        assert!(matches!(wrong, Error::Invalid { field: "proof", .. }), "{wrong}");
        security::disable(&office, id, PASSWORD, IP).await.unwrap();
        assert_eq!(security::overview(&office, id).await.unwrap().totp, TotpState::Off);
        assert_eq!(mail_login(&office, PASSWORD).await, Ok(()));
        let session = login::log_in(&office, ADDRESS, PASSWORD, IP).await.unwrap().unwrap();
        assert!(!session.second_factor);

        // Off with a code too.
        let (secret, _) = turned_on(&office, &clock, id).await;
        advance(&clock, Duration::seconds(30));
        security::disable(&office, id, &code_now(&secret, &clock), IP)
            .await
            .unwrap();
        assert!(matches!(
            security::disable(&office, id, PASSWORD, IP).await,
            Err(Error::Refused { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn the_operator_turns_totp_off_for_a_holder_who_lost_everything() {
    common::on_both_clocked(at(), |office, clock: Arc<Stopped>| async move {
        let id = mailbox(&office).await;
        turned_on(&office, &clock, id).await;
        assert!(security::turn_off_for_holder(&office, ADDRESS).await.unwrap());
        assert_eq!(security::overview(&office, id).await.unwrap().totp, TotpState::Off);
        assert_eq!(mail_login(&office, PASSWORD).await, Ok(()));
        assert!(!security::turn_off_for_holder(&office, ADDRESS).await.unwrap());
        assert!(matches!(
            security::turn_off_for_holder(&office, "nessuno@pec.office.test").await,
            Err(Error::NotFound { field: "address", .. })
        ));
    })
    .await;
}
