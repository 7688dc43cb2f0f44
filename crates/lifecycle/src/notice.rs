//! The texts of the lifecycle's notices, in Italian, for the holder.
//!
//! Every notice names the mailbox and its expiry date. A renewal notice also
//! names the renewal order (its ID to write in the bank transfer's reference),
//! the amount with VAT, the payment methods and the renewal link; notices of a
//! suspension, a cancellation, a closure or the end of service say how to
//! save the mailbox first (`../shared/docs/lifecycle.md`: "the member must save
//! the old mailbox's contents before cancelling it"). Pure text: the runner
//! turns it into a message and delivers it.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::convention::NoticeKind;
use crate::money::{Money, VatRate};

/// What a notice is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topic {
    /// A renewal notice of the plan's schedule.
    Renewal(NoticeKind),
    Suspended,
    ReceiveOnly,
    Reactivated,
    Closed,
    /// A cancellation's service end (the box was cancelled by PEC).
    ServiceEnded,
    /// A cancellation by PEC was recorded.
    CancellationRecorded,
    /// A mailbox bought on the web was paid for: it exists, active.
    Activated,
    /// A renewal order was paid before the box was suspended: the new expiry.
    Renewed,
}

/// The renewal order a notice names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderInfo {
    pub id: String,
    pub net: Money,
    pub vat: VatRate,
    pub gross: Money,
}

/// The provider's side of every notice: configured by the operator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderInfo {
    /// Shown as the sender's name and in the signature.
    pub name: String,
    /// Where cancellations are sent as a PEC.
    pub management_address: String,
    /// The renewal page; `{mailbox}` and `{order}` are replaced.
    pub renewal_url: String,
    /// The provider's web pages (the webmail), when it has them.
    pub web_url: Option<String>,
    /// One line each: "carta di credito o PayPal dalla pagina di rinnovo", "bonifico su IBAN ...".
    pub payment_methods: Vec<String>,
}

/// The facts a notice states.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeFacts<'a> {
    pub topic: Topic,
    pub mailbox: &'a str,
    pub holder_name: &'a str,
    /// The last day of service.
    pub expiry: NaiveDate,
    pub time_zone: Tz,
    /// The instant of the transition (suspension, closure...) or the cancellation's legal time.
    pub at: DateTime<Utc>,
    /// When the contents will be deleted, if that is known.
    pub deletion_on: Option<NaiveDate>,
    pub order: Option<&'a OrderInfo>,
    pub provider: &'a ProviderInfo,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeText {
    pub subject: String,
    pub body: String,
}

fn date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

fn local(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%d/%m/%Y alle ore %H:%M").to_string()
}

