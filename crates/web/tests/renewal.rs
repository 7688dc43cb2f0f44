//! The renewal page a notice links to, route by route: public, opened by its
//! link's token only (its own order, never another; an altered token or the
//! order number alone is 404; an expired link says so), in Italian and English.

mod common;
#[path = "../../office/tests/lifecycle_support/mod.rs"]
mod lifecycle_support;

use axum::http::StatusCode;
use chrono::Duration;
use common::Site;
use lifecycle_support::{DCS, convention, dcs_yearly, mailbox, rome};
use office::subscriptions;

const MARIO: &str = "mario.rossi@pec.dcssrl.it";
const ANNA: &str = "anna.neri@pec.dcssrl.it";

/// The path of a renewal URL (`https://host/rinnovo/TOKEN`).
fn path(url: &str) -> String {
    format!("/rinnovo/{}", url.rsplit('/').next().unwrap())
}

#[tokio::test]
async fn a_renewal_link_opens_its_own_order_without_a_login_and_nothing_else() {
    let site = Site::new().await;
    site.clock.set(rome(2025, 2, 1, 10, 0));
    convention(&site.office, DCS).await;
    for (address, at) in [(MARIO, rome(2024, 3, 10, 9, 30)), (ANNA, rome(2024, 3, 20, 9, 30))] {
        mailbox(&site.office, address).await;
        subscriptions::create(&site.office, &dcs_yearly(address, at))
            .await
            .unwrap();
    }
    let mario = subscriptions::renew(&site.office, MARIO, None).await.unwrap();
    let anna = subscriptions::renew(&site.office, ANNA, None).await.unwrap();

    let mut b = site.browser();
    let page = b.get(&path(&mario.renewal_url)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for shown in [
        MARIO,
        "Mario Rossi",
        mario.order.id.as_str(),
        "10/03/2025",
        "10/03/2026",
        "6,50 €",
        "22 %",
        "7,93 €",
        "il rinnovo decorre dalla scadenza attuale",
    ] {
        assert!(page.body.contains(shown), "{shown} on the page:\n{}", page.body);
    }
    assert!(
        page.body.contains(&format!(
            r#"<code id="transfer-reference">{} {MARIO}</code>"#,
            mario.order.id
        )),
        "the bank transfer's reference"
    );
    assert!(!page.body.contains(ANNA), "only its own order");

    let other = b.get(&path(&anna.renewal_url)).await;
    assert!(other.body.contains(ANNA) && !other.body.contains(MARIO));

    // Altered or made up: 404 with the reason in words, nothing of any order shown.
    let good = path(&mario.renewal_url);
    let altered = format!(
        "{}{}",
        &good[..good.len() - 1],
        if good.ends_with('A') { 'B' } else { 'A' }
    );
    for bad in [
        altered,
        format!("/rinnovo/{}", mario.order.id),
        "/rinnovo/x.y".to_string(),
    ] {
        let page = b.get(&bad).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{bad}");
        assert!(
            page.body.contains("Questo link di rinnovo non è valido"),
            "{}",
            page.body
        );
        assert!(
            !page.body.contains(MARIO) && !page.body.contains("Mario Rossi"),
            "nothing of the order"
        );
    }

    // In English by the switch, like every page.
    b.post("/lang", &[("lang", "en"), ("back", &good)]).await;
    let english = b.get(&good).await;
    assert!(english.body.contains("Renewal of the PEC mailbox") && english.body.contains("New expiry, once paid"));

    // 180 days after the expiry it renews, the link has expired.
    site.advance(Duration::days(230));
    let gone = b.get(&good).await;
    assert_eq!(gone.status, StatusCode::GONE);
    assert!(gone.body.contains("This renewal link has expired"), "{}", gone.body);
}

#[tokio::test]
async fn the_plan_changes_from_the_renewal_page_and_a_cross_site_post_is_refused() {
    let site = Site::new().await;
    site.clock.set(rome(2025, 2, 1, 10, 0));
    convention(&site.office, DCS).await;
    mailbox(&site.office, MARIO).await;
    subscriptions::create(&site.office, &dcs_yearly(MARIO, rome(2024, 3, 10, 9, 30)))
        .await
        .unwrap();
    let mario = subscriptions::renew(&site.office, MARIO, None).await.unwrap();
    let link = path(&mario.renewal_url);
    let mut b = site.browser();
    let page = b.get(&link).await;
    assert!(
        page.body.contains(r#"<label for="plan">Piano per il rinnovo</label>"#),
        "{}",
        page.body
    );
    assert!(page.body.contains(&format!(r#"action="{link}/piano""#)));

    let refused = b
        .post_from(
            &format!("{link}/piano"),
            &[("plan", "biennale")],
            Some("https://evil.example"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(b.get(&link).await.status, StatusCode::OK, "the order is still open");

    let changed = b.post(&format!("{link}/piano"), &[("plan", "biennale")]).await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
    let new = b.get(changed.location()).await;
    assert_eq!(new.status, StatusCode::OK);
    assert!(
        new.body.contains("biennale") && !new.body.contains(&mario.order.id),
        "a new order"
    );
    let old = b.get(&link).await;
    assert!(old.body.contains("Questo ordine è stato annullato"), "{}", old.body);

    let unknown = b
        .post(&format!("{}/piano", changed.location()), &[("plan", "mensile")])
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unknown.body.contains("no plan"), "{}", unknown.body);
}
