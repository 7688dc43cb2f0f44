//! The checks of an address a member communicated (`registry::pec_checks`:
//! a PEC provider's domain, not an employer's institutional domain, not a
//! CEC-PAC, not an office's mailbox name, not another member's), plus what only
//! this installation knows: an address on one of its domains must be one of its
//! mailboxes, and not a closed one. Warnings, never refusals: what makes an
//! address not count is recorded as its flag.

use std::collections::BTreeSet;

use registry::TaxId;
use registry::pec_checks::{self, AddressBook, PecCheckConfig, PecWarning};

use super::stored;
use crate::{Office, Result};

/// What the checks compare against besides this installation's domains and the
/// provider index's.
#[derive(Debug, Clone, Default)]
pub struct CheckLists {
    /// Other PEC providers' domains.
    pub provider_domains: Vec<String>,
    /// Employers' institutional domains, whose PEC does not count.
    pub institutional_domains: Vec<String>,
}

pub(crate) struct Checker {
    config: PecCheckConfig,
    book: AddressBook,
    local_domains: BTreeSet<String>,
}

/// An address's warnings as reported, as stored (JSON), and the flag that makes it not valid.
pub(crate) struct Checked {
    /// What `registry::pec_checks` found, as found.
    pub found: Vec<PecWarning>,
    pub warnings: Vec<String>,
    pub json: String,
    pub flag: Option<String>,
}

impl Checker {
    /// `book`: (address, owner) of every official address the new one may clash with.
    pub async fn new(
        office: &Office,
        c: &mut store::Conn,
        lists: &CheckLists,
        book: &[(String, TaxId)],
    ) -> Result<Checker> {
        let lower = |d: &String| d.trim().to_lowercase();
        let local_domains: BTreeSet<String> = store::mailboxes::domains(c).await?.iter().map(lower).collect();
        let mut provider_domains = local_domains.clone();
        let index = office.engine().index();
        provider_domains.extend(index.providers.iter().flat_map(|p| p.domains.iter().map(lower)));
        provider_domains.extend(lists.provider_domains.iter().map(lower));
        let config = PecCheckConfig {
            provider_domains,
            institutional_domains: lists.institutional_domains.iter().map(lower).collect(),
            ..PecCheckConfig::default()
        };
        Ok(Checker {
            config,
            book: AddressBook::new(book.iter().map(|(a, o)| (a.as_str(), o))),
            local_domains,
        })
    }

    pub async fn check(&self, c: &mut store::Conn, address: &str, owner: &TaxId) -> Result<Checked> {
        let found = pec_checks::check_address(address, owner, &self.config, &self.book);
        let mut warnings: Vec<String> = found.iter().map(ToString::to_string).collect();
        // What makes an address not count at all, beyond a warning: not an address,
        // an employer's institutional PEC, a citizen's CEC-PAC (registries.md 1.5).
        let refused = found.iter().find(|w| {
            matches!(
                w,
                PecWarning::Malformed { .. } | PecWarning::InstitutionalDomain { .. } | PecWarning::CecPac { .. }
            )
        });
        let flag = match refused {
            Some(w) => Some(format!("refused: {w}")),
            None => {
                let not_here = self.not_open_here(c, address).await?;
                if let Some(why) = &not_here {
                    warnings.push(format!("{why}: not valid"));
                }
                not_here
            }
        };
        Ok(Checked {
            json: stored::json(&found)?,
            found,
            warnings,
            flag,
        })
    }

    /// Why an address on one of this installation's domains cannot receive here
    /// (no such mailbox, or a closed one); None for other domains.
    async fn not_open_here(&self, c: &mut store::Conn, address: &str) -> Result<Option<String>> {
        let Some((_, domain)) = address.rsplit_once('@') else {
            return Ok(None);
        };
        if !self.local_domains.contains(domain) {
            return Ok(None);
        }
        Ok(match store::mailboxes::get(c, address).await? {
            None => Some(format!("there is no mailbox {address} on this provider")),
            Some(m) if m.status == store::mailboxes::Status::Closed => {
                Some(format!("mailbox {address} of this provider is closed"))
            }
            Some(_) => None,
        })
    }
}
