//! The consoles' people: the provider's operators (all of one installation)
//! and Orders' secretariats (the Orders granted to them), their accounts,
//! logins and sessions, and the audit trail of what they do.
//!
//! Every staff account has a password (argon2id, at least 12 characters) and
//! a TOTP second factor, mandatory: the secret is made with the account (and
//! again on a reset) and shown once, to be scanned into an authenticator app;
//! it is stored sealed (`security::seal`, associated data `certa-staff-totp:<id>`).
//! A login gives the password and the code together; failures count in the
//! engine's brute-force limits under `staff:<login>` and the client's address,
//! as every other login does.
//!
//! What a staff member may see is decided here, not by a page: [`Actor`] is
//! who acts, and [`Actor::order`] / [`Actor::operator`] answer "not found" for
//! what is not theirs, so another Order's member, convention or export is a
//! 404 to every front end alike. Each console operation records itself in the
//! audit trail ([`Actor::audit`]).

use std::net::IpAddr;
use std::time::Duration;

use serde::Serialize;
use store::staff as db;

use crate::login::{SessionPolicy, hash, random_hex};
use crate::security::seal::Key;
use crate::security::totp;
use crate::{Error, Office, Result};

/// What a staff account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The provider's operator: everything of this installation.
    Operator,
    /// An Order's secretariat: the registries of its Orders, and the
    /// conventions with those Orders read-only.
    Secretariat,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Secretariat => "secretariat",
        }
    }

    pub fn parse(text: &str) -> Result<Role> {
        match text.trim().to_ascii_lowercase().as_str() {
            "operator" | "operatore" => Ok(Role::Operator),
            "secretariat" | "segreteria" => Ok(Role::Secretariat),
            other => Err(Error::invalid(
                "role",
                format!("`{other}` is not a role: operator or secretariat"),
            )),
        }
    }
}

/// Through which front end an action came (recorded in the audit trail).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Via {
    Web,
    Api,
    Cli,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Web => "web",
            Via::Api => "api",
            Via::Cli => "cli",
        }
    }
}

/// Who acts in a console or through the API for one: a staff account, with
/// its role and tenants.
#[derive(Debug, Clone, Serialize)]
pub struct Actor {
    pub id: i64,
    pub login: String,
    pub name: String,
    pub role: Role,
    /// The Orders of a secretariat, by code (an operator reaches every Order).
    pub orders: Vec<String>,
    pub via: Via,
    /// The session's token against cross-site requests (web sessions only).
    #[serde(skip)]
    pub csrf: String,
}

impl Actor {
    /// Whether this actor is the provider's operator.
    pub fn is_operator(&self) -> bool {
        self.role == Role::Operator
    }

    /// Ok when the actor is an operator; "not found" otherwise, for `what`
    /// (the provider's console does not exist for anyone else).
    pub fn operator(&self, what: &str) -> Result<()> {
        if self.is_operator() {
            Ok(())
        } else {
            Err(Error::not_found("page", format!("no {what} here")))
        }
    }

    /// Ok when the actor may work on the Order `code` (an operator, or a
    /// secretariat granted it); "not found" otherwise, exactly as an Order
    /// that does not exist.
    pub fn order(&self, code: &str) -> Result<()> {
        if self.is_operator() || self.orders.iter().any(|o| o.eq_ignore_ascii_case(code.trim())) {
            Ok(())
        } else {
            Err(Error::not_found(
                "order",
                format!("no Order {code} on this installation"),
            ))
        }
    }

    /// Records an action in the audit trail: `action` (a dotted name such as
    /// `member.set-pec`), the Order it concerns, its subject and detail.
    pub async fn audit(
        &self,
        office: &Office,
        action: &str,
        order: Option<&str>,
        subject: &str,
        detail: &str,
    ) -> Result<()> {
        let entry = db::NewAudit {
            actor: &self.login,
            role: self.role.as_str(),
            via: self.via.as_str(),
            action,
            order_code: order,
            subject,
            detail,
        };
        db::append_audit(&mut *office.store().conn().await?, &entry, office.now_ms()).await?;
        Ok(())
    }

