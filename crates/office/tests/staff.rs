//! The consoles' staff (`office::staff`): accounts with argon2id passwords and
//! a mandatory TOTP key shown once and stored sealed; a login needs the
//! password and a code, each code good once, failures counted in the engine's
//! limits; sessions end with the account's password, key or access; an
//! Actor reaches its own Orders only (another is "not found"); the audit
//! trail records who did what, and a secretariat reads its Orders' part only;
//! on both storage back ends.

mod common;
mod registry_support;

use std::net::IpAddr;

use office::Office;
use office::login::SessionPolicy;
use office::registry::orders::{self, NewOrder};
use office::security::totp;
use office::staff::{self, AuditQuery, NewAccount, Refusal, Role, Via};
use registry_support::{ORDER, add_order, at};

const OTHER: &str = "OMCEO-AL";

fn ip(last: u8) -> IpAddr {
    IpAddr::from([198, 51, 100, last])
}

async fn add_other_order(office: &Office) {
    let order = NewOrder {
        code: OTHER,
        name: "Ordine dei Medici Chirurghi e degli Odontoiatri della Provincia di Alessandria",
        tax_id: "80027910480",
        codice_ente: "80027910480",
        pec: "omceo-al@pec.office.test",
        delegate: None,
    };
    orders::add(office, &order).await.unwrap();
}

fn secretariat(login: &str, order: &str) -> NewAccount {
    NewAccount {
        login: login.into(),
        name: "Segreteria".into(),
        role: Role::Secretariat,
        password: "una password lunga".into(),
        orders: vec![order.into()],
    }
}

fn code_now(office: &Office, secret: &str, offset_steps: i64) -> String {
    totp::code_at(secret, office.now().timestamp() + offset_steps * totp::STEP_SECONDS).unwrap()
}

#[tokio::test]
async fn a_login_needs_the_password_and_a_fresh_code_and_opens_a_session() {
    common::on_both(at(), |office| async move {
        add_order(&office, "segreteria@pec.office.test").await;
        let factor = staff::create(&office, &secretariat("Anna.Bianchi", ORDER))
            .await
            .unwrap();
        assert_eq!(factor.login, "anna.bianchi", "logins are lowercase");
        assert!(factor.uri.starts_with("otpauth://totp/"), "{}", factor.uri);
        let stored: (String,) = store::sqlx::query_as("SELECT totp_secret FROM staff_accounts")
            .fetch_one(&mut *office.store().conn().await.unwrap())
            .await
            .unwrap();
        assert!(
            stored.0.starts_with("v1:") && !stored.0.contains(&factor.secret),
            "sealed"
        );

        let wrong_code = staff::log_in(&office, "anna.bianchi", "una password lunga", "000000", ip(1))
            .await
            .unwrap();
        // One in a million: the right code is 000000 this very step.
        if code_now(&office, &factor.secret, 0) != "000000" {
            assert_eq!(wrong_code, Err(Refusal::Invalid));
        }
        let code = code_now(&office, &factor.secret, 0);
        let wrong_password = staff::log_in(&office, "anna.bianchi", "un'altra password", &code, ip(1))
            .await
            .unwrap();
        assert_eq!(
            wrong_password,
            Err(Refusal::Invalid),
            "the code is not spent by a wrong password"
        );
        let token = staff::log_in(&office, "Anna.Bianchi", "una password lunga", &code, ip(1))
            .await
            .unwrap()
            .expect("password and code");
        let replay = staff::log_in(&office, "anna.bianchi", "una password lunga", &code, ip(2))
            .await
            .unwrap();
        assert_eq!(replay, Err(Refusal::Replayed), "a code is good once");

        let actor = staff::session(&office, &token, SessionPolicy::default())
            .await
            .unwrap()
            .expect("an open session");
        assert_eq!(
            (actor.role, actor.orders.clone()),
            (Role::Secretariat, vec![ORDER.to_string()])
        );
        assert!(staff::csrf_matches(&actor, &actor.csrf.clone()));
        assert!(!staff::csrf_matches(&actor, "x"));

        // A new key ends every session; the old key's codes no longer open.
        let renewed = staff::reset_second_factor(&office, "anna.bianchi").await.unwrap();
        assert_ne!(renewed.secret, factor.secret);
        assert!(
            staff::session(&office, &token, SessionPolicy::default())
                .await
                .unwrap()
                .is_none()
        );
        let old = code_now(&office, &factor.secret, -1);
        let refused = staff::log_in(&office, "anna.bianchi", "una password lunga", &old, ip(3))
            .await
            .unwrap();
        assert_eq!(refused, Err(Refusal::Invalid));

        // Disabled: no login, whatever is given.
        staff::set_disabled(&office, "anna.bianchi", true).await.unwrap();
        let code = code_now(&office, &renewed.secret, 0);
        let disabled = staff::log_in(&office, "anna.bianchi", "una password lunga", &code, ip(4))
            .await
            .unwrap();
        assert_eq!(disabled, Err(Refusal::Invalid));
        let who = staff::audit_trail(&office, None, &AuditQuery::default()).await.unwrap();
        assert_eq!(
            who.iter()
                .map(|e| (e.actor.as_str(), e.action.as_str()))
                .collect::<Vec<_>>(),
            [("anna.bianchi", "login")],
            "the login is in the audit trail"
        );
    })
    .await;
}

