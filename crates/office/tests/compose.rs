//! Writing a PEC (`office::compose`) through the access point, on SQLite and
//! PostgreSQL: attachments streamed from files into the message, the receipt
//! type asked for, the copy in Sent; the problems the form is told, with nothing
//! stored half; reply and forward of a received PEC answer the message inside.

mod common;

use chrono::{TimeZone, Utc};
use mail_parser::MimeHeaders;
use office::Office;
use office::compose::{self, Draft, Field, Outcome, Problem, Uploads};
use office::mailboxes::{self, NewMailbox};
use office::sent::{self, Acceptance};
use store::mailboxes::Status;

fn at() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 10, 9, 0, 0).unwrap()
}

async fn mailbox(office: &Office, user: &str) -> i64 {
    let new = NewMailbox {
        address: &format!("{user}@pec.office.test"),
        password: "una-password-lunga",
        quota_bytes: 1 << 30,
    };
    mailboxes::add_mailbox(office, &new).await.unwrap().id
}

/// A file of `size` bytes, written in chunks as a form's upload arrives.
async fn attach(uploads: &mut Uploads, name: &str, size: usize) -> Vec<u8> {
    let bytes: Vec<u8> = (0..size).map(|i| (i * 31 % 256) as u8).collect();
    let mut up = uploads.begin(name, "application/pdf").await.unwrap();
    for chunk in bytes.chunks(8192) {
        up.write(chunk).await.unwrap().unwrap();
    }
    up.finish().await.unwrap();
    bytes
}

/// The messages of a mailbox: (folder, PEC kind, bytes).
async fn contents(office: &Office, id: i64) -> Vec<(String, Option<String>, Vec<u8>)> {
    let mut c = office.store().conn().await.unwrap();
    let mut out = Vec::new();
    for (folder, m) in store::messages::list_mailbox(&mut c, id).await.unwrap() {
        out.push((
            folder,
            m.pec_kind.clone(),
            office.store().blobs().get(&m.blob).await.unwrap(),
        ));
    }
    out
}

async fn accepted_count(office: &Office) -> usize {
    let mut c = office.store().conn().await.unwrap();
    store::pec::accepted_after(&mut c, 0, 1000).await.unwrap().len()
}

fn uploads_left(office: &Office) -> usize {
    let dir = office.store().blobs().root().parent().unwrap().join("uploads");
    std::fs::read_dir(dir).map_or(0, |d| d.count())
}