    /// The same actor as seen through another front end.
    pub fn via(mut self, via: Via) -> Actor {
        self.via = via;
        self
    }
}

fn actor_of(a: db::Account, via: Via, csrf: String) -> Result<Actor> {
    Ok(Actor {
        role: Role::parse(&a.role)
            .map_err(|_| Error::corrupt(format!("staff account {} has role {}", a.login, a.role)))?,
        id: a.id,
        login: a.login,
        name: a.name,
        orders: a.orders,
        via,
        csrf,
    })
}

/// A staff account as the operator lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub login: String,
    pub name: String,
    pub role: Role,
    pub orders: Vec<String>,
    pub disabled: bool,
    pub created_at: i64,
}

impl From<db::Account> for Account {
    fn from(a: db::Account) -> Self {
        Account {
            role: Role::parse(&a.role).unwrap_or(Role::Secretariat),
            login: a.login,
            name: a.name,
            orders: a.orders,
            disabled: a.disabled_at.is_some(),
            created_at: a.created_at,
        }
    }
}

/// A new staff account, as a command gives it.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub login: String,
    pub name: String,
    pub role: Role,
    pub password: String,
    /// The Orders of a secretariat (at least one); none for an operator.
    pub orders: Vec<String>,
}

/// The second factor to give the person, once: the key and its `otpauth://` URI.
#[derive(Debug, Clone, Serialize)]
pub struct SecondFactor {
    pub login: String,
    /// The key in base32, for typing into an app.
    pub secret: String,
    /// The `otpauth://totp/...` URI, for a QR code.
    pub uri: String,
}

/// The shortest password a staff account may have.
pub const MIN_PASSWORD: usize = 12;

fn check_login(login: &str) -> Result<String> {
    let login = login.trim().to_ascii_lowercase();
    let ok_chars = login
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'));
    if login.len() < 3 || login.len() > 64 || !ok_chars {
        return Err(Error::invalid(
            "login",
            "3 to 64 letters, digits, dots, dashes, underscores or @",
        ));
    }
    Ok(login)
}

fn check_password(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(Error::invalid(
            "password",
            format!("at least {MIN_PASSWORD} characters for a staff account"),
        ));
    }
    Ok(())
}

async fn hash_password(password: &str) -> Result<String> {
    let text = password.to_string();
    tokio::task::spawn_blocking(move || store::mailboxes::hash_password(&text))
        .await
        .map_err(|e| Error::corrupt(format!("hashing stopped: {e}")))?
        .map_err(Error::from)
}

const TOTP_CONTEXT: &str = "certa-staff-totp";

/// A fresh TOTP secret for account `id`: sealed for the store, and as the person gets it.
fn new_second_factor(office: &Office, id: i64, login: &str) -> Result<(String, SecondFactor)> {
    let mut secret = [0u8; 20];
    openssl::rand::rand_bytes(&mut secret).map_err(|e| Error::corrupt(format!("no random bytes: {e}")))?;
    let sealed = Key::of(office.store().data_dir())?.seal_as(TOTP_CONTEXT, id, &secret)?;
    let encoded = totp::base32_encode(&secret);
    let issuer = office.engine().gestore().name().to_string();
    let uri = totp::otpauth_uri(&issuer, &format!("console:{login}"), &encoded);
    Ok((
        sealed,
        SecondFactor {
            login: login.to_string(),
            secret: encoded,
            uri,
        },
    ))
}

