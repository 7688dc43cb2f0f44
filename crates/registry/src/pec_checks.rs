//! Checks on an address a member communicates as their PEC, the duty of DL
//! 185/2008 art. 16 c.7 (registries.md 5.1: members communicate their PEC to
//! the Order, which lists it for administrations and INI-PEC). Each gives a
//! warning for the operator, never a refusal: the lists behind them are
//! incomplete by nature, and the Order decides (registries.md 1.5: "flag, as
//! warnings rather than hard errors").
//!
//! - the domain is a PEC provider's (a list the caller gives: the provider
//!   index's `managedDomains`, pec-rules.md 6.1, and configured provider
//!   domains);
//! - it is not an employer's institutional domain: a member employed by a
//!   public administration needs a personal PEC (`../shared/docs/lifecycle.md`,
//!   "What a member must do"; the social workers' Order: "La pec istituzionale
//!   dell’ente in cui lavori non è sostitutiva della casella pec personale");
//! - it is not a citizen's CEC-PAC, not valid for INI-PEC (the INI-PEC FAQ for
//!   Orders, registries.md 1.2), whose domain was `postacertificata.gov.it`
//!   (registries.md 1.5);
//! - it is not another member's address: the PEC must be personal (INI-PEC
//!   FAQ, registries.md 1.2: "the address must be personal");
//! - its mailbox name does not look like an office's (`info@`, `segreteria@`),
//!   the "non-personal" flag of registries.md 1.5 and 5.4 (`PEC_NOT_PERSONAL`).
//!
//! Addresses are compared trimmed and lowercased: PEC providers do not tell
//! mailboxes apart by case. A listed domain also covers its subdomains
//! (`pec.it` covers `studio.pec.it`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::TaxId;

/// The lists the checks compare against.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PecCheckConfig {
    /// Domains of PEC providers (this installation's, the provider index's,
    /// configured ones).
    pub provider_domains: BTreeSet<String>,
    /// Employers' institutional domains (a hospital's, a municipality's).
    pub institutional_domains: BTreeSet<String>,
    /// CEC-PAC domains. Default: `postacertificata.gov.it` (registries.md 1.5).
    pub cec_pac_domains: BTreeSet<String>,
    /// Mailbox names that belong to an office rather than a person.
    pub office_mailbox_names: BTreeSet<String>,
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

impl Default for PecCheckConfig {
    /// No provider or institutional domain (the installation supplies them),
    /// the CEC-PAC domain, and common office mailbox names.
    fn default() -> Self {
        PecCheckConfig {
            provider_domains: BTreeSet::new(),
            institutional_domains: BTreeSet::new(),
            cec_pac_domains: set(&["postacertificata.gov.it"]),
            office_mailbox_names: set(&[
                "info",
                "segreteria",
                "amministrazione",
                "protocollo",
                "ufficio",
                "direzione",
                "contabilita",
                "studio",
                "posta",
                "pec",
                "admin",
            ]),
        }
    }
}

/// Something to look at in a communicated address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "warning")]
pub enum PecWarning {
    /// Not `mailbox@domain.tld`; no other check was made.
    Malformed {
        reason: String,
    },
    NotAPecDomain {
        domain: String,
    },
    InstitutionalDomain {
        domain: String,
    },
    CecPac {
        domain: String,
    },
    /// Already communicated by another member.
    SharedWith {
        codice_fiscale: TaxId,
    },
    OfficeMailbox {
        name: String,
    },
}

impl fmt::Display for PecWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PecWarning::Malformed { reason } => write!(f, "not an e-mail address: {reason}"),
            PecWarning::NotAPecDomain { domain } => {
                write!(f, "{domain} is not a known PEC provider's domain")
            }
            PecWarning::InstitutionalDomain { domain } => write!(
                f,
                "{domain} is an employer's institutional domain: the member needs a personal PEC"
            ),
            PecWarning::CecPac { domain } => {
                write!(f, "{domain} is a CEC-PAC (PEC del cittadino), not valid for INI-PEC")
            }
            PecWarning::SharedWith { codice_fiscale } => {
                write!(f, "the address was communicated by another member ({codice_fiscale})")
            }
            PecWarning::OfficeMailbox { name } => {
                write!(f, "\"{name}\" looks like an office's mailbox, not a personal one")
            }
        }
    }
}

