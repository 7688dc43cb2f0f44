//! `certa lifecycle simulate`: every notice, suspension and closure that would
//! happen in a date range, without changing anything.
//!
//! Each subscription is copied and the daily machine is replayed on the copy,
//! evaluating [`due_actions`] once a day from `from` to `to` (and at `to`
//! itself) and [`perform`]ing what it returns, so later actions follow earlier
//! ones (a suspension, then the closure 20 days later, then the deletion). No
//! payment or cancellation happens in a simulation. Each event carries the
//! instant it is due, or `from` if it was already overdue then, which is when
//! a runner started at `from` would perform it.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use crate::convention::Convention;
use crate::policy::{Action, Done, PolicyError, due_actions, perform};
use crate::subscription::Subscription;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimulatedEvent {
    pub at: DateTime<Utc>,
    pub mailbox: String,
    pub action: Action,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimulateError {
    #[error("subscription of {mailbox}: unknown convention {code}")]
    UnknownConvention { mailbox: String, code: String },
    #[error(transparent)]
    Policy(#[from] PolicyError),
}

/// The events between `from` and `to` (both included), sorted by time then
/// mailbox. `done` gives what was already done per mailbox, if known.
pub fn simulate(
    subs: &[Subscription],
    conventions: &[Convention],
    done: &HashMap<String, Done>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<SimulatedEvent>, SimulateError> {
    let mut events = Vec::new();
    for original in subs {
        let conv = conventions
            .iter()
            .find(|c| c.code == original.convention)
            .ok_or_else(|| SimulateError::UnknownConvention {
                mailbox: original.mailbox.clone(),
                code: original.convention.clone(),
            })?;
        let mut sub = original.clone();
        let mut sub_done = done.get(&sub.mailbox).cloned().unwrap_or_default();
        let mut now = from;
        while now <= to {
            // A step may unlock another (a tacit renewal, then its notices).
            loop {
                let actions = due_actions(&sub, conv, &sub_done, now)?;
                if actions.is_empty() {
                    break;
                }
                for action in &actions {
                    perform(&mut sub, &mut sub_done, action);
                    events.push(SimulatedEvent {
                        at: action.at().max(from),
                        mailbox: sub.mailbox.clone(),
                        action: *action,
                    });
                }
            }
            if now == to {
                break;
            }
            now = (now + Duration::days(1)).min(to);
        }
    }
    events.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.mailbox.cmp(&b.mailbox)));
    Ok(events)
}