/// Creates a staff account with its second factor, which is returned once.
pub async fn create(office: &Office, new: &NewAccount) -> Result<SecondFactor> {
    let login = check_login(&new.login)?;
    let name = new.name.trim();
    if name.is_empty() {
        return Err(Error::invalid("name", "the person's name is empty"));
    }
    check_password(&new.password)?;
    match new.role {
        Role::Secretariat if new.orders.is_empty() => {
            return Err(Error::invalid("order", "a secretariat works for at least one Order"));
        }
        Role::Operator if !new.orders.is_empty() => {
            return Err(Error::invalid("order", "an operator reaches every Order: name none"));
        }
        _ => {}
    }
    let mut orders = Vec::new();
    {
        let mut c = office.store().conn().await?;
        for code in &new.orders {
            orders.push(existing_order(&mut c, code).await?);
        }
    }
    let hash = hash_password(&new.password).await?;
    let mut tx = office.store().begin().await?;
    let id = db::create(&mut tx, &login, name, new.role.as_str(), &hash, office.now_ms())
        .await?
        .ok_or_else(|| Error::refused_on("login", format!("there is a staff account {login} already")))?;
    let (sealed, factor) = new_second_factor(office, id, &login)?;
    db::set_totp_secret(&mut tx, id, &sealed).await?;
    for code in &orders {
        db::grant(&mut tx, id, code).await?;
    }
    tx.commit().await?;
    tracing::info!(target: "security", %login, role = new.role.as_str(), "staff account created");
    Ok(factor)
}

async fn existing_order(c: &mut store::Conn, code: &str) -> Result<String> {
    let code = code.trim().to_ascii_uppercase();
    match store::registry::order(c, &code).await? {
        Some(o) => Ok(o.code),
        None => Err(Error::not_found(
            "order",
            format!("no Order {code} on this installation"),
        )),
    }
}

async fn account(office: &Office, login: &str) -> Result<db::Account> {
    let login = login.trim().to_ascii_lowercase();
    db::by_login(&mut *office.store().conn().await?, &login)
        .await?
        .ok_or_else(|| Error::not_found("login", format!("no staff account {login}")))
}

/// Every staff account.
pub async fn list(office: &Office) -> Result<Vec<Account>> {
    let all = db::list(&mut *office.store().conn().await?).await?;
    Ok(all.into_iter().map(Account::from).collect())
}

/// A new second factor for `login` (the phone was lost): the old one stops
/// working and every session ends.
pub async fn reset_second_factor(office: &Office, login: &str) -> Result<SecondFactor> {
    let a = account(office, login).await?;
    let (sealed, factor) = new_second_factor(office, a.id, &a.login)?;
    let mut tx = office.store().begin().await?;
    db::set_totp_secret(&mut tx, a.id, &sealed).await?;
    db::delete_sessions_of(&mut tx, a.id).await?;
    tx.commit().await?;
    tracing::warn!(target: "security", login = %a.login, "staff second factor reset");
    Ok(factor)
}

/// A new password for `login`; every session ends.
pub async fn set_password(office: &Office, login: &str, password: &str) -> Result<()> {
    check_password(password)?;
    let a = account(office, login).await?;
    let hash = hash_password(password).await?;
    let mut tx = office.store().begin().await?;
    db::set_password_hash(&mut tx, a.id, &hash).await?;
    db::delete_sessions_of(&mut tx, a.id).await?;
    tx.commit().await?;
    tracing::warn!(target: "security", login = %a.login, "staff password set");
    Ok(())
}

/// Disables (or enables again) `login`; disabling ends every session.
pub async fn set_disabled(office: &Office, login: &str, disabled: bool) -> Result<()> {
    let a = account(office, login).await?;
    let mut tx = office.store().begin().await?;
    db::set_disabled(&mut tx, a.id, disabled.then(|| office.now_ms())).await?;
    if disabled {
        db::delete_sessions_of(&mut tx, a.id).await?;
    }
    tx.commit().await?;
    tracing::warn!(target: "security", login = %a.login, disabled, "staff account changed");
    Ok(())
}