/// The form addresses are compared in: trimmed, lowercase.
pub fn normalise(address: &str) -> String {
    address.trim().to_lowercase()
}

/// Splits a normalised address into mailbox name and domain.
pub fn split(address: &str) -> Result<(&str, &str), PecWarning> {
    let malformed = |reason: &str| PecWarning::Malformed {
        reason: reason.to_owned(),
    };
    if address.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(malformed("it contains blanks or control characters"));
    }
    let (local, domain) = address.split_once('@').ok_or_else(|| malformed("no @"))?;
    if domain.contains('@') {
        return Err(malformed("more than one @"));
    }
    if local.is_empty() {
        return Err(malformed("nothing before the @"));
    }
    let labels_ok = domain.split('.').all(|l| !l.is_empty());
    if !domain.contains('.') || !labels_ok {
        return Err(malformed("the domain is not a full domain name"));
    }
    Ok((local, domain))
}

/// `domain` is one of `listed` or a subdomain of one.
fn within(domain: &str, listed: &BTreeSet<String>) -> bool {
    listed.iter().any(|d| {
        let d = d.trim().trim_start_matches('.').to_lowercase();
        domain == d || domain.strip_suffix(d.as_str()).is_some_and(|rest| rest.ends_with('.'))
    })
}

/// pec-rules.md 6.1: a PEC domain is one a provider of the index manages
/// (registries.md, open question 5: "useful to check that a member's address is
/// really a PEC domain").
pub fn check_provider_domain(domain: &str, config: &PecCheckConfig) -> Option<PecWarning> {
    (!within(domain, &config.provider_domains)).then(|| PecWarning::NotAPecDomain {
        domain: domain.to_owned(),
    })
}

/// The doctors' Order: "I PROFESSIONISTI, DIPENDENTI DELLA P.A., ... DEBBONO
/// DOTARSI DI UNA CASELLA DI PEC INDIPENDENTEMENTE DAL POSSESSO DI QUELLA
/// EVENTUALMENTE FORNITA DAL DATORE DI LAVORO".
pub fn check_institutional_domain(domain: &str, config: &PecCheckConfig) -> Option<PecWarning> {
    within(domain, &config.institutional_domains).then(|| PecWarning::InstitutionalDomain {
        domain: domain.to_owned(),
    })
}

/// registries.md 1.2 (INI-PEC FAQ): CEC-PAC ("PEC del cittadino") addresses
/// are not valid for INI-PEC.
pub fn check_cec_pac(domain: &str, config: &PecCheckConfig) -> Option<PecWarning> {
    within(domain, &config.cec_pac_domains).then(|| PecWarning::CecPac {
        domain: domain.to_owned(),
    })
}

/// registries.md 1.5: flag "PECs that look non-personal (company-style mailbox
/// names)".
pub fn check_office_mailbox(local: &str, config: &PecCheckConfig) -> Option<PecWarning> {
    config
        .office_mailbox_names
        .contains(local)
        .then(|| PecWarning::OfficeMailbox { name: local.to_owned() })
}

/// Every member's communicated addresses, by normalised address, to find the
/// ones communicated by more than one member.
#[derive(Clone, Debug, Default)]
pub struct AddressBook {
    owners: BTreeMap<String, BTreeSet<TaxId>>,
}

impl AddressBook {
    pub fn new<'a>(addresses: impl IntoIterator<Item = (&'a str, &'a TaxId)>) -> AddressBook {
        let mut book = AddressBook::default();
        for (address, owner) in addresses {
            book.owners.entry(normalise(address)).or_default().insert(owner.clone());
        }
        book
    }

    /// The other members (not `owner`) who communicated `address`.
    pub fn others<'a>(&'a self, address: &str, owner: &'a TaxId) -> impl Iterator<Item = &'a TaxId> {
        self.owners
            .get(&normalise(address))
            .into_iter()
            .flatten()
            .filter(move |o| *o != owner)
    }
}

