//! Every input format, on any bytes: format detection, the message-log,
//! chat, SMS, call and calendar parsers, gzip and zip. Nothing panics, and
//! every record read is kept, a duplicate, excluded or skipped, once.
#![no_main]

use commlens::ingest::{Options, read_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let options = Options {
        now: 1_735_689_600_000,
        ..Options::default()
    };
    let (input, messages) = read_bytes(data, "WhatsApp Chat with Fuzz.txt", &options);
    assert_eq!(input.kept, messages.len() as u64);
    assert_eq!(
        input.read,
        input.kept + input.duplicates + input.excluded_total() + input.skipped.len() as u64,
        "read = kept + duplicates + excluded + skipped"
    );
});
