//! The PEC-duty cycle driven by dates (DL 185/2008 art. 16 c.7-bis):
//! diffida, 30 days, suspension list, restoration.

mod common;

use common::{date, member};
use registry::compliance::{
    Compliance, Diffida, DiffidaChannel, MemberCompliance, OfficialPec, Report, assess, report,
};
use registry::{Member, MemberStatus, TaxId};

struct Roll {
    members: Vec<Member>,
    pecs: Vec<Option<OfficialPec>>,
    diffide: Vec<Vec<Diffida>>,
}

const ROSSI: usize = 0;
const BIANCHI: usize = 1;
const CONTE: usize = 2;
const VERDI: usize = 3;

impl Roll {
    fn new() -> Roll {
        let mut verdi = member("VRDLCU90E22F205A", "Verdi", "Luca", "2001");
        verdi.status = MemberStatus::Cancelled;
        Roll {
            members: vec![
                member("RSSMRA80A01H501U", "Rossi", "Mario", "1234"),
                member("BNCNNA75C41D612C", "Bianchi", "Anna", "987"),
                member("CNTNCL82M15G273J", "Conte", "Nicolò", "1502"),
                verdi,
            ],
            pecs: vec![
                Some(pec("mario.rossi@pec.it", date(2020, 1, 10), true)),
                None,
                // Bounced: the mailbox is full.
                Some(pec("nicolo.conte@pec.it", date(2019, 5, 5), false)),
                None,
            ],
            diffide: vec![Vec::new(); 4],
        }
    }

    fn inputs(&self) -> impl Iterator<Item = MemberCompliance<'_>> {
        (0..self.members.len()).map(|i| MemberCompliance {
            member: &self.members[i],
            pec: self.pecs[i].as_ref(),
            diffide: &self.diffide[i],
        })
    }

    fn assess(&self, i: usize, today: (i32, u32, u32)) -> Compliance {
        assess(&self.inputs().nth(i).unwrap(), date(today.0, today.1, today.2))
    }

    fn report(&self, today: (i32, u32, u32)) -> Report {
        report(self.inputs(), date(today.0, today.1, today.2))
    }

    fn cf(&self, i: usize) -> TaxId {
        self.members[i].codice_fiscale.clone()
    }
}

fn pec(address: &str, communicated_on: chrono::NaiveDate, valid: bool) -> OfficialPec {
    OfficialPec {
        address: address.into(),
        communicated_on,
        valid,
    }
}

fn diffida(sent_on: chrono::NaiveDate, received_on: Option<chrono::NaiveDate>, channel: DiffidaChannel) -> Diffida {
    Diffida {
        sent_on,
        received_on,
        channel,
        protocol: Some("2025/1234".into()),
        suspended_on: None,
        closed_on: None,
        undelivered: false,
    }
}