#[tokio::test]
async fn repeated_failures_lock_the_login_out() {
    common::on_both(at(), |office| async move {
        add_order(&office, "segreteria@pec.office.test").await;
        let factor = staff::create(&office, &secretariat("anna", ORDER)).await.unwrap();
        let mut last = None;
        for _ in 0..12 {
            last = Some(
                staff::log_in(&office, "anna", "indovinata a caso", "123456", ip(9))
                    .await
                    .unwrap(),
            );
        }
        assert!(matches!(last, Some(Err(Refusal::Throttled { .. }))), "{last:?}");
        let code = code_now(&office, &factor.secret, 0);
        let locked = staff::log_in(&office, "anna", "una password lunga", &code, ip(10))
            .await
            .unwrap();
        assert!(
            matches!(locked, Err(Refusal::Throttled { .. })),
            "the account is locked from any address"
        );
    })
    .await;
}

#[tokio::test]
async fn accounts_are_checked_before_anything_is_stored() {
    common::on_both(at(), |office| async move {
        add_order(&office, "segreteria@pec.office.test").await;
        let field = |e: office::Error| e.field();
        let short = NewAccount {
            password: "corta".into(),
            ..secretariat("anna", ORDER)
        };
        assert_eq!(
            staff::create(&office, &short).await.map_err(field).err(),
            Some(Some("password"))
        );
        let no_order = NewAccount {
            orders: vec![],
            ..secretariat("anna", ORDER)
        };
        assert_eq!(
            staff::create(&office, &no_order).await.map_err(field).err(),
            Some(Some("order"))
        );
        let unknown = secretariat("anna", "OMCEO-XX");
        assert_eq!(
            staff::create(&office, &unknown).await.map_err(field).err(),
            Some(Some("order"))
        );
        let bad_login = secretariat("a b", ORDER);
        assert_eq!(
            staff::create(&office, &bad_login).await.map_err(field).err(),
            Some(Some("login"))
        );
        assert_eq!(Role::parse("admin").map_err(field).err(), Some(Some("role")));
        assert!(staff::list(&office).await.unwrap().is_empty(), "nothing was stored");
        staff::create(&office, &secretariat("anna", ORDER)).await.unwrap();
        let again = staff::create(&office, &secretariat("Anna", ORDER)).await;
        assert_eq!(again.map_err(field).err(), Some(Some("login")), "one account per login");
    })
    .await;
}

#[tokio::test]
async fn an_actor_reaches_its_own_orders_and_reads_their_audit_only() {
    common::on_both(at(), |office| async move {
        add_order(&office, "segreteria@pec.office.test").await;
        add_other_order(&office).await;
        staff::create(&office, &secretariat("fi.segreteria", ORDER))
            .await
            .unwrap();
        staff::create(&office, &secretariat("al.segreteria", OTHER))
            .await
            .unwrap();
        let operator = NewAccount {
            login: "operatore".into(),
            role: Role::Operator,
            orders: vec![],
            ..secretariat("operatore", ORDER)
        };
        staff::create(&office, &operator).await.unwrap();
        let fi = staff::actor(&office, "fi.segreteria", Via::Api).await.unwrap();
        let al = staff::actor(&office, "al.segreteria", Via::Web).await.unwrap();
        let op = staff::actor(&office, "operatore", Via::Web).await.unwrap();

        assert!(fi.order(ORDER).is_ok());
        assert!(fi.order(&ORDER.to_lowercase()).is_ok());
        let other = fi.order(OTHER).unwrap_err();
        assert!(
            matches!(other, office::Error::NotFound { field: "order", .. }),
            "{other:?}"
        );
        assert!(op.order(ORDER).is_ok() && op.order(OTHER).is_ok());
        assert!(op.operator("console").is_ok());
        assert!(matches!(fi.operator("console"), Err(office::Error::NotFound { .. })));

        fi.audit(&office, "member.set-pec", Some(ORDER), "RSSMRA80A01H501U", "x@pec.it")
            .await
            .unwrap();
        al.audit(&office, "member.set-pec", Some(OTHER), "VRDLCU82L20A182K", "y@pec.it")
            .await
            .unwrap();
        op.audit(&office, "domain.add", None, "pec.nuovo.test", "")
            .await
            .unwrap();

        let seen = |entries: Vec<staff::AuditEntry>| entries.into_iter().map(|e| e.actor).collect::<Vec<_>>();
        let all = AuditQuery::default();
        assert_eq!(
            seen(staff::audit_trail(&office, Some(&op), &all).await.unwrap()),
            ["operatore", "al.segreteria", "fi.segreteria"]
        );
        assert_eq!(
            seen(staff::audit_trail(&office, Some(&fi), &all).await.unwrap()),
            ["fi.segreteria"]
        );
        assert_eq!(
            seen(staff::audit_trail(&office, Some(&al), &all).await.unwrap()),
            ["al.segreteria"]
        );
        let asked_other = AuditQuery {
            order: Some(OTHER.into()),
            ..AuditQuery::default()
        };
        assert!(matches!(
            staff::audit_trail(&office, Some(&fi), &asked_other).await,
            Err(office::Error::NotFound { .. })
        ));
        let entry = &staff::audit_trail(&office, Some(&fi), &all).await.unwrap()[0];
        assert_eq!(
            (
                entry.via.as_str(),
                entry.action.as_str(),
                entry.order.as_deref(),
                entry.subject.as_str()
            ),
            ("api", "member.set-pec", Some(ORDER), "RSSMRA80A01H501U")
        );

        // An Order withdrawn from its only secretariat: its sessions end.
        staff::grant(&office, "al.segreteria", ORDER, true).await.unwrap();
        assert_eq!(
            staff::actor(&office, "al.segreteria", Via::Web).await.unwrap().orders,
            [OTHER, ORDER]
        );
        staff::grant(&office, "al.segreteria", ORDER, false).await.unwrap();
        assert!(staff::grant(&office, "al.segreteria", ORDER, false).await.is_err());
        assert!(
            staff::grant(&office, "operatore", ORDER, true).await.is_err(),
            "an operator has every Order"
        );
    })
    .await;
}
