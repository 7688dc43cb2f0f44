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
//! ```

use std::net::SocketAddr;
use std::path::Path;

use anyhow::{Context, Result};
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

impl ProviderConfig {
    pub fn load(data: &Path) -> Result<ProviderConfig> {
        let path = data.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {} (create a provider with `certa init`)", path.display()))?;
        toml::from_str(&text).with_context(|| format!("{} is not a valid provider configuration", path.display()))
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
            ..engine::Config::default()
        }
    }
}
