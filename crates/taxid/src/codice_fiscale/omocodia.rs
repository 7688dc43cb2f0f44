//! Omocodia: when two people would get the same code, the Agenzia delle Entrate
//! replaces digits with letters, starting from the rightmost digit and moving
//! left: 0→L 1→M 2→N 3→P 4→Q 5→R 6→S 7→T 8→U 9→V (registries.md 4.3).
//!
//! The Agenzia substitutes from the right, but codes with any set of the seven
//! positions substituted are in circulation and every validator we know of
//! accepts them; so does this one. Decoding undoes the substitutions first.

/// The substitutable positions, 0-based, in the order the Agenzia uses them
/// (positions 15, 14, 13, 11, 10, 8, 7 counted from 1).
pub(crate) const POSITIONS: [usize; 7] = [14, 13, 12, 10, 9, 7, 6];

/// The letter standing for each digit 0-9.
const LETTERS: &[u8; 10] = b"LMNPQRSTUV";

/// Whether the 0-based index holds a digit that omocodia may replace.
pub(crate) fn is_substitutable(index: usize) -> bool {
    POSITIONS.contains(&index)
}

/// The digit a character stands for at a substitutable position: a digit
/// itself, or one of the omocodic letters.
pub(crate) fn digit_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        _ => LETTERS.iter().position(|&l| l == c).map(|d| d as u8),
    }
}

/// The letter replacing a digit (0-9).
pub(crate) fn letter_for(digit: u8) -> u8 {
    LETTERS[usize::from(digit % 10)]
}

/// How many positions carry a substitution.
pub(crate) fn level(code: &[u8]) -> u32 {
    POSITIONS
        .iter()
        .filter(|&&i| code.get(i).is_some_and(|c| c.is_ascii_uppercase()))
        .count() as u32
}

/// The first 15 characters with every substitution undone.
pub(crate) fn undo(code: &[u8]) -> Vec<u8> {
    code.iter()
        .take(15)
        .enumerate()
        .map(|(i, &c)| {
            if is_substitutable(i) {
                digit_value(c).map_or(c, |d| b'0' + d)
            } else {
                c
            }
        })
        .collect()
}

/// The first 15 characters of a code without substitutions, with the positions
/// picked by `mask` substituted: bit 0 is position 15, bit 1 position 14, and
/// so on leftwards ([`POSITIONS`]'s order).
pub(crate) fn substitute(plain: &[u8], mask: u8) -> Vec<u8> {
    let mut out: Vec<u8> = plain.iter().take(15).copied().collect();
    for (bit, &i) in POSITIONS.iter().enumerate() {
        if mask & (1 << bit) != 0
            && let Some(c) = out.get_mut(i)
            && c.is_ascii_digit()
        {
            *c = letter_for(*c - b'0');
        }
    }
    out
}
