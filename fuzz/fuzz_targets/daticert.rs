//! Any bytes as daticert.xml: the tolerant reader must never panic, and what it
//! reads must be written and read back to the same model.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((d, _)) = pec::daticert::read(data) {
        let written = pec::daticert::write(&d);
        let (again, _) = pec::daticert::read(written.as_bytes()).expect("our own output must read back");
        assert_eq!(pec::daticert::write(&again), written);
    }
});
