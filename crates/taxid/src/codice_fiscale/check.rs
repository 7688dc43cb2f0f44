//! The check character, position 16 (DM 23/12/1976 n. 13813; tables in
//! `../shared/docs/registries.md` 4.2).
//!
//! Omocodic letters take part with their letter value, so an omocode is checked
//! by the same tables as the code it comes from (registries.md 4.3).

/// Values of characters in odd positions (1st, 3rd, ... 15th), indexed by the
/// character's plain value: digits 0-9 and letters A-Z on the same line share one.
const ODD: [u32; 26] = [
    1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
];

/// The check letter of the first 15 characters, which must be ASCII digits or
/// uppercase letters (the caller has checked the shape).
pub(crate) fn check_character(first15: &[u8]) -> u8 {
    let plain = |c: u8| -> u32 {
        match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A'),
            _ => 0,
        }
    };
    let sum: u32 = first15
        .iter()
        .take(15)
        .enumerate()
        // Index 0 is position 1, an odd position.
        .map(|(i, &c)| if i % 2 == 0 { ODD[plain(c) as usize] } else { plain(c) })
        .sum();
    b'A' + (sum % 26) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_have_their_check_character() {
        for code in [
            "RSSMRA80A01H501U",
            "BLTMHL77S04E889G",
            "BRNPRZ72D52F83VC",
            "SCKCKH79A01Z34PP",
        ] {
            assert_eq!(check_character(&code.as_bytes()[..15]), code.as_bytes()[15], "{code}");
        }
    }
}
