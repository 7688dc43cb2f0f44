//! Which column holds what: header names are compared lowercased, accents
//! and everything but letters and digits removed (`Data di nascita` →
//! `datadinascita`), against the names Orders' rolls use.

use taxid::codice_fiscale::names;

/// A field of the roll.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    CodiceFiscale,
    Surname,
    Name,
    BirthDate,
    BirthPlace,
    BirthProvince,
    Sex,
    RegistrationNumber,
    RegistrationDate,
    Section,
    Status,
    CancellationDate,
    Ctu,
    Pec,
    Email,
    Street,
    Postcode,
    Municipality,
    Province,
}

/// Each field with the header names that mean it.
const NAMES: &[(Field, &[&str])] = &[
    (
        Field::CodiceFiscale,
        &["codicefiscale", "cf", "codfiscale", "codfisc", "taxcode"],
    ),
    (Field::Surname, &["cognome", "surname"]),
    (Field::Name, &["nome", "name"]),
    (
        Field::BirthDate,
        &["datanascita", "datadinascita", "nascita", "birthdate"],
    ),
    (
        Field::BirthPlace,
        &[
            "luogonascita",
            "luogodinascita",
            "comunenascita",
            "comunedinascita",
            "birthplace",
        ],
    ),
    (
        Field::BirthProvince,
        &["provincianascita", "provinciadinascita", "provnascita"],
    ),
    (Field::Sex, &["sesso", "sex"]),
    (
        Field::RegistrationNumber,
        &[
            "numeroiscrizione",
            "numiscrizione",
            "niscrizione",
            "nriscrizione",
            "matricola",
        ],
    ),
    (Field::RegistrationDate, &["dataiscrizione", "datadiiscrizione"]),
    (Field::Section, &["sezione", "albo", "section"]),
    (Field::Status, &["stato", "status"]),
    (Field::CancellationDate, &["datacancellazione", "datadicancellazione"]),
    (Field::Ctu, &["ctu", "consulentetecnico", "consulentetecnicodufficio"]),
    (Field::Pec, &["pec", "indirizzopec", "domiciliodigitale"]),
    (Field::Email, &["email", "mail", "emailordinaria", "posta"]),
    (Field::Street, &["indirizzo", "via", "domiciliolegale"]),
    (Field::Postcode, &["cap"]),
    (Field::Municipality, &["comune", "citta"]),
    (Field::Province, &["provincia", "prov"]),
];

/// The fields a row cannot do without.
pub const REQUIRED: [(Field, &str); 3] = [
    (Field::CodiceFiscale, "codice fiscale"),
    (Field::Surname, "cognome"),
    (Field::Name, "nome"),
];

fn normalise(header: &str) -> String {
    // `names` folds accented letters the way codice fiscale codes need.
    header
        .chars()
        .filter_map(|c| {
            if c.is_ascii_digit() {
                Some(c)
            } else {
                names::base_letter(c).map(|b| char::from(b).to_ascii_lowercase())
            }
        })
        .collect()
}

/// The column index of each field found in the header; the first column
/// with a field's name wins.
#[derive(Clone, Debug, Default)]
pub struct Columns {
    found: Vec<(Field, usize)>,
}

impl Columns {
    pub fn locate<'a>(header: impl IntoIterator<Item = &'a str>) -> Columns {
        let mut columns = Columns::default();
        for (index, name) in header.into_iter().enumerate() {
            let name = normalise(name);
            let field = NAMES
                .iter()
                .find(|(_, names)| names.contains(&name.as_str()))
                .map(|(f, _)| *f);
            if let Some(field) = field
                && columns.index(field).is_none()
            {
                columns.found.push((field, index));
            }
        }
        columns
    }

    pub fn index(&self, field: Field) -> Option<usize> {
        self.found.iter().find(|(f, _)| *f == field).map(|(_, i)| *i)
    }

    /// The required fields without a column, by their Italian header name.
    pub fn missing(&self) -> Vec<&'static str> {
        REQUIRED
            .iter()
            .filter(|(f, _)| self.index(*f).is_none())
            .map(|(_, name)| *name)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_are_matched_loosely() {
        let columns = Columns::locate([
            "Codice Fiscale",
            "COGNOME",
            "Nome",
            "Data di nascita",
            "Indirizzo PEC",
            "Città",
        ]);
        assert_eq!(columns.index(Field::CodiceFiscale), Some(0));
        assert_eq!(columns.index(Field::BirthDate), Some(3));
        assert_eq!(columns.index(Field::Pec), Some(4));
        assert_eq!(columns.index(Field::Street), None);
        assert_eq!(columns.index(Field::Municipality), Some(5));
        assert!(columns.missing().is_empty());
        assert_eq!(Columns::locate(["cf", "nome"]).missing(), vec!["cognome"]);
    }
}
