//! The maildrop as one session sees it (RFC 1939 5): the messages present at login,
//! numbered from 1 in that order for the whole session, each possibly marked deleted.

/// A message of the maildrop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Whatever the caller uses to find it again (the store's message id).
    pub id: i64,
    /// The UIDL unique-id (RFC 1939 7): 1 to 70 characters 0x21-0x7E, stable across
    /// sessions.
    pub unique_id: String,
    /// Octets of the message with CRLF line ends, before byte-stuffing.
    pub size: u64,
}

/// The snapshot taken at login, with the deletion marks of DELE.
#[derive(Debug, Clone, Default)]
pub struct Maildrop {
    messages: Vec<Message>,
    deleted: Vec<bool>,
}

/// Why a message number cannot be used; the `Display` text follows `-ERR`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    #[error("no such message, only {0} in maildrop")]
    NoSuchMessage(usize),
    // RFC 1939 5: "may not refer to a message marked as deleted".
    #[error("message {0} already deleted")]
    Deleted(u32),
}

impl Maildrop {
    pub fn new(messages: Vec<Message>) -> Maildrop {
        let deleted = vec![false; messages.len()];
        Maildrop { messages, deleted }
    }

    /// Message `number` (1-based), unless it is out of range or marked deleted.
    pub fn get(&self, number: u32) -> Result<&Message, NumberError> {
        let index = self.index(number)?;
        if self.deleted[index] {
            return Err(NumberError::Deleted(number));
        }
        Ok(&self.messages[index])
    }

    fn index(&self, number: u32) -> Result<usize, NumberError> {
        let index = (number as usize).wrapping_sub(1);
        if index < self.messages.len() {
            Ok(index)
        } else {
            Err(NumberError::NoSuchMessage(self.messages.len()))
        }
    }

    /// The messages not marked deleted, with their numbers.
    pub fn present(&self) -> impl Iterator<Item = (u32, &Message)> {
        self.messages
            .iter()
            .zip(&self.deleted)
            .enumerate()
            .filter(|(_, (_, deleted))| !**deleted)
            .map(|(i, (m, _))| (i as u32 + 1, m))
    }

    /// STAT (RFC 1939 5): how many messages are not marked deleted, and their octets.
    pub fn stat(&self) -> (usize, u64) {
        self.present().fold((0, 0), |(n, size), (_, m)| (n + 1, size + m.size))
    }

    /// DELE: marks message `number`.
    pub fn delete(&mut self, number: u32) -> Result<(), NumberError> {
        self.get(number)?;
        let index = self.index(number)?;
        self.deleted[index] = true;
        Ok(())
    }

    /// RSET: unmarks every message.
    pub fn reset(&mut self) {
        self.deleted.fill(false);
    }

    /// The ids of the messages marked deleted, for the UPDATE state.
    pub fn deleted_ids(&self) -> Vec<i64> {
        self.messages
            .iter()
            .zip(&self.deleted)
            .filter(|(_, deleted)| **deleted)
            .map(|(m, _)| m.id)
            .collect()
    }

    pub fn len(&self) -> usize {
        self.messages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn maildrop() -> Maildrop {
        Maildrop::new(
            (1..=3)
                .map(|i| Message {
                    id: i * 10,
                    unique_id: format!("7.{i}"),
                    size: 100 * i as u64,
                })
                .collect(),
        )
    }

    #[test]
    fn numbers_start_at_one_and_stay_after_deletion() {
        let mut m = maildrop();
        assert_eq!(m.get(0), Err(NumberError::NoSuchMessage(3)));
        assert_eq!(m.get(4), Err(NumberError::NoSuchMessage(3)));
        assert_eq!(m.get(u32::MAX), Err(NumberError::NoSuchMessage(3)));
        assert_eq!(m.stat(), (3, 600));
        m.delete(2).unwrap();
        assert_eq!(m.get(2), Err(NumberError::Deleted(2)));
        assert_eq!(m.delete(2), Err(NumberError::Deleted(2)));
        assert_eq!(m.get(3).unwrap().id, 30);
        assert_eq!(m.stat(), (2, 400));
        assert_eq!(m.present().map(|(n, _)| n).collect::<Vec<_>>(), [1, 3]);
        assert_eq!(m.deleted_ids(), [20]);
        m.reset();
        assert_eq!(m.stat(), (3, 600));
        assert!(m.deleted_ids().is_empty());
    }
}