/// Grants (or withdraws) the Order `code` to a secretariat account.
pub async fn grant(office: &Office, login: &str, code: &str, granted: bool) -> Result<()> {
    let a = account(office, login).await?;
    if a.role != Role::Secretariat.as_str() {
        return Err(Error::refused_on(
            "login",
            format!("{} is an operator, who reaches every Order", a.login),
        ));
    }
    let mut c = office.store().conn().await?;
    if granted {
        let code = existing_order(&mut c, code).await?;
        db::grant(&mut c, a.id, &code).await?;
    } else {
        let code = code.trim().to_ascii_uppercase();
        if !db::withdraw(&mut c, a.id, &code).await? {
            return Err(Error::not_found(
                "order",
                format!("{} does not work for {code}", a.login),
            ));
        }
        if a.orders.len() == 1 {
            db::delete_sessions_of(&mut c, a.id).await?;
        }
    }
    Ok(())
}

/// Why a console login was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "refused", rename_all = "kebab-case")]
pub enum Refusal {
    /// Wrong login, password or code (never told apart).
    Invalid,
    /// The same code was used already: wait for the next one.
    Replayed,
    /// Too many failures: try again after this many minutes.
    Throttled { minutes: u64 },
}

/// Checks `login`, `password` and the TOTP `code` from `ip` and opens a console session: its token.
pub async fn log_in(
    office: &Office,
    login: &str,
    password: &str,
    code: &str,
    ip: IpAddr,
) -> Result<Result<String, Refusal>> {
    let login = login.trim().to_ascii_lowercase();
    let account_key = format!("staff:{login}");
    let engine = office.engine();
    if let Some(retry_after) = engine.login_locked(&account_key, ip) {
        return Ok(Err(Refusal::Throttled {
            minutes: retry_after.as_secs().div_ceil(60),
        }));
    }
    let found = db::by_login(&mut *office.store().conn().await?, &login).await?;
    let Some(a) = found.filter(|a| a.disabled_at.is_none()) else {
        store::mailboxes::spend_a_check(password).await;
        engine.second_factor_failed(&account_key, ip);
        return Ok(Err(Refusal::Invalid));
    };
    let password_ok = store::mailboxes::verify_password(&a.password_hash, password).await;
    let secret = Key::of(office.store().data_dir())?.open_as(TOTP_CONTEXT, a.id, &a.totp_secret)?;
    let step = totp::as_code(code).and_then(|code| totp::matching_step(&secret, &code, office.now().timestamp()));
    let (true, Some(step)) = (password_ok, step) else {
        engine.second_factor_failed(&account_key, ip);
        tracing::warn!(target: "security", %login, %ip, "console login refused");
        return Ok(Err(Refusal::Invalid));
    };
    let mut c = office.store().conn().await?;
    if !db::use_step(&mut c, a.id, step).await? {
        engine.second_factor_failed(&account_key, ip);
        return Ok(Err(Refusal::Replayed));
    }
    engine.login_succeeded(&account_key);
    let token = random_hex(32)?;
    let csrf = random_hex(16)?;
    db::create_session(&mut c, &hash(&token), a.id, &csrf, office.now_ms()).await?;
    drop(c);
    let actor = actor_of(a, Via::Web, csrf)?;
    actor
        .audit(office, "login", None, &actor.login, &format!("from {ip}"))
        .await?;
    tracing::info!(target: "security", %login, %ip, "console login");
    Ok(Ok(token))
}

/// The staff member of the console session `token`, if it is open (the same
/// timeouts as the webmail's); None when it ended, or its account was
/// disabled meanwhile.
pub async fn session(office: &Office, token: &str, policy: SessionPolicy) -> Result<Option<Actor>> {
    let id = hash(token);
    let mut c = office.store().conn().await?;
    let Some(s) = db::session(&mut c, &id).await? else {
        return Ok(None);
    };
    let now = office.now_ms();
    let idle_for = now.saturating_sub(s.last_seen_at);
    let age = now.saturating_sub(s.created_at);
    if idle_for > millis(policy.idle) || age > millis(policy.lifetime) {
        db::delete_session(&mut c, &id).await?;
        return Ok(None);
    }
    let Some(a) = db::by_id(&mut c, s.account_id)
        .await?
        .filter(|a| a.disabled_at.is_none())
    else {
        db::delete_session(&mut c, &id).await?;
        return Ok(None);
    };
    if a.role == Role::Secretariat.as_str() && a.orders.is_empty() {
        return Ok(None);
    }
    if idle_for > 60_000 {
        db::touch_session(&mut c, &id, now).await?;
    }
    Ok(Some(actor_of(a, Via::Web, s.csrf)?))
}

