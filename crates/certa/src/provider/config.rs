//! A provider's data directory: `certa.toml`, its keys, its database and blobs.
//!
//! ```toml
//! name = "Certa Nord S.p.A."           # gestore-emittente
//! domain = "nord.certa.test"           # PEC domain: posta-certificata@domain signs
//! index = "../index.toml"              # the provider index (relative to this file)
//! # database = "postgres://user@host/db"   # default: SQLite in this directory
//! anomaly = "anomaly"                  # or "refuse": ordinary mail for PEC mailboxes
//!
//! [keys]                               # relative to this file
//! signer = "keys/signer.pem"
//! signer_key = "keys/signer.key"
//! chain = "keys/ca.pem"
//! tls_cert = "keys/tls.pem"
//! tls_key = "keys/tls.key"
//!
//! [listen]
//! submission = "127.0.0.1:1587"        # STARTTLS (RFC 6409)
//! submissions = "127.0.0.1:1465"       # implicit TLS (RFC 8314)
//! inbound = "127.0.0.1:2525"           # receiving point
//!
//! [access]                           # mailbox access (each listener optional)
//! imap = "127.0.0.1:1143"              # STARTTLS
//! imaps = "127.0.0.1:1993"             # implicit TLS
//! pop3 = "127.0.0.1:1110"              # STLS
//! pop3s = "127.0.0.1:1995"             # implicit TLS
//! # suspended_can_read = true          # a suspended mailbox may still read its mail
//!
//! [limits]
//! max_recipients = 500
//! max_recipients_x_size = 31457280     # 30 MB, the legal floor
//! max_message_size = 104857600
//!
//! # smarthost = { host = "127.0.0.1", port = 25, tls = "none" }   # ordinary recipients
//!
//! [web]                                # the webmail over HTTPS (optional)
//! listen = "127.0.0.1:8443"
//! idle_minutes = 30                    # a session ends after this long without a request
//! max_upload_mb = 100                  # the largest message with attachments sent from the web
//! # url = "https://webmail.nord.certa.test/"   # the public address; default https://<listen>/
//!
//! [lifecycle]                          # notices, payments, the daily machine (all optional)
//! provider_name = "Certa Nord S.p.A."  # sender of notices; default: `name`
//! management_address = "gestione@nord.certa.test"   # cancellations by PEC; default gestione@domain
//! # renewal_url = "https://nord.certa.test/rinnovo/{token}"   # default: [web]'s /rinnovo/{token}
//! payment_methods = ["carta di credito o PayPal", "bonifico bancario (causale: il numero d'ordine)"]
//! blob_grace_hours = 24                # deleted contents' files are removed this long after
//! interval_seconds = 60                # `certa serve` runs the daily machine this often; 0: never
//! reservation_hours = 48               # an address ordered on the web stays reserved this long unpaid
//!
//! [lifecycle.webhook]                  # payments from card/PayPal-style providers (HTTPS)
//! listen = "127.0.0.1:8443"
//! secret_file = "keys/webhook.secret"  # or secret = "...": the HMAC-SHA256 shared secret
//!
//! [payments]                           # paying orders by card on the web pages (optional)
//! checkout_url = "https://pay.example/checkout?order={order}&amount={amount}&return={return}"
//! label = "carta di credito o PayPal"
//! # test_page = true                   # instead: the built-in TEST page (certa demo); needs [lifecycle.webhook]
//! ```

use std::net::SocketAddr;
use std::path::Path;

use anyhow::{Context, Result, bail};
use engine::{AnomalyPolicy, Endpoint};

pub const CONFIG_FILE: &str = "certa.toml";

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    pub name: String,
    pub domain: String,
    pub index: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    #[serde(default = "default_anomaly")]
    pub anomaly: AnomalyPolicy,
    pub keys: Keys,
    pub listen: Listen,
    /// Mailbox access: IMAP and POP3 listeners (each optional).
    #[serde(default)]
    pub access: Access,
    #[serde(default)]
    pub limits: Limits,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smarthost: Option<Endpoint>,
    /// The webmail over HTTPS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web: Option<WebSettings>,
    /// Notices, payments and the daily machine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<LifecycleSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payments: Option<PaymentsSettings>,
}