#[tokio::test]
async fn a_message_with_attachments_is_accepted_kept_in_sent_and_delivered() {
    common::on_both(at(), |office| async move {
        let mario = mailbox(&office, "mario").await;
        let anna = mailbox(&office, "anna").await;
        let limits = compose::limits(&office);
        let mut uploads = Uploads::new(&office, limits.attachments_for(1)).unwrap();
        let pdf = attach(&mut uploads, "C:\\atti\\ricorso.pdf", 200_000).await;
        attach(&mut uploads, "vuoto.txt", 0).await;
        let small = attach(&mut uploads, "nota.txt", 10).await;
        assert_eq!(uploads.files().len(), 2, "an empty file input is no attachment");
        let draft = Draft {
            to: "Anna Bianchi <anna@pec.office.test>".into(),
            subject: "Ricorso\r\nBcc: spia@example.com".into(),
            text: "In allegato il ricorso.\r\nCordiali saluti.".into(),
            receipt: "breve".into(),
            ..Draft::default()
        };
        let outcome = compose::send(&office, mario, &draft, &uploads).await.unwrap();
        let Outcome::Accepted {
            identificativo,
            sent_copy: Some(copy),
        } = outcome
        else {
            panic!("{outcome:?}");
        };
        drop(uploads);
        assert_eq!(uploads_left(&office), 0, "the form's files go with it");

        let mine = contents(&office, mario).await;
        let (folder, kind, raw) = mine.iter().find(|(f, ..)| f == "Sent").unwrap();
        assert_eq!((folder.as_str(), kind), ("Sent", &None));
        let mut c = office.store().conn().await.unwrap();
        let stored = store::messages::get(&mut c, copy).await.unwrap();
        assert!(stored.flags.contains(&"\\Seen".to_string()));
        assert_eq!(stored.identificativo.as_deref(), Some(identificativo.as_str()));
        let pm = store::pec::by_identificativo(&mut c, &identificativo)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(pm.receipt_kind, "breve");
        assert_eq!(pm.original_blob, stored.blob, "the copy is the submitted original");
        drop(c);
        let parsed = mail_parser::MessageParser::default().parse(raw.as_slice()).unwrap();
        assert_eq!(parsed.subject(), Some("Ricorso Bcc: spia@example.com"), "one line");
        assert!(parsed.header("Bcc").is_none());
        assert_eq!(
            parsed.body_text(0).unwrap().trim_end(),
            "In allegato il ricorso.\r\nCordiali saluti."
        );
        let names: Vec<&str> = parsed.attachments().filter_map(|a| a.attachment_name()).collect();
        assert_eq!(names, ["ricorso.pdf", "nota.txt"]);
        let bodies: Vec<&[u8]> = parsed.attachments().map(|a| a.contents()).collect();
        assert_eq!(bodies, [pdf.as_slice(), small.as_slice()]);
        assert!(raw.split(|b| *b == b'\n').all(|l| l.len() <= 1000));

        office.engine().run_until_idle().await.unwrap();
        let theirs = contents(&office, anna).await;
        assert_eq!(theirs[0].1.as_deref(), Some("busta-trasporto"));
        let t = sent::timeline(&office, mario, &identificativo).await.unwrap();
        assert!(t.all_final);
    })
    .await;
}

#[tokio::test]
async fn an_upload_over_the_limit_is_refused_as_it_arrives_and_nothing_is_stored() {
    common::on_both(at(), |office| async move {
        let mario = mailbox(&office, "mario").await;
        let limits = compose::limits(&office);
        // DM art. 12: 30 MB for size x recipients; a 40 MB file is over it.
        assert_eq!(limits.max_recipients_x_size, 30 * 1024 * 1024);
        let budget = limits.attachments_for(1);
        assert!(budget < 30 * 1024 * 1024 * 3 / 4 + 1);
        let mut uploads = Uploads::new(&office, budget).unwrap();
        let mut up = uploads.begin("grande.bin", "application/octet-stream").await.unwrap();
        let chunk = vec![7u8; 1 << 20];
        let mut refused = None;
        for _ in 0..40 {
            if let Err(over) = up.write(&chunk).await.unwrap() {
                refused = Some(over);
                break;
            }
        }
        let over = refused.expect("refused before 40 MB");
        assert!(over.size > budget && over.budget == budget);
        drop(up);
        assert!(uploads.files().is_empty());
        let draft = Draft {
            to: "anna@pec.office.test, bruno@pec.office.test".into(),
            ..Draft::default()
        };
        // With two recipients the same attachments may be half as large.
        let mut two = Uploads::new(&office, budget).unwrap();
        attach(&mut two, "a.bin", (limits.attachments_for(2) + 1) as usize).await;
        let outcome = compose::send(&office, mario, &draft, &two).await.unwrap();
        let Outcome::Refused { problems, notice } = outcome else {
            panic!("{outcome:?}")
        };
        assert!(
            matches!(problems[..], [Problem::TooLarge { recipients: 2, .. }]),
            "{problems:?}"
        );
        assert_eq!(problems[0].field(), Field::Attachments);
        assert_eq!(notice, None, "refused before the access point: no notice");
        drop((uploads, two));
        assert_eq!(accepted_count(&office).await, 0);
        assert!(contents(&office, mario).await.is_empty());
        assert_eq!(uploads_left(&office), 0);
    })
    .await;
}