/// The staff account `login` acting through `via` (an API key's owner, a command).
pub async fn actor(office: &Office, login: &str, via: Via) -> Result<Actor> {
    let a = account(office, login).await?;
    if a.disabled_at.is_some() {
        return Err(Error::refused_on(
            "login",
            format!("the staff account {} is disabled", a.login),
        ));
    }
    actor_of(a, via, String::new())
}

/// Ends the console session `token`.
pub async fn log_out(office: &Office, token: &str) -> Result<()> {
    db::delete_session(&mut *office.store().conn().await?, &hash(token)).await?;
    Ok(())
}

/// Removes the console sessions that ended by themselves; how many.
pub async fn purge_sessions(office: &Office, policy: SessionPolicy) -> Result<u64> {
    let now = office.now_ms();
    let removed = db::purge_sessions(
        &mut *office.store().conn().await?,
        now - millis(policy.idle),
        now - millis(policy.lifetime),
    )
    .await?;
    Ok(removed)
}

/// Whether `given` is the session's token against cross-site requests (constant time).
pub fn csrf_matches(actor: &Actor, given: &str) -> bool {
    !actor.csrf.is_empty()
        && actor.csrf.len() == given.len()
        && openssl::memcmp::eq(actor.csrf.as_bytes(), given.as_bytes())
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// One action of the audit trail, as read.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    /// When, in milliseconds since the epoch.
    pub at: i64,
    pub actor: String,
    pub role: String,
    pub via: String,
    pub action: String,
    pub order: Option<String>,
    pub subject: String,
    pub detail: String,
}

/// What to read of the audit trail.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub actor: Option<String>,
    /// One Order's actions only.
    pub order: Option<String>,
    pub action: Option<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub before_id: Option<i64>,
    /// At most this many (0: 100; never more than 1000).
    pub limit: i64,
}

/// The audit trail as `viewer` may read it: an operator all of it (None: the
/// command line, all of it too), a secretariat its Orders' actions only.
/// Newest first.
pub async fn audit_trail(office: &Office, viewer: Option<&Actor>, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
    let orders = match (viewer, &q.order) {
        (Some(v), Some(code)) => {
            v.order(code)?;
            Some(vec![code.trim().to_ascii_uppercase()])
        }
        (Some(v), None) if !v.is_operator() => Some(v.orders.clone()),
        (_, Some(code)) => Some(vec![code.trim().to_ascii_uppercase()]),
        _ => None,
    };
    let filter = db::AuditFilter {
        actor: q.actor.as_ref().map(|a| a.trim().to_ascii_lowercase()),
        orders,
        action: q.action.clone(),
        from: q.from_ms,
        to: q.to_ms,
        before_id: q.before_id,
        limit: if q.limit <= 0 { 100 } else { q.limit.min(1000) },
    };
    let rows = db::audit(&mut *office.store().conn().await?, &filter).await?;
    Ok(rows
        .into_iter()
        .map(|r| AuditEntry {
            id: r.id,
            at: r.at,
            actor: r.actor,
            role: r.role,
            via: r.via,
            action: r.action,
            order: r.order_code,
            subject: r.subject,
            detail: r.detail,
        })
        .collect())
}

/// Records an action taken from the command line on the staff accounts
/// (`certa staff ...`), which has no staff actor: the audit shows `cli`.
pub async fn audit_cli(office: &Office, action: &str, subject: &str, detail: &str) -> Result<()> {
    let entry = db::NewAudit {
        actor: "cli",
        role: "operator",
        via: Via::Cli.as_str(),
        action,
        order_code: None,
        subject,
        detail,
    };
    db::append_audit(&mut *office.store().conn().await?, &entry, office.now_ms()).await?;
    Ok(())
}
