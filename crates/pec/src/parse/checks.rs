//! Conformance checks of a classified message: headers against daticert, parts
//! present for the kind (pec-rules.md 3.1-3.9, 4.2). Each failure is a finding.

use super::{Kind, PecMessage};
use crate::daticert::ReceiptKind;
use crate::ident::{Identificativo, MsgId};
use crate::original::is_address;

pub(super) fn missing_daticert(kind: Kind) -> Option<String> {
    (kind != Kind::BustaAnomalia).then(|| "daticert.xml is missing".to_string())
}

pub(super) fn consistency(m: &mut PecMessage) {
    let mut f = Vec::new();
    let kind = m.kind;
    let h = &m.headers;
    let subject = h.subject.as_deref().unwrap_or_default();
    // An empty original subject leaves `PREFIX:`, its trailing space trimmed.
    if !subject_prefixes(kind)
        .iter()
        .any(|p| subject.starts_with(p) || subject == p.trim_end())
    {
        f.push(format!(
            "subject lacks the prefix of {kind} ({})",
            subject_prefixes(kind).join(" or ").trim_end_matches(": ")
        ));
    }
    if matches!(kind, Kind::BustaTrasporto | Kind::BustaAnomalia) {
        if !h.from.as_deref().unwrap_or_default().contains("Per conto di:") {
            f.push("an envelope's From must read \"Per conto di: <sender>\"".to_string());
        }
        if h.reply_to.is_none() {
            f.push("an envelope needs Reply-To (the original sender)".to_string());
        }
    }
    if kind != Kind::BustaAnomalia && h.x_riferimento_message_id.is_none() {
        f.push("X-Riferimento-Message-ID is missing".to_string());
    }
    let postacert = m.postacert.is_some();
    if kind.carries_original() && !postacert {
        f.push(format!("a {kind} must carry the original as postacert.eml"));
    }
    if let Some(d) = &m.daticert {
        if kind == Kind::BustaAnomalia {
            f.push("an anomaly envelope carries no certification data, but daticert.xml is present".to_string());
        }
        if let Some(want) = kind.tipo()
            && d.tipo != want
        {
            f.push(format!(
                "daticert tipo {:?} disagrees with the headers ({})",
                d.tipo.as_str(),
                want.as_str()
            ));
        }
        for (what, value) in
            std::iter::once(("mittente", &d.mittente)).chain(d.destinatari.iter().map(|x| ("destinatari", &x.address)))
        {
            if !is_address(value) {
                f.push(format!("<{what}> is not an e-mail address: {value:?} (kept as text)"));
            }
        }
        if let (Some(msgid), Some(reference)) = (&d.msgid, &h.x_riferimento_message_id)
            && MsgId::parse(msgid) != MsgId::parse(reference)
        {
            f.push(format!(
                "daticert msgid {msgid} differs from X-Riferimento-Message-ID {reference}"
            ));
        }
        if kind == Kind::BustaTrasporto
            && let Some(mid) = &h.message_id
            && Identificativo::parse(mid) != Identificativo::parse(&d.identificativo)
        {
            f.push(format!(
                "envelope Message-ID {mid} differs from daticert identificativo {}",
                d.identificativo
            ));
        }
        if matches!(kind, Kind::BustaTrasporto | Kind::AvvenutaConsegna) && d.ricevuta.is_none() {
            f.push(format!("daticert of {} needs <ricevuta tipo=...>", d.tipo));
        }
        if matches!(kind, Kind::AvvenutaConsegna | Kind::ErroreConsegna)
            && d.consegna.as_deref().unwrap_or_default().is_empty()
        {
            f.push(format!("daticert of {} needs <consegna> naming the recipient", d.tipo));
        }
        if kind == Kind::AvvenutaConsegna {
            match d.ricevuta {
                Some(ReceiptKind::Completa | ReceiptKind::Breve) if !postacert => {
                    f.push(format!(
                        "a {} delivery receipt must carry postacert.eml",
                        d.ricevuta.as_ref().map(|r| r.as_str()).unwrap_or_default()
                    ));
                }
                Some(ReceiptKind::Sintetica) if postacert => {
                    f.push("a sintetica delivery receipt must not carry the original".to_string());
                }
                _ => {}
            }
        }
        if let Some(subject) = &h.subject
            && let Some(oggetto) = &d.oggetto
            && let Some(rest) = subject_prefixes(kind).iter().find_map(|p| subject.strip_prefix(p))
            && rest.trim() != oggetto.trim()
        {
            f.push(format!(
                "daticert oggetto {:?} differs from the subject after its prefix {:?}",
                oggetto.trim(),
                rest.trim()
            ));
        }
    }
    m.findings.append(&mut f);
}

/// The subject prefixes of each kind (pec-rules.md 3.2).
pub fn subject_prefixes(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::BustaTrasporto => &["POSTA CERTIFICATA: "],
        Kind::BustaAnomalia => &["ANOMALIA MESSAGGIO: "],
        Kind::Accettazione => &["ACCETTAZIONE: "],
        Kind::NonAccettazione => &["AVVISO DI NON ACCETTAZIONE: ", "AVVISO DI NON ACCETTAZIONE PER VIRUS: "],
        Kind::PresaInCarico => &["PRESA IN CARICO: "],
        Kind::AvvenutaConsegna => &["CONSEGNA: "],
        Kind::ErroreConsegna => &[
            "AVVISO DI MANCATA CONSEGNA: ",
            "AVVISO DI MANCATA CONSEGNA PER VIRUS: ",
            "AVVISO DI MANCATA CONSEGNA PER SUP. TEMPO MASSIMO: ",
        ],
        Kind::PreavvisoErroreConsegna => &["AVVISO DI MANCATA CONSEGNA PER SUP. TEMPO MASSIMO: "],
        Kind::RilevazioneVirus => &["PROBLEMA DI SICUREZZA: "],
    }
}
