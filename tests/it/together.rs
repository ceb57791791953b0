//! Mail, chat and calendar read together (issue: one folder holding an
//! mbox, a Slack export, a WhatsApp chat, a Telegram export and an .ics
//! file): one report, with each source's figures exactly what it gives
//! alone, and every message of every export accounted for.

use crate::util::{assert_accounting, fixture, report};
use serde_json::Value;
use std::path::Path;

/// The exports, from tests/fixtures: each a file or a folder.
const EXPORTS: [&str; 6] = [
    "thread-basics.mbox",
    "formats/slack_export",
    "formats/WhatsApp Chat with Hiking Club.txt",
    "formats/telegram_chat.json",
    "formats/discord_channel.json",
    "formats/calendar.ics",
];

fn copy(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            copy(&entry.path(), &to.join(entry.file_name()));
        }
    } else {
        std::fs::copy(from, to).unwrap();
    }
}

fn summary_of(input: &Path, args: &[&str]) -> Value {
    let mut all = vec![input.to_str().unwrap(), "-q", "--format", "json"];
    all.extend(args);
    report(&all).summary()
}

fn count(summary: &Value, key: &str) -> u64 {
    let mut value = summary;
    for part in key.split('.') {
        value = &value[part];
    }
    value.as_u64().unwrap_or(0)
}

#[test]
fn one_report_over_mail_chats_and_a_calendar() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("exports");
    std::fs::create_dir(&folder).unwrap();
    // The WhatsApp fixture's times are Berlin time; so is the calendar's floating time.
    let tz = ["--tz", "Europe/Berlin"];
    let alone: Vec<Value> = EXPORTS
        .iter()
        .map(|name| {
            let from = fixture(name);
            let to = folder.join(from.file_name().unwrap());
            copy(&from, &to);
            summary_of(&to, &tz)
        })
        .collect();
    let together = summary_of(&folder, &tz);
    assert_accounting(&together);

    let inputs = together["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), EXPORTS.len(), "the Slack folder is one input");
    let mut formats: Vec<&str> = inputs.iter().map(|i| i["format"].as_str().unwrap()).collect();
    formats.sort_unstable();
    assert_eq!(
        formats,
        ["discord", "icalendar", "mbox", "slack", "telegram", "whatsapp"]
    );

    // Nothing is shared between the exports, so every count adds up.
    for key in [
        "messages_read",
        "messages",
        "duplicates",
        "excluded",
        "responses",
        "follow_ups",
        "sync_time.events",
    ] {
        let sum: u64 = alone.iter().map(|s| count(s, key)).sum();
        assert_eq!(count(&together, key), sum, "{key}");
    }
    let skipped = |s: &Value| {
        s["skipped"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum::<u64>()
    };
    assert_eq!(skipped(&together), alone.iter().map(skipped).sum::<u64>());

    // Each channel's response times are those of its sources alone.
    assert_eq!(together["by_channel"]["email"], alone[0]["by_channel"]["email"]);
    let chat_responses: u64 = alone.iter().map(|s| count(s, "by_channel.chat.responses")).sum();
    assert_eq!(count(&together, "by_channel.chat.responses"), chat_responses);
    assert!(together["by_channel"]["chat"]["response_time_s"]["p50"].is_number());
    assert!(together["by_channel"]["chat"]["response_sync_ratio"].is_number());
    // Meetings are synchronous hours beside the message ratios.
    assert_eq!(together["sync_time"], alone[5]["sync_time"]);
    assert!(together["sync_time"]["hours"].as_f64().unwrap() > 0.0);
    assert!(
        together["by_channel"].get("meeting").is_none(),
        "meetings are not messages"
    );
}