/// registries.md 1.2 (INI-PEC FAQ): the address must be personal, and one
/// that two members communicated is personal to neither.
pub fn check_not_shared(address: &str, owner: &TaxId, book: &AddressBook) -> Vec<PecWarning> {
    book.others(address, owner)
        .map(|o| PecWarning::SharedWith {
            codice_fiscale: o.clone(),
        })
        .collect()
}

/// Every check on the address `owner` communicated, in the order of the
/// module's list; a malformed address gives that warning alone.
pub fn check_address(address: &str, owner: &TaxId, config: &PecCheckConfig, book: &AddressBook) -> Vec<PecWarning> {
    let address = normalise(address);
    let (local, domain) = match split(&address) {
        Ok(parts) => parts,
        Err(warning) => return vec![warning],
    };
    let mut warnings: Vec<PecWarning> = [
        check_provider_domain(domain, config),
        check_institutional_domain(domain, config),
        check_cec_pac(domain, config),
    ]
    .into_iter()
    .flatten()
    .collect();
    warnings.extend(check_not_shared(&address, owner, book));
    warnings.extend(check_office_mailbox(local, config));
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> PecCheckConfig {
        PecCheckConfig {
            provider_domains: set(&["pec.it", "legalmail.it", "nord.pec.test"]),
            institutional_domains: set(&["pec.aslfirenze.it"]),
            ..PecCheckConfig::default()
        }
    }

    fn cf(code: &str) -> TaxId {
        TaxId::parse(code).unwrap()
    }

    #[test]
    fn a_personal_address_at_a_provider_has_no_warning() {
        let me = cf("RSSMRA80A01H501U");
        let book = AddressBook::new([("Mario.Rossi@pec.it", &me)]);
        assert_eq!(check_address(" Mario.Rossi@PEC.it ", &me, &config(), &book), vec![]);
        // A subdomain of a provider's domain is the provider's.
        assert_eq!(check_address("m.rossi@studio.pec.it", &me, &config(), &book), vec![]);
    }

    #[test]
    fn an_ordinary_mail_domain_is_not_a_pec_domain() {
        let me = cf("RSSMRA80A01H501U");
        assert_eq!(
            check_address("mario@gmail.com", &me, &config(), &AddressBook::default()),
            vec![PecWarning::NotAPecDomain {
                domain: "gmail.com".into()
            }]
        );
        // "notpec.it" is not a subdomain of "pec.it".
        assert_eq!(
            check_address("mario@notpec.it", &me, &config(), &AddressBook::default()).len(),
            1
        );
    }

    #[test]
    fn institutional_cec_pac_and_office_addresses_are_flagged() {
        let me = cf("RSSMRA80A01H501U");
        let book = AddressBook::default();
        let warnings = check_address("mario.rossi@pec.aslfirenze.it", &me, &config(), &book);
        assert!(warnings.contains(&PecWarning::InstitutionalDomain {
            domain: "pec.aslfirenze.it".into()
        }));
        let warnings = check_address("mario.rossi@postacertificata.gov.it", &me, &config(), &book);
        assert!(warnings.contains(&PecWarning::CecPac {
            domain: "postacertificata.gov.it".into()
        }));
        assert_eq!(
            check_address("info@pec.it", &me, &config(), &book),
            vec![PecWarning::OfficeMailbox { name: "info".into() }]
        );
    }

    #[test]
    fn another_members_address_is_flagged_with_who() {
        let me = cf("RSSMRA80A01H501U");
        let other = cf("BLTMHL77S04E889G");
        let book = AddressBook::new([("studio.associato@pec.it", &other), ("mario@pec.it", &me)]);
        assert_eq!(
            check_address("Studio.Associato@pec.it", &me, &config(), &book),
            vec![PecWarning::SharedWith { codice_fiscale: other }]
        );
    }

    #[test]
    fn malformed_addresses_say_why() {
        let me = cf("RSSMRA80A01H501U");
        let book = AddressBook::default();
        for bad in [
            "mario",
            "mario@",
            "@pec.it",
            "a@b@pec.it",
            "mario@pec",
            "mario @pec.it",
            "mario@pec..it",
        ] {
            let warnings = check_address(bad, &me, &config(), &book);
            assert!(
                matches!(warnings.as_slice(), [PecWarning::Malformed { .. }]),
                "{bad}: {warnings:?}"
            );
        }
    }
}
