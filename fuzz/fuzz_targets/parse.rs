//! Any bytes as a received message: classification, daticert, signature check and the
//! access point's reading of a submission must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = pec::parse(data, None);
    if let Ok(original) = pec::original::Original::parse(data) {
        let _ = original.recipients();
        let _ = pec::build::hash_attachments(original.raw());
    }
});
