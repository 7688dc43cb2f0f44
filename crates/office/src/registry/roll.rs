//! An Order's roll as the registry crate reads it, loaded from the store:
//! members, official addresses, compliance steps.

use std::collections::HashMap;

use registry::Member;
use registry::compliance::OfficialPec;
use store::registry::{self as reg, MemberFilter, StoredMember, StoredOrder, StoredStep};

use super::stored;
use crate::Result;

pub(crate) struct Roll {
    pub order: StoredOrder,
    pub members: Vec<(StoredMember, Member)>,
    pub official: HashMap<i64, OfficialPec>,
    pub steps: HashMap<i64, Vec<StoredStep>>,
}

impl Roll {
    pub async fn load(c: &mut store::Conn, order: &str) -> Result<Roll> {
        let order = stored::order(c, order).await?;
        let mut members = Vec::new();
        for m in reg::members(c, &order.code, MemberFilter::default()).await? {
            let member = stored::decode(&m)?;
            members.push((m, member));
        }
        let mut official = HashMap::new();
        for p in reg::official_pecs(c, &order.code).await? {
            official.insert(p.member_id, stored::official(&p)?);
        }
        let mut steps: HashMap<i64, Vec<StoredStep>> = HashMap::new();
        for s in reg::order_steps(c, &order.code).await? {
            steps.entry(s.member_id).or_default().push(s);
        }
        Ok(Roll {
            order,
            members,
            official,
            steps,
        })
    }

    /// Each member with its official address, valid or not.
    pub fn with_pec(&self) -> impl Iterator<Item = (&StoredMember, &Member, Option<&OfficialPec>)> {
        self.members.iter().map(|(s, m)| (s, m, self.official.get(&s.id)))
    }

    /// Each member with its official address when it is valid: what the
    /// national registers list.
    pub fn with_valid_pec(&self) -> impl Iterator<Item = (&Member, Option<&str>)> {
        self.with_pec()
            .map(|(_, m, pec)| (m, pec.filter(|p| p.valid).map(|p| p.address.as_str())))
    }

    /// A member's steps, in the order they happened.
    pub fn steps_of(&self, member_id: i64) -> &[StoredStep] {
        self.steps.get(&member_id).map_or(&[][..], Vec::as_slice)
    }
}
