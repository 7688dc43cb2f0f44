//! The three conventions of the notices, as documented in `src/convention/format.md`.
#![allow(dead_code)]

use chrono::{DateTime, NaiveDate, Utc};
use lifecycle::convention::Convention;
use lifecycle::holder::{Holder, TaxId};

const FORMAT: &str = include_str!("../../src/convention/format.md");

/// The `toml` blocks of the format's documentation: Aruba, Poste, DCS.
pub fn documented_examples() -> Vec<&'static str> {
    FORMAT
        .split("```toml\n")
        .skip(1)
        .map(|block| block.split("```").next().unwrap())
        .collect()
}

pub fn aruba() -> Convention {
    Convention::from_toml(documented_examples()[0]).unwrap()
}

pub fn poste() -> Convention {
    Convention::from_toml(documented_examples()[1]).unwrap()
}

pub fn dcs() -> Convention {
    Convention::from_toml(documented_examples()[2]).unwrap()
}

pub fn holder() -> Holder {
    Holder {
        tax_id: TaxId::parse("RSSMRA85T10A562S").unwrap(),
        name: "Mario Rossi".into(),
        billing_address: "Via Roma 1, 15121 Alessandria AL".into(),
        reference_email: Some("mario.rossi@example.it".into()),
    }
}

pub fn utc(text: &str) -> DateTime<Utc> {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

pub fn date(text: &str) -> NaiveDate {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}