#[tokio::test]
async fn what_is_not_an_address_is_named_and_nothing_is_submitted() {
    common::on_both(at(), |office| async move {
        let mario = mailbox(&office, "mario").await;
        let uploads = Uploads::new(&office, 1 << 20).unwrap();
        let draft = Draft {
            to: "anna@pec.office.test, anna.bianchi".into(),
            cc: "Bruno <bruno@pec>".into(),
            ..Draft::default()
        };
        let Outcome::Refused { problems, notice } = compose::send(&office, mario, &draft, &uploads).await.unwrap()
        else {
            panic!("accepted")
        };
        assert_eq!(
            problems,
            [
                Problem::NotAnAddress {
                    field: Field::To,
                    text: "anna.bianchi".into()
                },
                Problem::NotAnAddress {
                    field: Field::Cc,
                    text: "Bruno <bruno@pec>".into()
                },
            ]
        );
        assert_eq!(notice, None);
        let empty = Draft::default();
        let Outcome::Refused { problems, .. } = compose::send(&office, mario, &empty, &uploads).await.unwrap() else {
            panic!("accepted")
        };
        assert_eq!(problems, [Problem::NoRecipient]);
        assert_eq!(accepted_count(&office).await, 0);
        assert!(contents(&office, mario).await.is_empty());
        let bad = Draft {
            to: "anna@pec.office.test".into(),
            receipt: "lunghissima".into(),
            ..Draft::default()
        };
        let e = compose::send(&office, mario, &bad, &uploads).await.unwrap_err();
        assert_eq!(e.field(), Some("receipt"));
    })
    .await;
}

#[tokio::test]
async fn the_access_points_own_refusals_come_back_as_problems() {
    common::on_both(at(), |office| async move {
        let mario = mailbox(&office, "mario").await;
        let uploads = Uploads::new(&office, 1 << 20).unwrap();
        // DM art. 12 c. 1: more recipients than the provider allows (500 by default).
        let many: Vec<String> = (0..501).map(|i| format!("d{i}@pec.office.test")).collect();
        let draft = Draft {
            to: many.join(", "),
            subject: "Circolare".into(),
            ..Draft::default()
        };
        let Outcome::Refused { problems, notice } = compose::send(&office, mario, &draft, &uploads).await.unwrap()
        else {
            panic!("accepted")
        };
        assert_eq!(problems, [Problem::TooManyRecipients { count: 501, max: 500 }]);
        let notice = notice.expect("the access point's notice");
        assert_eq!(accepted_count(&office).await, 0);
        // RFC 6109 3.1.2: the avviso di non accettazione is in the INBOX, and its
        // timeline says why.
        let inbox = contents(&office, mario).await;
        assert_eq!(inbox.len(), 1);
        assert_eq!(inbox[0].1.as_deref(), Some("non-accettazione"));
        let t = sent::timeline(&office, mario, &notice).await.unwrap();
        let Acceptance::NotAccepted {
            reasons,
            notice: Some(_),
            ..
        } = &t.acceptance
        else {
            panic!("{:?}", t.acceptance)
        };
        assert_eq!(reasons, &["troppi destinatari: 501 (massimo 500)"]);
        assert_eq!(t.recipients.len(), 501);
        let anna = mailbox(&office, "anna").await;
        assert!(sent::timeline(&office, anna, &notice).await.is_err());

        // A suspended mailbox cannot send: the access point says so.
        mailboxes::set_status(&office, "mario@pec.office.test", Status::Suspended)
            .await
            .unwrap();
        let w = compose::writer(&office, mario).await.unwrap();
        assert!(!w.can_send);
        let draft = Draft {
            to: "anna@pec.office.test".into(),
            ..Draft::default()
        };
        let Outcome::Refused { problems, notice } = compose::send(&office, mario, &draft, &uploads).await.unwrap()
        else {
            panic!("accepted")
        };
        assert_eq!(
            problems,
            [Problem::CannotSend {
                status: Status::Suspended
            }]
        );
        assert_eq!(notice, None);
        assert_eq!(accepted_count(&office).await, 0);
    })
    .await;
}

