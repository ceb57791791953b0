//! The mbox splitter and header parsing, on any bytes: the two ways a
//! mailbox is cut into messages (a memory map's blocks, a stream's blocks)
//! must find the same messages, and every message read is accounted for.
#![no_main]

use commlens::ingest::mbox::{Blocks, block_bounds, parse_block};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Small blocks, so that inputs of a few KB still cross block edges.
    let mapped: Vec<u64> = block_bounds(data, 64)
        .flat_map(|range| {
            let start = range.start as u64;
            parse_block(&data[range], start, 0).messages.into_iter().map(|(at, _)| at)
        })
        .collect();
    let mut streamed = Vec::new();
    let mut blocks = Blocks::new(data, Vec::new(), 64, 1 << 20);
    while let Some((at, block)) = blocks.next_block().expect("reading a slice cannot fail") {
        streamed.extend(parse_block(&block, at, 0).messages.into_iter().map(|(at, _)| at));
    }
    assert_eq!(mapped, streamed, "both splitters find the same messages at the same offsets");
});
