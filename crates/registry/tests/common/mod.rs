//! Members for the integration tests.

#![allow(dead_code)]

use chrono::NaiveDate;
use registry::model::{BirthPlace, PostalAddress};
use registry::{Member, MemberStatus, Sex, TaxId};

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// An active member with the data every export needs.
pub fn member(cf: &str, surname: &str, name: &str, number: &str) -> Member {
    let tax_id = TaxId::parse(cf).unwrap();
    let personal = tax_id.personal().unwrap();
    Member {
        birth_date: personal.birth_date(date(2025, 1, 1)).ok(),
        sex: Some(personal.sex()),
        codice_fiscale: tax_id,
        surname: surname.into(),
        name: name.into(),
        birth_place: Some(BirthPlace {
            municipality: "Firenze".into(),
            province: Some("FI".into()),
        }),
        registration_number: Some(number.into()),
        registration_date: Some(date(2010, 9, 15)),
        section: Some("Medici chirurghi".into()),
        status: MemberStatus::Active,
        cancellation_date: None,
        ctu: false,
        legal_domicile: Some(PostalAddress {
            street: "Via dei Servi 12".into(),
            postcode: "50122".into(),
            municipality: "Firenze".into(),
            province: "FI".into(),
            phone: None,
            fax: None,
        }),
        email: None,
    }
}

pub fn female(mut m: Member) -> Member {
    m.sex = Some(Sex::Female);
    m
}
