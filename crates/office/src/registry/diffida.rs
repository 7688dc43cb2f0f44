//! The diffida's words: the formal warning of DL 185/2008 art. 16 c.7-bis, as a
//! PEC's subject and text, and as a printable letter with its address.

use std::fmt::Write as _;

use chrono::NaiveDate;
use registry::Member;
use registry::compliance;

pub(crate) const SUBJECT: &str = "Diffida ad adempiere: comunicazione del domicilio digitale";

/// The name and legal domicile a letter is addressed to.
pub(crate) fn letter_head(m: &Member) -> String {
    let mut head = format!("{} {}", m.name, m.surname);
    if let Some(d) = &m.legal_domicile {
        let _ = write!(
            head,
            "\n{}\n{} {} ({})",
            d.street, d.postcode, d.municipality, d.province
        );
    }
    head
}

/// DL 185/2008 art. 16 c.7-bis: the formal warning, giving 30 days
/// ([`compliance::DEADLINE_DAYS`]) from its receipt.
pub(crate) fn text(order: &str, m: &Member, on: NaiveDate) -> String {
    let deadline = on + chrono::Days::new(compliance::DEADLINE_DAYS);
    format!(
        "{order}\n\nAl/alla dott. {name} {surname}, codice fiscale {cf}\n\n\
         Oggetto: diffida ad adempiere all'obbligo di comunicazione del domicilio digitale\n\n\
         Ai sensi dell'art. 16, comma 7-bis, del D.L. 29 novembre 2008, n. 185, come modificato \
         dall'art. 37 del D.L. 16 luglio 2020, n. 76, ogni iscritto all'albo e' tenuto a comunicare \
         all'Ordine il proprio domicilio digitale (indirizzo PEC). Dai nostri registri non risulta \
         comunicato un indirizzo PEC valido.\n\n\
         La S.V. e' diffidata a provvedere entro trenta giorni dal ricevimento della presente, e \
         comunque entro il {deadline}. Decorso inutilmente tale termine, il Consiglio dell'Ordine \
         disporra' la sospensione dall'albo fino alla comunicazione del domicilio digitale.\n\n\
         Data: {date}",
        name = m.name,
        surname = m.surname,
        cf = m.codice_fiscale.as_str(),
        deadline = deadline.format("%d/%m/%Y"),
        date = on.format("%d/%m/%Y"),
    )
}
