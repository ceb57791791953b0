//! The lenient date parser and address handling on any text: no panics,
//! and a parsed date is a real instant.
#![no_main]

use commlens::normalize::date;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Some(t) = date::parse(&text) {
        assert!(chrono::DateTime::from_timestamp_millis(t).is_some(), "{text:?} gave {t}");
    }
    let _ = commlens::normalize::email::msg_ids(data).count();
});
