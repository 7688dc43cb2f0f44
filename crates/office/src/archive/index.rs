//! The index of sent messages for the holder (`INDICE.txt`, `indice-invii.csv`):
//! each PEC this mailbox sent, its recipients and where they stand, and the
//! receipts the archive holds for it. The receipts (DM 2/11/2005 art. 6 c. 6) are
//! the holder's proof of sending and delivery, so the index points at each one's file.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::Result;
use chrono_tz::Europe::Rome;
use pec::Kind;
use store::Conn;
use store::pec::{Recipient, RecipientState};

use super::manifest::MessageEntry;

/// The `pec_kind`s of receipts and notices about a sent message (pec-rules.md 3.2),
/// in the order they are issued; the two envelopes carry someone else's message.
const RECEIPT_KINDS: [Kind; 7] = [
    Kind::Accettazione,
    Kind::NonAccettazione,
    Kind::PresaInCarico,
    Kind::AvvenutaConsegna,
    Kind::ErroreConsegna,
    Kind::PreavvisoErroreConsegna,
    Kind::RilevazioneVirus,
];

/// One sent message: from the provider's records when it was accepted, or only
/// from its receipts (a non-accepted message is not recorded).
#[derive(Debug, Clone)]
pub struct SentMessage {
    pub identificativo: String,
    pub msgid: Option<String>,
    pub subject: Option<String>,
    pub accepted_at: Option<i64>,
    pub recipients: Vec<Recipient>,
    pub receipts: Vec<Receipt>,
}

#[derive(Debug, Clone)]
pub struct Receipt {
    pub kind: String,
    /// When it reached the mailbox (its internal date), ms.
    pub at: i64,
    /// Relative to the archive's top directory, where the index is.
    pub path: String,
}

/// The messages `address` sent, with the receipts among `messages` (whose paths
/// start with `top/`).
pub async fn sent(c: &mut Conn, address: &str, messages: &[MessageEntry], top: &str) -> Result<Vec<SentMessage>> {
    let mut receipts: BTreeMap<&str, Vec<Receipt>> = BTreeMap::new();
    for m in messages {
        let (Some(kind), Some(id)) = (m.pec_kind.as_deref(), m.identificativo.as_deref()) else {
            continue;
        };
        if RECEIPT_KINDS.iter().any(|k| k.as_str() == kind) {
            receipts.entry(id).or_default().push(Receipt {
                kind: kind.to_string(),
                at: m.internal_date,
                path: m.path.strip_prefix(&format!("{top}/")).unwrap_or(&m.path).to_string(),
            });
        }
    }
    let ids = store::pec::sent_by(c, address).await?;
    let mut sent = Vec::new();
    for id in ids {
        let Some(p) = store::pec::by_identificativo(c, &id).await? else {
            continue;
        };
        sent.push(SentMessage {
            recipients: store::pec::recipients(c, p.id).await?,
            receipts: receipts.remove(id.as_str()).unwrap_or_default(),
            identificativo: p.identificativo,
            msgid: p.msgid,
            subject: Some(p.subject),
            accepted_at: Some(p.accepted_at),
        });
    }
    for (id, list) in receipts {
        sent.push(SentMessage {
            identificativo: id.to_string(),
            msgid: None,
            subject: None,
            accepted_at: None,
            recipients: Vec::new(),
            receipts: list,
        });
    }
    // Receipts of the same millisecond in the order the rules issue them.
    let order = |kind: &str| RECEIPT_KINDS.iter().position(|k| k.as_str() == kind);
    for s in &mut sent {
        s.receipts.sort_by_key(|r| (r.at, order(&r.kind)));
    }
    sent.sort_by_key(|s| s.accepted_at.or(s.receipts.first().map(|r| r.at)));
    Ok(sent)
}

