//! The bundle's readable files: the report of the signature checks
//! (`verifica-firme.txt`, `certa inspect`'s summary of each object) and the
//! printable summary (`riepilogo.html`: one page, its own styles, no script, no
//! remote content) for a lawyer to file. Italian, the language of the court.

use std::fmt::Write as _;

use pec::verdict::Outcome;
use store::pec::RecipientState;

use super::{Item, ProofReport};

/// `verifica-firme.txt`.
pub fn signatures_text(r: &ProofReport) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "Verifica delle firme / Signature checks");
    let _ = writeln!(t, "Identificativo: {}", r.identificativo);
    let _ = writeln!(t, "Prodotto da {} il {}", r.built_by, r.built_at);
    let _ = writeln!(
        t,
        "Fiducia: i certificati dei gestori dell'indice di questa installazione.\n\
         Trust: the signer certificates of the providers in this installation's index."
    );
    for item in &r.items {
        let _ = writeln!(t, "\n{}", "=".repeat(72));
        t.push_str(&item.summary);
        let provider = item
            .signer_provider
            .as_deref()
            .unwrap_or("none (not a provider of the index)");
        let _ = writeln!(t, "{:<16}{provider}", "Index provider:");
        if let Some(c) = &item.certificate_file {
            let _ = writeln!(t, "{:<16}{c}", "Certificate:");
        }
        let _ = writeln!(t, "{:<16}{}", "Verdict:", item.verdict);
    }
    t
}

/// `riepilogo.html`.
pub fn html(r: &ProofReport) -> String {
    let mut h = String::new();
    h.push_str(
        "<!DOCTYPE html>\n<html lang=\"it\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>Riepilogo della prova di invio PEC</title>\n<style>\n\
         body{font-family:Georgia,'Times New Roman',serif;margin:2em auto;max-width:60em;color:#111}\n\
         h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}\n\
         table{border-collapse:collapse;width:100%;margin:.5em 0}\n\
         th,td{border:1px solid #999;padding:.3em .5em;text-align:left;vertical-align:top;font-size:.92em}\n\
         th{background:#eee}code{font-size:.85em;word-break:break-all}\n\
         .ok{color:#145a2a}.bad{color:#8a1414;font-weight:bold}\n\
         @media print{body{margin:0}a{color:#111}}\n\
         </style>\n</head>\n<body>\n",
    );
    let _ = writeln!(h, "<h1>Riepilogo della prova di invio PEC</h1>");
    let _ = writeln!(
        h,
        "<p>Messaggio di posta elettronica certificata inviato da <strong>{}</strong>. \
         Le ricevute allegate in questo archivio, nei loro file <code>.eml</code> originali \
         firmati dal gestore, sono la prova dell'invio e della consegna.</p>",
        esc(&r.sender)
    );
    let _ = writeln!(h, "<h2>Il messaggio</h2>\n<table>");
    row(&mut h, "Oggetto", &esc(&r.subject));
    row(&mut h, "Mittente", &esc(&r.sender));
    row(&mut h, "Identificativo", &code(&r.identificativo));
    row(&mut h, "Message-ID", &code(r.msgid.as_deref().unwrap_or("(nessuno)")));
    row(&mut h, "Accettato il (ora legale)", &esc(&r.legal_time));
    row(&mut h, "Tipo di ricevuta richiesto", &esc(&r.receipt_type));
    row(&mut h, "File del messaggio", &code("messaggio-originale.eml"));
    let _ = writeln!(h, "</table>");

    let _ = writeln!(
        h,
        "<h2>Destinatari</h2>\n<table>\n<tr><th scope=\"col\">Indirizzo</th>\
         <th scope=\"col\">Tipo</th><th scope=\"col\">Esito</th><th scope=\"col\">Dettaglio</th></tr>"
    );
    for rcpt in &r.recipients {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&rcpt.address),
            if rcpt.certified {
                "posta certificata"
            } else {
                "posta ordinaria"
            },
            state(rcpt.state),
            esc(rcpt.detail.as_deref().unwrap_or(""))
        );
    }
    let _ = writeln!(h, "</table>");

    let _ = writeln!(
        h,
        "<h2>Ricevute e avvisi</h2>\n<table>\n<tr><th scope=\"col\">Documento</th>\
         <th scope=\"col\">Ora legale</th><th scope=\"col\">Identificativo</th>\
         <th scope=\"col\">Destinatario</th><th scope=\"col\">File</th><th scope=\"col\">Firma</th></tr>"
    );
    if r.items.is_empty() {
        let _ = writeln!(h, "<tr><td colspan=\"6\">Nessuna ricevuta nella casella.</td></tr>");
    }
    for item in &r.items {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(item.kind_description.as_deref().unwrap_or("messaggio non PEC")),
            esc(item.legal_time.as_deref().unwrap_or("")),
            code(item.identificativo.as_deref().unwrap_or("")),
            esc(item.recipient.as_deref().unwrap_or("")),
            files(item),
            signature(item)
        );
    }
    let _ = writeln!(h, "</table>");

    let _ = writeln!(
        h,
        "<h2>File dell'archivio</h2>\n<table>\n<tr><th scope=\"col\">File</th>\
         <th scope=\"col\">Byte</th><th scope=\"col\">SHA-256</th></tr>"
    );
    for f in &r.files {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            code(&f.path),
            f.size,
            code(&f.sha256)
        );
    }
    let _ = writeln!(h, "</table>");
    let _ = writeln!(
        h,
        "<h2>Come verificare</h2>\n<p>L'impronta di ogni file è in <code>SHA256SUMS</code>: \
         <code>sha256sum -c SHA256SUMS</code> nella cartella di questo riepilogo la controlla. \
         La firma di ogni ricevuta si verifica con <code>openssl cms -verify -in FILE.eml \
         -CAfile CA-DEL-GESTORE.pem</code>; l'esito di ogni verifica è in \
         <code>verifica-firme.txt</code> e <code>verifica-firme.json</code>, i certificati dei \
         firmatari in <code>certificati/</code>.</p>"
    );
    let _ = writeln!(
        h,
        "<p>Prodotto da {} il {}.</p>\n</body>\n</html>",
        esc(&r.built_by),
        esc(&r.built_at)
    );
    h
}