/// `[web]`: where the webmail listens, and how its sessions and uploads behave.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebSettings {
    pub listen: SocketAddr,
    /// Minutes without a request after which a session ends (default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_minutes: Option<u32>,
    /// The largest request accepted, in MB (default 100: the default message size).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_upload_mb: Option<u32>,
    /// The address people reach the pages at (behind a proxy or a name), ending
    /// in `/`; default `https://<listen>/`. Links in notices start with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl WebSettings {
    fn validate(&self) -> Result<()> {
        if self.idle_minutes.is_some_and(|m| !(1..=1440).contains(&m)) {
            bail!("[web] idle_minutes: between 1 and 1440");
        }
        if self.max_upload_mb.is_some_and(|m| m == 0 || m > 1024) {
            bail!("[web] max_upload_mb: between 1 and 1024");
        }
        if let Some(u) = &self.url
            && !(u.starts_with("https://") && u.ends_with('/'))
        {
            bail!("[web] url: {u:?} must start with https:// and end with /");
        }
        Ok(())
    }

    /// Where people reach the pages: `url`, else the listening address (none
    /// when it is port 0, whose real port only the running server knows).
    pub fn public_url(&self) -> Option<String> {
        match &self.url {
            Some(u) => Some(u.clone()),
            None if self.listen.port() == 0 => None,
            None => Some(format!("https://{}/", self.listen)),
        }
    }

    /// The web front end's settings.
    pub fn settings(&self) -> web::Settings {
        let d = web::Settings::default();
        web::Settings {
            session: office::login::SessionPolicy {
                idle: self
                    .idle_minutes
                    .map_or(d.session.idle, |m| std::time::Duration::from_secs(u64::from(m) * 60)),
                ..d.session
            },
            max_upload: self.max_upload_mb.map_or(d.max_upload, |m| m as usize * 1024 * 1024),
            ..d
        }
    }
}

fn default_anomaly() -> AnomalyPolicy {
    AnomalyPolicy::Anomaly
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    pub signer: String,
    pub signer_key: String,
    pub chain: String,
    pub tls_cert: String,
    pub tls_key: String,
}

impl Default for Keys {
    fn default() -> Self {
        Keys {
            signer: "keys/signer.pem".into(),
            signer_key: "keys/signer.key".into(),
            chain: "keys/ca.pem".into(),
            tls_cert: "keys/tls.pem".into(),
            tls_key: "keys/tls.key".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Listen {
    pub submission: SocketAddr,
    pub submissions: SocketAddr,
    pub inbound: SocketAddr,
}

/// Where users read their mail; a listener left out is not started.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Access {
    /// IMAP with STARTTLS (RFC 3501, RFC 2595).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imap: Option<SocketAddr>,
    /// IMAP with implicit TLS (RFC 8314).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imaps: Option<SocketAddr>,
    /// POP3 with STLS (RFC 2595).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pop3: Option<SocketAddr>,
    /// POP3 with implicit TLS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pop3s: Option<SocketAddr>,
    /// Whether a suspended mailbox may still log in to read (default yes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspended_can_read: Option<bool>,
}

impl Access {
    /// 1143, 1993, 1110, 1995 on `ip`, plus `offset`.
    pub fn defaults(ip: std::net::IpAddr, offset: u16) -> Access {
        let at = |port: u16| Some(SocketAddr::new(ip, port + offset));
        Access {
            imap: at(1143),
            imaps: at(1993),
            pop3: at(1110),
            pop3s: at(1995),
            suspended_can_read: None,
        }
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    pub max_recipients: usize,
    pub max_recipients_x_size: usize,
    pub max_message_size: usize,
}

impl Default for Limits {
    fn default() -> Self {
        let d = engine::Config::default();
        Limits {
            max_recipients: d.max_recipients,
            max_recipients_x_size: d.max_recipients_x_size,
            max_message_size: d.max_message_size,
        }
    }
}

/// `[lifecycle]`: what the notices say, where payments come in, how often the daily
/// machine runs. Every key is optional.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LifecycleSettings {
    /// The sender of notices; default: the provider's `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_name: Option<String>,
    /// Where holders send cancellations as a PEC; default `gestione@<domain>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub management_address: Option<String>,
    /// The renewal page named in notices; `{mailbox}` and `{order}` are replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renewal_url: Option<String>,
    /// One line per way to pay, as the notices list them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_methods: Option<Vec<String>>,
    /// Hours between the last reference to a blob and the removal of its file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blob_grace_hours: Option<u32>,
    /// Hours an address ordered on the web stays reserved while its order is unpaid (default 48).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reservation_hours: Option<u32>,
    /// Seconds between two runs of the daily machine in `certa serve`; 0: never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<WebhookSettings>,
}

/// `[payments]`: paying orders by card on the web pages, through a card
/// provider's hosted checkout that answers on the payment webhook.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentsSettings {
    /// The hosted checkout's address; `{order}`, `{amount}`, `{cents}`,
    /// `{description}` and `{return}` are replaced (office::checkout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkout_url: Option<String>,
    /// Shown beside the pay button; default "carta di credito".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The built-in TEST payment page instead (certa demo, tests): no money moves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_page: Option<bool>,
}

impl PaymentsSettings {
    /// The card provider the pages offer, if any; each error names the key.
    pub fn card(&self) -> Result<Option<office::checkout::HostedCheckout>> {
        match &self.checkout_url {
            Some(url) => {
                office::checkout::HostedCheckout::new(url, self.label.as_deref().unwrap_or("carta di credito"))
                    .map(Some)
                    .map_err(|e| anyhow::anyhow!("[payments] {e}"))
            }
            None => Ok(None),
        }
    }

