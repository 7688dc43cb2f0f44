//! The access point, the receiving point and the login answer in PEC terms: each
//! verdict carries what a front end needs to explain it, and its text is the one the
//! users of the SMTP front end have always read.

mod common;

use std::net::IpAddr;

use common::{Net, PASSWORD};
use engine::AnomalyPolicy;
use engine::access::{FormalProblem, Refusal, Submission};
use engine::guard::{Channel, LoginRefused, Purpose};
use engine::receiving::{Invalidity, Reception, Rejection};
use pec::original::OriginalError;
use store::Backend;
use store::mailboxes::Status;

const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

fn message(from: &str, to: &str, extra: &str) -> Vec<u8> {
    format!("From: {from}\r\nTo: {to}\r\n{extra}Subject: Prova\r\nMessage-ID: <v@client.test>\r\n\r\nTesto\r\n")
        .into_bytes()
}

#[tokio::test]
async fn submission_refusals_say_what_happened() {
    let net = Net::start_with(Backend::Sqlite, |c| c.max_message_size = 4096).await;
    let nord = net.nord();
    let mario = nord.create_mailbox("mario.rossi").await;
    let sospesa = nord.create_mailbox("sospesa").await;
    let anna = nord.create_mailbox("anna.bianchi").await;
    {
        let mut c = nord.engine.store().conn().await.unwrap();
        store::mailboxes::set_status(&mut c, &sospesa, Status::Suspended)
            .await
            .unwrap();
    }
    let engine = &nord.engine;

    let r = engine.check_sender(&mario, &anna).await.unwrap().unwrap();
    assert_eq!(
        r,
        Refusal::SenderNotAuthenticatedMailbox {
            mail_from: anna.clone(),
            login: mario.clone()
        }
    );
    assert_eq!(
        r.to_string(),
        format!("sender <{anna}> is not the authenticated mailbox <{mario}>")
    );
    let r = engine.check_sender(&sospesa, &sospesa).await.unwrap().unwrap();
    assert!(matches!(
        r,
        Refusal::MailboxCannotSend {
            status: Status::Suspended,
            ..
        }
    ));
    assert_eq!(
        r.to_string(),
        format!("mailbox <{sospesa}> is suspended: it cannot send")
    );
    let ghost = nord.address("nessuno");
    let r = engine.check_sender(&ghost, &ghost).await.unwrap().unwrap();
    assert_eq!(r.to_string(), format!("no mailbox <{ghost}> here"));
    assert_eq!(engine.check_sender(&mario, &mario.to_uppercase()).await.unwrap(), None);

    let rcpts = vec![anna.clone()];
    let big = vec![b'x'; 5000];
    match engine.submit(&mario, &mario, &rcpts, &big).await.unwrap() {
        Submission::Refused(
            r @ Refusal::MessageTooBig {
                size: 5000,
                limit: 4096,
            },
        ) => {
            assert_eq!(r.to_string(), "message too big for this provider")
        }
        other => panic!("{other:?}"),
    }
    match engine.submit(&mario, &mario, &rcpts, b"\r\n  \r\n").await.unwrap() {
        Submission::Refused(r @ Refusal::Unreadable(OriginalError::Empty)) => {
            assert_eq!(r.to_string(), "the message cannot be read: the message is empty")
        }
        other => panic!("{other:?}"),
    }

    // Every formal problem, in the order found; the first one's status leads.
    let forged = message(&anna, &anna, &format!("Bcc: {mario}\r\n"));
    let rcpts = vec![anna.clone(), mario.clone()];
    let Submission::Refused(r @ Refusal::NotAccepted { .. }) =
        engine.submit(&mario, &mario, &rcpts, &forged).await.unwrap()
    else {
        panic!("accepted a forged From")
    };
    let Refusal::NotAccepted { problems, .. } = &r else {
        unreachable!()
    };
    assert_eq!(
        problems,
        &[
            FormalProblem::FromNotAuthenticated {
                from: anna.clone(),
                login: mario.clone()
            },
            FormalProblem::FromNotReversePath {
                from: anna.clone(),
                mail_from: mario.clone()
            },
            FormalProblem::Bcc,
            FormalProblem::RecipientsMismatch {
                header: vec![anna.clone()],
                envelope: vec![anna.clone(), mario.clone()],
            },
        ]
    );
    assert_eq!(problems[0].status(), (5, 7, 1));
    assert_eq!(
        r.to_string(),
        format!(
            "message not accepted: il mittente {anna} non coincide con l'utente autenticato {mario}; \
             il mittente {anna} non coincide con il reverse-path {mario}; \
             la posta certificata non ammette destinatari in copia nascosta (Bcc); \
             i destinatari della busta SMTP non coincidono con quelli dei campi To e Cc"
        )
    );
    let problem = FormalProblem::TooBigForRecipients {
        recipients: 2,
        size: 100,
        max: 150,
    };
    assert_eq!(problem.code(), "5.3.4");
    assert_eq!(
        problem.to_string(),
        "dimensione per numero di destinatari oltre il limite: 2 x 100 byte (massimo 150 byte)"
    );
    net.stop().await;
}