#[tokio::test]
async fn reply_and_forward_answer_the_message_inside_the_envelope() {
    common::on_both(at(), |office| async move {
        let mario = mailbox(&office, "mario").await;
        let anna = mailbox(&office, "anna").await;
        // anna writes from a client, with a Reply-To.
        let raw = b"From: Anna Bianchi <anna@pec.office.test>\r\nTo: mario@pec.office.test\r\n\
            Reply-To: segreteria@pec.office.test\r\nSubject: Udienza\r\nMessage-ID: <u1@client>\r\n\
            Date: Tue, 10 Mar 2026 10:00:00 +0100\r\n\r\nL'udienza e' rinviata.\r\n\r\nAnna\r\n";
        let rcpts = vec!["mario@pec.office.test".to_string()];
        office
            .engine()
            .submit("anna@pec.office.test", "anna@pec.office.test", &rcpts, raw)
            .await
            .unwrap();
        office.engine().run_until_idle().await.unwrap();
        let mut c = office.store().conn().await.unwrap();
        let envelope = store::messages::list_mailbox(&mut c, mario)
            .await
            .unwrap()
            .into_iter()
            .find(|(_, m)| m.pec_kind.as_deref() == Some("busta-trasporto"))
            .unwrap()
            .1;
        drop(c);

        let r = compose::reply(&office, mario, envelope.id).await.unwrap();
        assert_eq!(
            r.to, "segreteria@pec.office.test",
            "the inner Reply-To, not the gestore's"
        );
        assert_eq!(r.subject, "Re: Udienza");
        let q = r.quote.unwrap();
        assert_eq!(q.from, "anna@pec.office.test");
        assert_eq!(q.text, "> L'udienza e' rinviata.\n>\n> Anna");
        assert_eq!(r.reply, Some(envelope.id));

        let f = compose::forward(&office, mario, envelope.id).await.unwrap();
        assert_eq!(f.subject, "Fwd: Udienza");
        let forward = f.forward.unwrap();
        assert_eq!(forward.subject, "Udienza");
        let uploads = Uploads::new(&office, 1 << 20).unwrap();
        let draft = Draft {
            to: "anna@pec.office.test".into(),
            subject: f.subject.clone(),
            text: "Vedi sotto.".into(),
            forward: Some(forward.message),
            reply: Some(envelope.id),
            ..Draft::default()
        };
        let Outcome::Accepted {
            sent_copy: Some(copy), ..
        } = compose::send(&office, mario, &draft, &uploads).await.unwrap()
        else {
            panic!("not accepted")
        };
        let mut c = office.store().conn().await.unwrap();
        let stored = store::messages::get(&mut c, copy).await.unwrap();
        drop(c);
        let sent_raw = office.store().blobs().get(&stored.blob).await.unwrap();
        let parsed = mail_parser::MessageParser::default()
            .parse(sent_raw.as_slice())
            .unwrap();
        assert!(
            parsed.in_reply_to().as_text().is_some(),
            "In-Reply-To the answered message"
        );
        let inner = parsed
            .attachments()
            .find_map(|a| a.message())
            .expect("the message attached as message/rfc822");
        assert_eq!(inner.subject(), Some("Udienza"));
        assert_eq!(
            inner.from().unwrap().first().unwrap().address(),
            Some("anna@pec.office.test")
        );

        // Another mailbox's message is not there for mario, nor mario's for anna.
        for e in [
            compose::reply(&office, anna, envelope.id).await.unwrap_err(),
            compose::forward(&office, anna, envelope.id).await.unwrap_err(),
            compose::reply(&office, mario, 999_999).await.unwrap_err(),
        ] {
            assert!(matches!(e, office::Error::NotFound { .. }), "{e}");
        }
        let stolen = Draft {
            to: "anna@pec.office.test".into(),
            forward: Some(copy),
            ..Draft::default()
        };
        let e = compose::send(&office, anna, &stolen, &uploads).await.unwrap_err();
        assert!(matches!(e, office::Error::NotFound { .. }), "{e}");
    })
    .await;
}