fn row(h: &mut String, label: &str, value: &str) {
    let _ = writeln!(h, "<tr><th scope=\"row\">{label}</th><td>{value}</td></tr>");
}

fn files(item: &Item) -> String {
    let mut s = code(&item.file);
    if let Some(d) = &item.daticert_file {
        let _ = write!(s, "<br>{}", code(d));
    }
    s
}

fn signature(item: &Item) -> String {
    let (class, words) = match item.outcome {
        Outcome::ValidTrusted => ("ok", "valida, gestore fidato"),
        Outcome::ValidNotTrusted => ("bad", "valida, firmatario NON fidato"),
        Outcome::ValidTrustNotChecked => ("bad", "valida, fiducia non verificata"),
        Outcome::Invalid => ("bad", "NON valida: contenuto alterato"),
        Outcome::Unreadable => ("bad", "illeggibile"),
        Outcome::NotPec => ("bad", "non è un messaggio PEC"),
    };
    let mut s = format!("<span class=\"{class}\">{words}</span>");
    if let Some(p) = &item.signer_provider {
        let _ = write!(s, "<br>{}", esc(p));
    }
    if let Some(sig) = &item.signature
        && let Some(t) = sig.signing_time
    {
        let _ = write!(s, "<br>firmata il {} UTC", t.format("%d/%m/%Y %H:%M:%S"));
    }
    s
}

fn state(s: RecipientState) -> &'static str {
    match s {
        RecipientState::Pending => "in attesa",
        RecipientState::Relayed => "inoltrato al gestore del destinatario",
        RecipientState::TakenOver => "preso in carico",
        RecipientState::Delivered => "consegnato",
        RecipientState::Failed => "mancata consegna",
    }
}

fn code(text: &str) -> String {
    format!("<code>{}</code>", esc(text))
}

/// HTML escaping of text and attribute values (HTML 13.1.2: `&`, `<`, `>`, quotes).
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn text_is_escaped() {
        assert_eq!(super::esc("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }
}