#[tokio::test]
async fn the_receiving_point_refuses_in_pec_terms_when_configured_to() {
    let net = Net::start_with(Backend::Sqlite, |c| {
        c.max_message_size = 4096;
        c.anomaly = AnomalyPolicy::Refuse;
    })
    .await;
    let nord = net.nord();
    let anna = nord.create_mailbox("anna.bianchi").await;
    let rcpts = vec![anna.clone()];
    let big = vec![b'x'; 5000];
    let r = nord.engine.receive("a@example.org", &rcpts, &big).await.unwrap();
    assert_eq!(
        r,
        Reception::Refused(Rejection::TooBig {
            size: 5000,
            limit: 4096
        })
    );
    let Reception::Refused(r) = r else { unreachable!() };
    assert_eq!(r.to_string(), "message too big");

    let plain = message("a@example.org", &anna, "");
    match nord.engine.receive("a@example.org", &rcpts, &plain).await.unwrap() {
        Reception::Refused(r @ Rejection::NotValidPec(Invalidity::NotPec(_))) => {
            assert!(r.to_string().starts_with("not a valid PEC message: "), "{r}")
        }
        other => panic!("{other:?}"),
    }
    net.stop().await;
}

#[tokio::test]
async fn a_suspended_mailbox_may_only_read_and_the_engine_says_so() {
    for can_read in [true, false] {
        let net = Net::start_with(Backend::Sqlite, |c| c.suspended_can_read = can_read).await;
        let nord = net.nord();
        let mario = nord.create_mailbox("mario.rossi").await;
        let sospesa = nord.create_mailbox("sospesa").await;
        {
            let mut c = nord.engine.store().conn().await.unwrap();
            store::mailboxes::set_status(&mut c, &sospesa, Status::Suspended)
                .await
                .unwrap();
        }
        let login = |user: String, purpose| {
            let engine = nord.engine.clone();
            async move {
                engine
                    .login("test", &user, PASSWORD, IP, purpose, Channel::Mail)
                    .await
                    .unwrap()
            }
        };
        let active = login(mario.clone(), Purpose::Read).await.unwrap();
        assert!(!active.read_only);
        assert!(!login(mario.clone(), Purpose::Send).await.unwrap().read_only);
        match login(sospesa.clone(), Purpose::Read).await {
            Ok(granted) => {
                assert!(can_read);
                assert!(granted.read_only, "a suspended mailbox reads, changes nothing");
                assert_eq!(granted.mailbox.address, sospesa);
            }
            Err(LoginRefused::Disabled(why)) => {
                assert!(!can_read);
                assert_eq!(
                    why,
                    format!("the mailbox {sospesa} is suspended: renew it to use it again")
                );
            }
            Err(other) => panic!("{other:?}"),
        }
        assert!(matches!(
            login(sospesa.clone(), Purpose::Send).await,
            Err(LoginRefused::Disabled(_))
        ));
        net.stop().await;
    }
}
