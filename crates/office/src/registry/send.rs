//! A PEC from an Order's mailbox on this installation, through the engine's
//! access point like any other: the diffide of a campaign, the ReGIndE file.

use engine::access::Submission;
use store::registry::StoredOrder;

use crate::{Error, Office, Result};

/// Why the Order's PEC cannot send through this installation (not one of its
/// mailboxes, or not active), or None when it can.
pub(crate) async fn why_mailbox_cannot_send(c: &mut store::Conn, order: &StoredOrder) -> Result<Option<String>> {
    Ok(match store::mailboxes::get(c, &order.pec).await? {
        None => Some(format!(
            "the Order's PEC {} is not a mailbox of this installation",
            order.pec
        )),
        Some(m) if m.status != store::mailboxes::Status::Active => Some(format!(
            "the Order's mailbox {} is {}: it cannot send",
            order.pec,
            m.status.as_str()
        )),
        Some(_) => None,
    })
}

/// The domain of the Order's PEC, for the Message-IDs of what it sends.
pub(crate) fn mail_domain(order: &StoredOrder) -> String {
    order
        .pec
        .rsplit_once('@')
        .map_or("localhost", |(_, d)| d)
        .to_ascii_lowercase()
}

/// A message from the Order's mailbox to `to`, submitted through the engine
/// once: `id` (its Message-ID, without brackets) is made of what the message is
/// about, so a message accepted before an interruption is found and its
/// identificativo returned instead of sending it again. `message` writes the
/// message with that Message-ID. The identificativo, or the refusal's text.
pub(crate) async fn send_once(
    office: &Office,
    order: &StoredOrder,
    to: &str,
    id: &str,
    message: impl FnOnce(mail_builder::MessageBuilder<'_>) -> Result<Vec<u8>>,
) -> Result<Result<String, String>> {
    let from = order.pec.to_ascii_lowercase();
    {
        let mut c = office.store().conn().await?;
        if let Some(m) = store::pec::sent_with_msgid(&mut c, &from, &format!("<{id}>")).await? {
            return Ok(Ok(m.identificativo));
        }
    }
    let raw = message(
        mail_builder::MessageBuilder::new()
            .from((order.name.as_str(), from.as_str()))
            .to(to)
            .date(office.now().timestamp())
            .message_id(id),
    )?;
    let submission = office.engine().submit(&from, &from, &[to.to_owned()], &raw).await?;
    Ok(accepted(submission))
}

/// The access point's verdict: the identificativo, or why it refused.
fn accepted(submission: Submission) -> Result<String, String> {
    match submission {
        Submission::Accepted { identificativo } => Ok(identificativo),
        Submission::Refused(refusal) => Err(refusal.to_string()),
    }
}

/// A message that mail-builder could not write (into memory: not expected).
pub(crate) fn unwritable(what: &str, e: std::io::Error) -> Error {
    Error::corrupt(format!("cannot write {what}: {e}"))
}
