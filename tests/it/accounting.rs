//! The accounting identity as a property: over random mailboxes with
//! random corruptions, every message written is read exactly once, and
//! messages_read = messages + duplicates + excluded + skipped.

use proptest::prelude::*;
use std::io::Write;

/// One generated message: what it is, and how it is corrupted.
#[derive(Debug, Clone)]
struct Spec {
    id: Option<u8>,
    spam: bool,
    crlf: bool,
    header_noise: Option<Vec<u8>>,
    body: Vec<BodyLine>,
}

#[derive(Debug, Clone)]
enum BodyLine {
    Text(String),
    /// `From ` inside a body, escaped (`>From `) mboxrd style.
    EscapedFrom,
    /// An unescaped `From ` line that does not follow a blank line.
    GluedFrom,
    /// After a blank line, but not an envelope (no date).
    ProseFrom,
    Blank,
}

fn body_line() -> impl Strategy<Value = BodyLine> {
    prop_oneof![
        4 => "[a-zA-Z0-9 ,.:]{0,40}".prop_map(BodyLine::Text),
        1 => Just(BodyLine::EscapedFrom),
        1 => Just(BodyLine::GluedFrom),
        1 => Just(BodyLine::ProseFrom),
        1 => Just(BodyLine::Blank),
    ]
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        proptest::option::weighted(0.8, 0u8..20),
        proptest::bool::weighted(0.1),
        any::<bool>(),
        proptest::option::weighted(0.2, proptest::collection::vec(any::<u8>(), 0..40)),
        proptest::collection::vec(body_line(), 0..12),
    )
        .prop_map(|(id, spam, crlf, header_noise, body)| Spec {
            id,
            spam,
            crlf,
            header_noise,
            body,
        })
}

fn render(specs: &[Spec]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, s) in specs.iter().enumerate() {
        let nl: &[u8] = if s.crlf { b"\r\n" } else { b"\n" };
        let mut line = |text: &[u8]| {
            out.extend_from_slice(text);
            out.extend_from_slice(nl);
        };
        line(b"From someone@example.org Mon Jan  1 10:00:00 2024");
        line(format!("Date: Mon, 1 Jan 2024 10:{:02}:00 +0000", i % 60).as_bytes());
        line(format!("From: person{}@example.org", i % 5).as_bytes());
        if let Some(id) = s.id {
            line(format!("Message-ID: <m{id}@example.org>").as_bytes());
        }
        if s.spam {
            line(b"X-Gmail-Labels: Inbox,Spam");
        }
        if let Some(noise) = &s.header_noise {
            // Arbitrary bytes inside the header block, newlines kept out
            // so that they cannot fake a separator.
            let noise: Vec<u8> = noise
                .iter()
                .map(|&b| if b == b'\n' || b == b'\r' { b' ' } else { b })
                .collect();
            line(&noise);
        }
        line(b"");
        let mut previous_blank = true;
        for b in &s.body {
            let text: Vec<u8> = match b {
                BodyLine::Text(t) => t.clone().into_bytes(),
                BodyLine::EscapedFrom => b">From someone Mon Jan  1 10:00:00 2024".to_vec(),
                BodyLine::GluedFrom if previous_blank => b"glue".to_vec(),
                BodyLine::GluedFrom => b"From someone Mon Jan  1 10:00:00 2024".to_vec(),
                BodyLine::ProseFrom => b"From what I saw, it works".to_vec(),
                BodyLine::Blank => Vec::new(),
            };
            previous_blank = text.is_empty();
            line(&text);
        }
        line(b"");
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_message_is_read_once_and_accounted_for(specs in proptest::collection::vec(spec(), 1..40)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("random.mbox");
        std::fs::File::create(&path).unwrap().write_all(&render(&specs)).unwrap();

        let ingested = commlens::ingest::read_all(vec![path], &Default::default());
        let input = &ingested.inputs[0];
        prop_assert_eq!(input.problem.as_deref(), None);
        prop_assert_eq!(input.read, specs.len() as u64, "every message written is read once");
        // A spam message whose header noise breaks parsing is skipped instead.
        prop_assert!(input.excluded_total() <= specs.iter().filter(|s| s.spam).count() as u64);
        let skipped = input.skipped.len() as u64;
        let table = commlens::normalize::dedup(ingested.messages);
        prop_assert_eq!(
            input.read,
            table.messages.len() as u64 + table.duplicates + input.duplicates + input.excluded_total() + skipped
        );
    }
}
