//! ReGIndE's answer to a communication (`Esiti.xml`, registries.md 2.5): the
//! whole file's outcome when it was refused, each subject's otherwise, recorded
//! for the Order.

use registry::reginde::esiti::{self, FileCode, Severity, SubjectCode};
use serde::Serialize;
use store::registry::{self as reg, StoredEsito};

use super::stored;
use crate::{Error, Office, Result};

/// What an answer said, as recorded.
#[derive(Debug, Clone, Serialize)]
pub struct EsitiReport {
    pub order: String,
    /// The whole file refused (F001 the signer, F002 the sender, ...), when it was.
    pub file_refused: Option<StoredEsito>,
    /// Each subject's outcome, in the answer's order.
    pub subjects: Vec<StoredEsito>,
    /// ReGIndE's view differs from the Order's (a subject present under another
    /// body, one to update or delete missing, ...): send the whole roll.
    pub diverged: bool,
}

/// Records the outcomes of `answer` (the bytes of an `Esiti.xml`) for the Order.
pub async fn record(office: &Office, order: &str, answer: &[u8]) -> Result<EsitiReport> {
    let answer = esiti::parse_esiti(answer).map_err(|e| Error::invalid("file", e.to_string()))?;
    let now = office.now_ms();
    let mut tx = office.store().begin().await?;
    let order = stored::order(&mut tx, order).await?;
    let file_refused = match &answer.file_outcome {
        Some(f) => {
            let e = StoredEsito {
                order_code: order.code.clone(),
                message_id: answer.message_id.clone(),
                codice_fiscale: None,
                code: file_code(&f.code),
                severity: "error".into(),
                description: f.description.clone(),
                recorded_at: now,
            };
            reg::record_esito(&mut tx, &e).await?;
            Some(e)
        }
        None => None,
    };
    let mut subjects = Vec::with_capacity(answer.subjects.len());
    let mut diverged = false;
    for s in &answer.subjects {
        diverged |= s.outcome.code.diverged();
        let e = StoredEsito {
            order_code: order.code.clone(),
            message_id: answer.message_id.clone(),
            codice_fiscale: s.codice_fiscale.clone(),
            code: subject_code(&s.outcome.code),
            severity: severity(s.outcome.code.severity()).into(),
            description: s.outcome.description.clone(),
            recorded_at: now,
        };
        reg::record_esito(&mut tx, &e).await?;
        subjects.push(e);
    }
    tx.commit().await?;
    Ok(EsitiReport {
        order: order.code,
        file_refused,
        subjects,
        diverged,
    })
}

/// The outcomes recorded for the Order, oldest first.
pub async fn recorded(office: &Office, order: &str) -> Result<Vec<StoredEsito>> {
    let mut c = office.store().conn().await?;
    let order = stored::order(&mut c, order).await?;
    Ok(reg::esiti(&mut c, &order.code).await?)
}

/// The codes of ReGIndE's technical specification (registries.md 2.5).
fn subject_code(c: &SubjectCode) -> String {
    use SubjectCode::*;
    match c {
        Done => "S000".into(),
        PresentUnderAnotherBody => "W001".into(),
        InvalidPec => "E001".into(),
        InvalidPersonalData => "E002".into(),
        AlreadyPresent => "E003".into(),
        DeleteNotPresent => "E004".into(),
        UpdateNotPresent => "E005".into(),
        Generic => "E999".into(),
        Other(c) => c.clone(),
    }
}

fn file_code(c: &FileCode) -> String {
    use FileCode::*;
    match c {
        SignerNotAuthorised => "F001".into(),
        SenderPecNotAuthorised => "F002".into(),
        NotValidAgainstSchema => "F003".into(),
        WholeRollNotAllowed => "F004".into(),
        MessageFormat => "F005".into(),
        Generic => "F999".into(),
        Other(c) => c.clone(),
    }
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Success => "success",
        Severity::Warning => "warning",
        Severity::Error => "error",
    }
}
