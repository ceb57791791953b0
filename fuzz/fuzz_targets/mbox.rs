//! The mbox splitter and header parsing, on any bytes: the two ways a
//! mailbox is cut into messages (a plain file's blocks, ended at the first
//! separator past a size, and a stream's blocks) must find the same
//! messages, and every message read is accounted for.
#![no_main]

use commlens::ingest::mbox::{Blocks, leading_blank_lines, parse_block, separator_in};
use commlens::model::Interner;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Small blocks, so that inputs of a few KB still cross block edges.
    let mut plain = Vec::new();
    let strings = &mut Interner::default();
    let mut start = leading_blank_lines(data);
    while start < data.len() {
        let from = (start + 64).min(data.len());
        let end = separator_in(data, from..data.len()).unwrap_or(data.len());
        plain.extend(parse_block(&data[start..end], start as u64, 0, true, strings).messages.into_iter().map(|(at, _)| at));
        start = end;
    }
    let mut streamed = Vec::new();
    let skip = leading_blank_lines(data);
    let mut blocks = Blocks::new(&data[skip..], Vec::new(), 64, 1 << 20);
    while let Some(block) = blocks.next_block().expect("reading a slice cannot fail") {
        streamed.extend(block.parse(skip as u64, 0, true, strings).messages.into_iter().map(|(at, _)| at));
    }
    assert_eq!(plain, streamed, "both splitters find the same messages at the same offsets");
});