/// Europe/Rome local time, as Italian users read it.
pub fn rome(ms: i64) -> String {
    store::instant(ms)
        .with_timezone(&Rome)
        .format("%d/%m/%Y %H:%M:%S")
        .to_string()
}

fn state(s: RecipientState) -> &'static str {
    match s {
        RecipientState::Pending => "in attesa",
        RecipientState::Relayed => "inoltrato al gestore",
        RecipientState::TakenOver => "preso in carico",
        RecipientState::Delivered => "consegnato",
        RecipientState::Failed => "mancata consegna",
    }
}

fn recipient(r: &Recipient) -> String {
    let mut s = format!(
        "{} ({}): {}",
        r.address,
        if r.certified { "certificato" } else { "ordinario" },
        state(r.state)
    );
    if let Some(d) = &r.detail {
        let _ = write!(s, " ({d})");
    }
    s
}

const NOT_RECORDED: &str = "(non registrato dal gestore: vedere le ricevute)";

/// `INDICE.txt`.
pub fn text(address: &str, exported_at: i64, sent: &[SentMessage]) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "Indice dei messaggi PEC inviati da {address}");
    let _ = writeln!(t, "Esportazione del {} (ora italiana)", rome(exported_at));
    let _ = writeln!(t);
    let _ = writeln!(
        t,
        "Le ricevute sono file di questo archivio (percorsi relativi a questa cartella): \
         conservatele, sono la prova dell'invio e della consegna. Si aprono con un \
         programma di posta; `certa inspect FILE` ne verifica la firma."
    );
    if sent.is_empty() {
        let _ = writeln!(t, "\nNessun messaggio PEC inviato da questa casella.");
    }
    for (n, s) in sent.iter().enumerate() {
        let _ = writeln!(t, "\n{}. {}", n + 1, s.subject.as_deref().unwrap_or(NOT_RECORDED));
        let _ = writeln!(t, "   Identificativo  {}", s.identificativo);
        if let Some(m) = &s.msgid {
            let _ = writeln!(t, "   Message-ID      {m}");
        }
        if let Some(at) = s.accepted_at {
            let _ = writeln!(t, "   Accettato il    {}", rome(at));
        }
        for (i, r) in s.recipients.iter().enumerate() {
            let label = if i == 0 { "Destinatari" } else { "" };
            let _ = writeln!(t, "   {label:<15} {}", recipient(r));
        }
        if s.receipts.is_empty() {
            let _ = writeln!(t, "   Ricevute        nessuna nella casella");
        }
        for (i, r) in s.receipts.iter().enumerate() {
            let label = if i == 0 { "Ricevute" } else { "" };
            let _ = writeln!(t, "   {label:<15} {}  {:<26} {}", rome(r.at), r.kind, r.path);
        }
    }
    t
}

/// `indice-invii.csv`: one row per sent message, `;`-separated as Italian
/// spreadsheets expect, fields quoted as RFC 4180 says; lists within a field are
/// separated by ` | `, each receipt written `kind (time): path`.
pub fn csv(sent: &[SentMessage]) -> String {
    let mut out = String::from("identificativo;msgid;oggetto;accettato_il;destinatari;ricevute\r\n");
    for s in sent {
        let recipients: Vec<String> = s.recipients.iter().map(recipient).collect();
        let receipts: Vec<String> = s
            .receipts
            .iter()
            .map(|r| format!("{} ({}): {}", r.kind, rome(r.at), r.path))
            .collect();
        let fields = [
            s.identificativo.clone(),
            s.msgid.clone().unwrap_or_default(),
            s.subject.clone().unwrap_or_default(),
            s.accepted_at.map(rome).unwrap_or_default(),
            recipients.join(" | "),
            receipts.join(" | "),
        ];
        let row: Vec<String> = fields.iter().map(|f| quote(f)).collect();
        out.push_str(&row.join(";"));
        out.push_str("\r\n");
    }
    out
}

fn quote(field: &str) -> String {
    if field.contains([';', '"', '\r', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}