    fn validate(&self, lifecycle: Option<&LifecycleSettings>) -> Result<()> {
        self.card()?;
        if self.test_page == Some(true) {
            if self.checkout_url.is_some() {
                bail!("[payments] test_page, checkout_url: the test page replaces a real checkout; give one of them");
            }
            if lifecycle.and_then(|l| l.webhook.as_ref()).is_none() {
                bail!("[payments] test_page: the test page pays through the webhook: configure [lifecycle.webhook]");
            }
        }
        Ok(())
    }
}

/// `[lifecycle.webhook]`: the HTTPS endpoint of card and PayPal-style payment providers.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    pub listen: SocketAddr,
    /// The shared secret of the HMAC-SHA256 signature; or `secret_file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// A file holding the secret (relative to the data directory); trailing blanks ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_file: Option<String>,
}

/// The daily machine's default period in `certa serve`.
pub const DEFAULT_LIFECYCLE_INTERVAL: u64 = 60;
/// Shorter secrets are refused: the signature is only as strong as the secret.
const MIN_SECRET_LEN: usize = 16;

impl LifecycleSettings {
    /// Checks the values serde cannot; each error names the key.
    fn validate(&self, data: &Path) -> Result<()> {
        let key = |k: &str| format!("[lifecycle] {k}");
        if let Some(name) = &self.provider_name
            && name.trim().is_empty()
        {
            bail!("{}: empty", key("provider_name"));
        }
        if let Some(a) = &self.management_address {
            let ok = a
                .split_once('@')
                .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.contains('@') && !a.contains(' '));
            if !ok {
                bail!("{}: {a:?} is not an e-mail address", key("management_address"));
            }
        }
        if let Some(u) = &self.renewal_url
            && !(u.starts_with("https://") || u.starts_with("http://"))
        {
            bail!("{}: {u:?} is not an http(s) URL", key("renewal_url"));
        }
        if let Some(m) = &self.payment_methods {
            if m.is_empty() {
                bail!("{}: list at least one way to pay", key("payment_methods"));
            }
            if let Some(i) = m.iter().position(|line| line.trim().is_empty()) {
                bail!("{}[{i}]: empty", key("payment_methods"));
            }
        }
        if let Some(h) = self.reservation_hours
            && !(1..=720).contains(&h)
        {
            bail!(
                "{}: {h} is not between 1 and 720 hours (30 days)",
                key("reservation_hours")
            );
        }
        if let Some(s) = self.interval_seconds
            && s > 86_400
        {
            bail!(
                "{}: {s} is more than a day: the daily machine must run at least once a day (0 turns it off)",
                key("interval_seconds")
            );
        }
        if let Some(w) = &self.webhook {
            w.secret(data)?;
        }
        Ok(())
    }

    pub fn interval(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.interval_seconds.unwrap_or(DEFAULT_LIFECYCLE_INTERVAL))
    }
}

