//! The surname and first-name codes, positions 1-6 (DM 23/12/1976 n. 13813;
//! registries.md 4.1): consonants first, then vowels, padded with `X`; a first
//! name with four or more consonants takes the 1st, 3rd and 4th.
//!
//! Accented letters count as their base letter (`Nicolò` → `NCL`); spaces,
//! apostrophes and any other character are skipped (`D'Amico` → `DMC`).

/// The three letters of a surname.
pub fn surname_code(surname: &str) -> String {
    let (consonants, vowels) = split(surname);
    pad(consonants.into_iter().chain(vowels))
}

/// The three letters of a first name.
pub fn name_code(name: &str) -> String {
    let (consonants, vowels) = split(name);
    if consonants.len() >= 4 {
        return [consonants[0], consonants[2], consonants[3]]
            .iter()
            .map(|&c| char::from(c))
            .collect();
    }
    pad(consonants.into_iter().chain(vowels))
}

fn pad(letters: impl Iterator<Item = u8>) -> String {
    letters.chain(std::iter::repeat(b'X')).take(3).map(char::from).collect()
}

/// The consonants and the vowels of a name, uppercase ASCII, in order.
fn split(text: &str) -> (Vec<u8>, Vec<u8>) {
    let letters = text.chars().filter_map(base_letter);
    letters.partition(|c| !b"AEIOU".contains(c))
}

/// An ASCII uppercase letter, or the base letter of an accented Latin one,
/// uppercase; `None` for anything else.
pub fn base_letter(c: char) -> Option<u8> {
    let c = c.to_uppercase().next().unwrap_or(c);
    if c.is_ascii_uppercase() {
        return Some(c as u8);
    }
    let base = match c {
        'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => b'A',
        'È' | 'É' | 'Ê' | 'Ë' => b'E',
        'Ì' | 'Í' | 'Î' | 'Ï' => b'I',
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' => b'O',
        'Ù' | 'Ú' | 'Û' | 'Ü' => b'U',
        'Ç' => b'C',
        'Ñ' => b'N',
        'Ý' => b'Y',
        _ => return None,
    };
    Some(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surname_takes_consonants_then_vowels_then_x() {
        assert_eq!(surname_code("Rossi"), "RSS");
        assert_eq!(surname_code("Bianchi"), "BNC");
        assert_eq!(surname_code("Rea"), "REA");
        assert_eq!(surname_code("Fo"), "FOX");
        assert_eq!(surname_code("D'Amico"), "DMC");
        assert_eq!(surname_code("De Luca"), "DLC");
    }

    #[test]
    fn name_with_four_consonants_skips_the_second() {
        assert_eq!(name_code("Mario"), "MRA");
        assert_eq!(name_code("Gianfranco"), "GFR");
        assert_eq!(name_code("Nicolò"), "NCL");
        assert_eq!(name_code("Ugo"), "GUO");
        assert_eq!(name_code("Al"), "LAX");
    }
}
