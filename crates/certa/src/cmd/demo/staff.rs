//! The demo's console staff, on the first provider: an operator, and the
//! secretariat of the demo's Order. Their passwords and TOTP keys are in
//! `demo.json` (a test computes the codes from the key); an account kept from
//! an earlier run keeps its password and key when `demo.json` still has them,
//! else gets new ones.

use anyhow::Result;
use office::Office;
use office::staff::{self, NewAccount, Role};

use super::{DemoInfo, OnCommandLine, random_password};
use crate::provider::Provider;

/// A console account in `demo.json`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct DemoStaff {
    pub login: String,
    pub role: Role,
    pub name: String,
    pub password: String,
    /// The TOTP key (base32): any authenticator app, or `oathtool --totp -b KEY`.
    pub totp_secret: String,
    /// The Orders of a secretariat.
    pub orders: Vec<String>,
    /// Where to log in.
    pub console_url: String,
}

const NAMES: &[(&str, &str)] = &[];

/// The operator and the Order's secretariat, made or kept.
pub async fn ensure(
    provider: &Provider,
    web: Option<&str>,
    order: &str,
    previous: Option<&DemoInfo>,
) -> Result<Vec<DemoStaff>> {
    let office = Office::new(provider.engine.clone());
    let people = [
        ("operatore", Role::Operator, "Operatore del gestore", Vec::new()),
        (
            "segreteria",
            Role::Secretariat,
            "Segreteria dell'Ordine",
            vec![order.to_string()],
        ),
    ];
    let existing = staff::list(&office).await.named(NAMES)?;
    let mut out = Vec::new();
    for (login, role, name, orders) in people {
        let kept = previous
            .into_iter()
            .flat_map(|p| p.staff.iter())
            .find(|s| s.login == login)
            .cloned();
        let exists = existing.iter().any(|a| a.login == login);
        let (password, totp_secret) = match (exists, kept) {
            (true, Some(k)) => (k.password, k.totp_secret),
            (true, None) => {
                let password = random_password();
                staff::set_password(&office, login, &password).await.named(NAMES)?;
                let factor = staff::reset_second_factor(&office, login).await.named(NAMES)?;
                (password, factor.secret)
            }
            (false, _) => {
                let password = random_password();
                let new = NewAccount {
                    login: login.into(),
                    name: name.into(),
                    role,
                    password: password.clone(),
                    orders: orders.clone(),
                };
                let factor = staff::create(&office, &new).await.named(NAMES)?;
                (password, factor.secret)
            }
        };
        out.push(DemoStaff {
            login: login.into(),
            role,
            name: name.into(),
            password,
            totp_secret,
            orders,
            console_url: web.map(|w| format!("{w}console")).unwrap_or_default(),
        });
    }
    Ok(out)
}

pub fn print(all: &[DemoStaff]) {
    for s in all {
        println!(
            "  console          {}   login {}   password {}   TOTP key {}",
            s.console_url, s.login, s.password, s.totp_secret
        );
    }
}