#[test]
fn diffida_thirty_days_suspension_and_restoration() {
    let mut roll = Roll::new();

    // 2 June 2025: who lacks a valid PEC, and how to reach them.
    let day = (2025, 6, 2);
    assert_eq!(roll.assess(ROSSI, day), Compliance::Compliant);
    assert_eq!(roll.assess(VERDI, day), Compliance::NotBound);
    let r = roll.report(day);
    assert_eq!(r.without_valid_pec, vec![roll.cf(BIANCHI), roll.cf(CONTE)]);
    assert_eq!(
        r.diffida_due,
        vec![
            (roll.cf(BIANCHI), DiffidaChannel::Letter),
            (roll.cf(CONTE), DiffidaChannel::Pec("nicolo.conte@pec.it".into())),
        ]
    );

    // 3 June: the diffide go out. The letter arrives on 6 June, the PEC at once.
    roll.diffide[BIANCHI].push(diffida(
        date(2025, 6, 3),
        Some(date(2025, 6, 6)),
        DiffidaChannel::Letter,
    ));
    roll.diffide[CONTE].push(diffida(
        date(2025, 6, 3),
        Some(date(2025, 6, 3)),
        DiffidaChannel::Pec("nicolo.conte@pec.it".into()),
    ));
    let r = roll.report((2025, 6, 3));
    assert!(r.diffida_due.is_empty());
    assert_eq!(
        r.warned,
        vec![(roll.cf(BIANCHI), date(2025, 7, 6)), (roll.cf(CONTE), date(2025, 7, 3))]
    );

    // 3 July, the 30th day for Conte: still within the term.
    assert!(roll.report((2025, 7, 3)).to_suspend.is_empty());
    // 4 July: Conte passed the deadline; Bianchi's term runs from receipt.
    let r = roll.report((2025, 7, 4));
    assert_eq!(r.to_suspend, vec![(roll.cf(CONTE), date(2025, 7, 3))]);
    assert_eq!(r.warned, vec![(roll.cf(BIANCHI), date(2025, 7, 6))]);
    // 7 July: both.
    let r = roll.report((2025, 7, 7));
    assert_eq!(
        r.to_suspend,
        vec![(roll.cf(BIANCHI), date(2025, 7, 6)), (roll.cf(CONTE), date(2025, 7, 3))]
    );

    // 10 July: the Council suspends Conte; Bianchi's resolution is pending.
    roll.diffide[CONTE][0].suspended_on = Some(date(2025, 7, 10));
    roll.members[CONTE].status = MemberStatus::Suspended;
    let r = roll.report((2025, 7, 10));
    assert_eq!(r.suspended, vec![roll.cf(CONTE)]);
    assert_eq!(r.to_suspend, vec![(roll.cf(BIANCHI), date(2025, 7, 6))]);
    assert_eq!(r.without_valid_pec, vec![roll.cf(BIANCHI), roll.cf(CONTE)]);

    // 12 July: Bianchi communicates a PEC before being suspended; 20 July
    // Conte a new one. Both are restored, Conte's suspension to be lifted.
    roll.pecs[BIANCHI] = Some(pec("anna.bianchi@legalmail.it", date(2025, 7, 12), true));
    roll.pecs[CONTE] = Some(pec("n.conte@postecert.it", date(2025, 7, 20), true));
    let r = roll.report((2025, 7, 20));
    assert_eq!(r.restored, vec![(roll.cf(BIANCHI), false), (roll.cf(CONTE), true)]);
    assert!(r.without_valid_pec.is_empty());
    assert_eq!(
        roll.assess(CONTE, (2025, 7, 20)),
        Compliance::Restored {
            sent_on: date(2025, 6, 3),
            suspended_on: Some(date(2025, 7, 10)),
            pec_communicated_on: date(2025, 7, 20),
        }
    );

    // The Order closes both cycles: compliant.
    roll.diffide[BIANCHI][0].closed_on = Some(date(2025, 7, 21));
    roll.diffide[CONTE][0].closed_on = Some(date(2025, 7, 21));
    roll.members[CONTE].status = MemberStatus::Active;
    assert_eq!(roll.report((2025, 7, 21)), Report::default());

    // A year later Bianchi's mailbox expires: a new cycle starts, the old
    // diffida does not count.
    roll.pecs[BIANCHI].as_mut().unwrap().valid = false;
    assert_eq!(
        roll.assess(BIANCHI, (2026, 7, 21)),
        Compliance::DiffidaDue {
            channel: DiffidaChannel::Pec("anna.bianchi@legalmail.it".into())
        }
    );
}

#[test]
fn the_term_runs_from_sending_when_receipt_is_unknown() {
    let mut roll = Roll::new();
    roll.diffide[BIANCHI].push(diffida(date(2025, 1, 31), None, DiffidaChannel::Letter));
    assert_eq!(
        roll.assess(BIANCHI, (2025, 3, 2)),
        Compliance::Warned {
            sent_on: date(2025, 1, 31),
            deadline: date(2025, 3, 2)
        }
    );
    assert!(matches!(
        roll.assess(BIANCHI, (2025, 3, 3)),
        Compliance::ToSuspend { .. }
    ));
    // A diffida dated after the day assessed is not yet sent.
    assert!(matches!(
        roll.assess(BIANCHI, (2025, 1, 30)),
        Compliance::DiffidaDue { .. }
    ));
}

#[test]
fn a_diffida_by_pec_that_was_not_delivered_is_void_and_the_next_goes_by_letter() {
    let mut roll = Roll::new();
    let address = "nicolo.conte@pec.it";
    let mut sent = diffida(date(2025, 6, 3), None, DiffidaChannel::Pec(address.into()));
    sent.undelivered = true;
    roll.diffide[CONTE].push(sent);
    // No term runs from a diffida that never arrived: a new one is due, by letter.
    assert_eq!(
        roll.assess(CONTE, (2025, 6, 4)),
        Compliance::DiffidaDue {
            channel: DiffidaChannel::Letter
        }
    );
    assert!(roll.report((2025, 8, 1)).to_suspend.is_empty());
    // A new address communicated later is written to by PEC again.
    roll.pecs[CONTE] = Some(pec("conte.nicolo@pec.it", date(2025, 6, 10), false));
    assert_eq!(
        roll.assess(CONTE, (2025, 6, 11)),
        Compliance::DiffidaDue {
            channel: DiffidaChannel::Pec("conte.nicolo@pec.it".into())
        }
    );
    // The letter opens the term as usual.
    roll.pecs[CONTE] = None;
    roll.diffide[CONTE].push(diffida(
        date(2025, 6, 12),
        Some(date(2025, 6, 14)),
        DiffidaChannel::Letter,
    ));
    assert_eq!(
        roll.assess(CONTE, (2025, 6, 20)),
        Compliance::Warned {
            sent_on: date(2025, 6, 12),
            deadline: date(2025, 7, 14)
        }
    );
}