impl WebhookSettings {
    /// The shared secret, from `secret` or `secret_file`.
    pub fn secret(&self, data: &Path) -> Result<Vec<u8>> {
        let secret = match (&self.secret, &self.secret_file) {
            (Some(s), None) => s.clone(),
            (None, Some(f)) => {
                let path = data.join(f);
                std::fs::read_to_string(&path)
                    .with_context(|| format!("[lifecycle.webhook] secret_file: cannot read {}", path.display()))?
                    .trim_end()
                    .to_string()
            }
            (Some(_), Some(_)) => bail!("[lifecycle.webhook] secret, secret_file: give one of them, not both"),
            (None, None) => bail!("[lifecycle.webhook] secret: missing (or give secret_file)"),
        };
        if secret.len() < MIN_SECRET_LEN {
            bail!("[lifecycle.webhook] secret: shorter than {MIN_SECRET_LEN} characters");
        }
        Ok(secret.into_bytes())
    }
}

impl ProviderConfig {
    pub fn load(data: &Path) -> Result<ProviderConfig> {
        let path = data.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {} (create a provider with `certa init`)", path.display()))?;
        let config: ProviderConfig = toml::from_str(&text)
            .with_context(|| format!("{} is not a valid provider configuration", path.display()))?;
        if let Some(w) = &config.web {
            w.validate()
                .with_context(|| format!("{} is not a valid provider configuration", path.display()))?;
        }
        if let Some(l) = &config.lifecycle {
            l.validate(data)
                .with_context(|| format!("{} is not a valid provider configuration", path.display()))?;
        }
        if let Some(p) = &config.payments {
            p.validate(config.lifecycle.as_ref())
                .with_context(|| format!("{} is not a valid provider configuration", path.display()))?;
        }
        Ok(config)
    }

    pub fn save(&self, data: &Path) -> Result<()> {
        let path = data.join(CONFIG_FILE);
        let text = toml::to_string_pretty(self).context("cannot encode the configuration")?;
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
    }

    pub fn engine_config(&self) -> engine::Config {
        engine::Config {
            max_recipients: self.limits.max_recipients,
            max_recipients_x_size: self.limits.max_recipients_x_size,
            max_message_size: self.limits.max_message_size,
            anomaly: self.anomaly,
            smarthost: self.smarthost.clone(),
            suspended_can_read: self.access.suspended_can_read.unwrap_or(true),
            lifecycle: self.lifecycle_config(),
            ..engine::Config::default()
        }
    }

    fn lifecycle_config(&self) -> engine::lifecycle::LifecycleConfig {
        let d = engine::lifecycle::LifecycleConfig::default();
        let l = self.lifecycle.clone().unwrap_or_default();
        engine::lifecycle::LifecycleConfig {
            provider_name: l.provider_name.unwrap_or_else(|| self.name.clone()),
            management_address: l.management_address,
            // The renewal page of this provider's web pages, when it has them.
            renewal_url: l.renewal_url.unwrap_or_else(|| {
                self.web
                    .as_ref()
                    .and_then(WebSettings::public_url)
                    .map_or(d.renewal_url, |u| format!("{u}rinnovo/{{token}}"))
            }),
            web_url: self.web.as_ref().and_then(WebSettings::public_url),
            payment_methods: l.payment_methods.unwrap_or(d.payment_methods),
            blob_grace: l
                .blob_grace_hours
                .map_or(d.blob_grace, |h| chrono::Duration::hours(i64::from(h))),
            reservation: l
                .reservation_hours
                .map_or(d.reservation, |h| chrono::Duration::hours(i64::from(h))),
            ..d
        }
    }
}
