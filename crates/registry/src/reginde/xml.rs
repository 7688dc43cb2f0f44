//! `ComunicazioniSoggetti.xml` as the project's schema
//! (`crates/registry/schema/ComunicazioniSoggetti.xsd`) describes it. Element
//! names are ours, chosen from the field names of [ReGIndE-v1] §2.5 and §5,
//! until the official XSD is obtained (registries.md 2.7).
//!
//! ```text
//! <ComunicazioniSoggetti>
//!   <EnteMittente>…</EnteMittente>
//!   <ComunicazioneInteroAlbo>true|false</ComunicazioneInteroAlbo>
//!   <Soggetti>
//!     <Soggetto>
//!       <OperazioneRichiesta>inserimento|cancellazione|modifica</OperazioneRichiesta>  (incremental only)
//!       <Ruolo>Altro Professionista</Ruolo> <Stato>attivo</Stato>
//!       <CodiceFiscale/> <Cognome/> <Nome/>
//!       <DataNascita/>? <LuogoNascita/>? <ProvinciaNascita/>? <PEC/>?
//!       <DomicilioLegale> <Indirizzo/> <CAP/> <Comune/> <Provincia/> <Telefono/>? <Fax/>? <Email/>? </DomicilioLegale>
//!     </Soggetto>
//!   </Soggetti>
//! </ComunicazioniSoggetti>
//! ```

use quick_xml::escape::escape;

use super::{Comunicazione, Soggetto};

/// The file's text, UTF-8, one element per line, indented by two spaces.
pub fn render(communication: &Comunicazione) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ComunicazioniSoggetti>\n");
    element(&mut out, 1, "EnteMittente", &communication.codice_ente);
    element(
        &mut out,
        1,
        "ComunicazioneInteroAlbo",
        if communication.whole_roll { "true" } else { "false" },
    );
    out.push_str("  <Soggetti>\n");
    for (operation, subject) in &communication.subjects {
        out.push_str("    <Soggetto>\n");
        // Ignored in a whole roll ([ReGIndE-v1] §2.5): not written there.
        if let (Some(op), false) = (operation, communication.whole_roll) {
            element(&mut out, 3, "OperazioneRichiesta", &op.to_string());
        }
        subject_fields(&mut out, subject);
        out.push_str("    </Soggetto>\n");
    }
    out.push_str("  </Soggetti>\n</ComunicazioniSoggetti>\n");
    out
}

fn subject_fields(out: &mut String, s: &Soggetto) {
    element(out, 3, "Ruolo", &s.role.to_string());
    element(out, 3, "Stato", &s.status.to_string());
    element(out, 3, "CodiceFiscale", s.codice_fiscale.as_str());
    element(out, 3, "Cognome", &s.surname);
    element(out, 3, "Nome", &s.name);
    let birth_date = s.birth_date.map(|d| d.format("%Y-%m-%d").to_string());
    optional(out, 3, "DataNascita", birth_date.as_deref());
    optional(out, 3, "LuogoNascita", s.birth_municipality.as_deref());
    optional(out, 3, "ProvinciaNascita", s.birth_province.as_deref());
    optional(out, 3, "PEC", s.pec.as_deref());
    let d = &s.legal_domicile;
    out.push_str("      <DomicilioLegale>\n");
    element(out, 4, "Indirizzo", &d.street);
    element(out, 4, "CAP", &d.postcode);
    element(out, 4, "Comune", &d.municipality);
    element(out, 4, "Provincia", &d.province);
    optional(out, 4, "Telefono", d.phone.as_deref());
    optional(out, 4, "Fax", d.fax.as_deref());
    optional(out, 4, "Email", s.email.as_deref());
    out.push_str("      </DomicilioLegale>\n");
}

fn element(out: &mut String, depth: usize, name: &str, text: &str) {
    for _ in 0..depth {
        out.push_str("  ");
    }
    out.push('<');
    out.push_str(name);
    out.push('>');
    out.push_str(&escape(text));
    out.push_str("</");
    out.push_str(name);
    out.push_str(">\n");
}

fn optional(out: &mut String, depth: usize, name: &str, text: Option<&str>) {
    if let Some(text) = text.filter(|t| !t.trim().is_empty()) {
        element(out, depth, name, text);
    }
}