/// The subject and body of a notice.
pub fn render(f: &NoticeFacts<'_>) -> NoticeText {
    let expiry = date(f.expiry);
    let when = local(f.at, f.time_zone);
    let mut body = format!("Gentile {},\n\n", f.holder_name);
    let subject = match f.topic {
        Topic::Renewal(kind) => {
            match kind {
                NoticeKind::After { .. } => body.push_str(&format!(
                    "la casella PEC {} è scaduta il {expiry} e non risulta rinnovata.\n",
                    f.mailbox
                )),
                _ => body.push_str(&format!(
                    "la casella PEC {} scade il {expiry} (ultimo giorno di servizio).\n",
                    f.mailbox
                )),
            }
            body.push_str("Per rinnovarla, paghi l'ordine di rinnovo qui sotto prima della scadenza.\n");
            match kind {
                NoticeKind::After { .. } => format!("Casella PEC {} scaduta il {expiry}: rinnovo", f.mailbox),
                _ => format!("Casella PEC {} in scadenza il {expiry}: rinnovo", f.mailbox),
            }
        }
        Topic::Suspended => {
            body.push_str(&format!(
                "la casella PEC {} è scaduta il {expiry} senza che il rinnovo fosse pagato: dal {when} è \
                 sospesa. Non può inviare né ricevere messaggi (chi le scrive riceve un avviso di mancata \
                 consegna); i messaggi già presenti restano consultabili e nulla è cancellato.\n\
                 Pagando l'ordine di rinnovo la casella torna attiva subito, con tutti i suoi contenuti.\n",
                f.mailbox
            ));
            format!("Casella PEC {} sospesa per mancato rinnovo", f.mailbox)
        }
        Topic::ReceiveOnly => {
            body.push_str(&format!(
                "la casella PEC {} è scaduta il {expiry}: dal {when} può ricevere e consultare i messaggi ma \
                 non inviarne. Pagando l'ordine di rinnovo torna attiva subito.\n",
                f.mailbox
            ));
            format!("Casella PEC {} scaduta: solo ricezione", f.mailbox)
        }
        Topic::Reactivated => {
            body.push_str(&format!(
                "il pagamento del rinnovo della casella PEC {} è stato registrato: la casella è di nuovo \
                 attiva dal {when} e scade ora il {expiry}. Tutti i messaggi sono al loro posto.\n",
                f.mailbox
            ));
            format!("Casella PEC {} rinnovata fino al {expiry}", f.mailbox)
        }
        Topic::Activated => {
            body.push_str(&format!(
                "il pagamento è stato registrato: la casella PEC {} è attiva dal {when} e scade il {expiry}. \
                 Può accedervi subito dalla webmail o da un programma di posta (IMAP, POP3, SMTP) con la \
                 password scelta all'ordine.\n",
                f.mailbox
            ));
            if let Some(url) = &f.provider.web_url {
                body.push_str(&format!("Webmail: {url}\n"));
            }
            format!("Casella PEC {} attivata", f.mailbox)
        }
        Topic::Renewed => {
            body.push_str(&format!(
                "il pagamento del rinnovo della casella PEC {} è stato registrato il {when}: la casella \
                 scade ora il {expiry}. Il rinnovo decorre dalla scadenza precedente, non dalla data del \
                 pagamento.\n",
                f.mailbox
            ));
            format!("Casella PEC {} rinnovata fino al {expiry}", f.mailbox)
        }
        Topic::Closed => {
            body.push_str(&format!(
                "la casella PEC {} è scaduta il {expiry} e non è stata rinnovata: dal {when} è chiusa.\n",
                f.mailbox
            ));
            format!("Casella PEC {} chiusa", f.mailbox)
        }
        Topic::ServiceEnded => {
            body.push_str(&format!(
                "come da sua richiesta di disdetta, il servizio della casella PEC {} è terminato il {when}.\n",
                f.mailbox
            ));
            format!("Casella PEC {}: servizio terminato per disdetta", f.mailbox)
        }
        Topic::CancellationRecorded => {
            body.push_str(&format!(
                "abbiamo registrato la disdetta della casella PEC {} ricevuta via PEC il {when} (ora legale \
                 della sua accettazione). La casella resta attiva fino alla scadenza del {expiry} e non sarà \
                 rinnovata; non riceverà altri avvisi di rinnovo.\n",
                f.mailbox
            ));
            format!("Casella PEC {}: disdetta registrata", f.mailbox)
        }
    };
    if let Some(on) = f.deletion_on {
        body.push_str(&format!(
            "I contenuti della casella saranno cancellati definitivamente il {}.\n",
            date(on)
        ));
    }
    if let (Some(order), true) = (
        f.order,
        matches!(f.topic, Topic::Renewal(_) | Topic::Suspended | Topic::ReceiveOnly),
    ) {
        let url = f
            .provider
            .renewal_url
            .replace("{mailbox}", f.mailbox)
            .replace("{order}", &order.id);
        body.push_str(&format!(
            "\nOrdine di rinnovo: {id}\n\
             Importo: {gross} IVA inclusa ({net} + IVA {vat})\n\
             Causale del bonifico: {id} {mailbox}\n\
             Rinnovo online: {url}\n",
            id = order.id,
            gross = order.gross,
            net = order.net,
            vat = order.vat,
            mailbox = f.mailbox,
        ));
        if !f.provider.payment_methods.is_empty() {
            body.push_str("\nModalità di pagamento:\n");
            for m in &f.provider.payment_methods {
                body.push_str(&format!("- {m}\n"));
            }
        }
        body.push_str(
            "I pagamenti con carta e PayPal sono registrati subito; il rinnovo decorre dalla scadenza \
             attuale, non dalla data del pagamento.\n",
        );
    }
    if !matches!(f.topic, Topic::Reactivated | Topic::Activated | Topic::Renewed) {
        body.push_str(&format!(
            "\nSe intende disdire la casella o cambiare gestore, ne salvi prima i contenuti: può scaricare \
             tutti i messaggi e le ricevute con un programma di posta (IMAP o POP3) oppure chiedere \
             l'esportazione completa della casella (un archivio con tutte le cartelle, le ricevute e \
             l'indice dei messaggi inviati) scrivendo a {}. La disdetta va inviata via PEC allo stesso \
             indirizzo.\n",
            f.provider.management_address
        ));
    }
    if let Some(url) = &f.provider.web_url {
        body.push_str(&format!(
            "\nLa pagina del suo abbonamento (scadenza, ordini e ricevute, avvisi, rinnovo, disdetta, \
             salvataggio della casella), con l'accesso della casella PEC: {url}abbonamento\n"
        ));
    }
    body.push_str(&format!("\nCordiali saluti,\n{}\n", f.provider.name));
    NoticeText { subject, body }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider() -> ProviderInfo {
        ProviderInfo {
            name: "Certa PEC".into(),
            management_address: "gestione@pec.example.it".into(),
            renewal_url: "https://pec.example.it/rinnovo?casella={mailbox}&ordine={order}".into(),
            web_url: None,
            payment_methods: vec!["carta di credito o PayPal".into(), "bonifico bancario".into()],
        }
    }

    #[test]
    fn with_web_pages_every_notice_links_the_subscription_page() {
        let mut p = provider();
        let f = |p: &ProviderInfo| {
            render(&NoticeFacts {
                topic: Topic::Suspended,
                mailbox: "mario@pec.example.it",
                holder_name: "Mario Rossi",
                expiry: NaiveDate::from_ymd_opt(2026, 3, 10).unwrap(),
                time_zone: chrono_tz::Europe::Rome,
                at: Utc::now(),
                deletion_on: None,
                order: None,
                provider: p,
            })
            .body
        };
        assert!(!f(&p).contains("abbonamento"));
        p.web_url = Some("https://pec.example.it/".into());
        assert!(f(&p).contains("https://pec.example.it/abbonamento\n"), "{}", f(&p));
    }

    #[test]
    fn a_renewal_notice_names_box_expiry_order_amount_methods_and_link() {
        let order = OrderInfo {
            id: "CRT-2024-000001".into(),
            net: Money::from_cents(650),
            vat: VatRate::ORDINARY,
            gross: Money::from_cents(793),
        };
        let p = provider();
        let text = render(&NoticeFacts {
            topic: Topic::Renewal(NoticeKind::Recurring { days_before: 90 }),
            mailbox: "anna@pec.example.it",
            holder_name: "Anna Bianchi",
            expiry: NaiveDate::from_ymd_opt(2025, 3, 10).unwrap(),
            time_zone: chrono_tz::Europe::Rome,
            at: DateTime::from_timestamp(1_733_788_800, 0).unwrap(),
            deletion_on: None,
            order: Some(&order),
            provider: &p,
        });
        assert_eq!(
            text.subject,
            "Casella PEC anna@pec.example.it in scadenza il 10/03/2025: rinnovo"
        );
        for needle in [
            "anna@pec.example.it scade il 10/03/2025",
            "Ordine di rinnovo: CRT-2024-000001",
            "Importo: 7,93 € IVA inclusa (6,50 € + IVA 22 %)",
            "https://pec.example.it/rinnovo?casella=anna@pec.example.it&ordine=CRT-2024-000001",
            "- bonifico bancario",
            "gestione@pec.example.it",
        ] {
            assert!(text.body.contains(needle), "missing {needle:?} in\n{}", text.body);
        }
    }

    #[test]
    fn a_suspension_notice_says_nothing_is_lost_and_how_to_export() {
        let p = provider();
        let text = render(&NoticeFacts {
            topic: Topic::Suspended,
            mailbox: "anna@pec.example.it",
            holder_name: "Anna Bianchi",
            expiry: NaiveDate::from_ymd_opt(2025, 3, 10).unwrap(),
            time_zone: chrono_tz::Europe::Rome,
            at: "2025-03-10T10:00:00Z".parse().unwrap(),
            deletion_on: Some(NaiveDate::from_ymd_opt(2025, 3, 30).unwrap()),
            order: None,
            provider: &p,
        });
        assert!(
            text.body.contains("dal 10/03/2025 alle ore 11:00 è sospesa"),
            "{}",
            text.body
        );
        assert!(text.body.contains("cancellati definitivamente il 30/03/2025"));
        assert!(text.body.contains("esportazione completa"));
    }
}
