//! Message logs (CSV), alone and beside mail.
//!
//! tests/fixtures/team-chat.csv, worked by hand: in `general`, m2 answers
//! m1 (30 s, inferred: the previous row), m3 is bob following himself up,
//! m4 answers m2 explicitly (270 s), m5 answers m4 (3300 s, inferred); the
//! second m2 row is a duplicate. In `dm`, d2 answers d1 at the same second
//! (0 s; read order breaks the tie). Responses 0, 30, 270, 3300: mean 900,
//! p50 150, p90 270 + 0.7 × 3030 = 2391; 3 of 4 within 5 min. The first
//! four rows of `general` are one live session (gaps ≤ 5 min, 2 senders):
//! 4 of 7 timed messages. First responses: 30 s and 0 s.

use crate::util::{assert_accounting, check, fixture, report};

#[test]
fn a_chat_log_by_hand() {
    let chat = fixture("team-chat.csv");
    let run = report(&[chat.to_str().unwrap(), "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let summary = run.summary();
    assert_accounting(&summary);
    check(
        &summary,
        &[
            ("messages_read", "8"),
            ("duplicates", "1"),
            ("messages", "7"),
            ("threads", "2"),
            ("responses", "4"),
            ("follow_ups", "1"),
            ("response_time_s.mean", "900"),
            ("response_time_s.p50", "150"),
            ("response_time_s.p90", "2391"),
            ("response_time_s.max", "3300"),
            ("sync_responses", "3"),
            ("response_sync_ratio", "0.75"),
            ("live_session_messages", "4"),
            ("sync_message_share", "0.5714285714285714"),
            ("first_response_time_s.count", "2"),
            ("first_response_time_s.p50", "15"),
            ("inputs.0.format", "csv_log"),
        ],
    );
}

#[test]
fn mail_and_chat_in_one_report() {
    let chat = fixture("team-chat.csv");
    let mail = fixture("thread-basics.mbox");
    let summary = report(&[mail.to_str().unwrap(), chat.to_str().unwrap(), "-q"]).summary();
    assert_accounting(&summary);
    check(
        &summary,
        &[
            ("messages_read", "18"),
            ("responses", "7"),
            ("threads", "4"),
            ("by_channel.chat.responses", "4"),
            ("by_channel.chat.response_time_s.p50", "150"),
            ("by_channel.email.responses", "3"),
            ("by_channel.email.response_time_s.p50", "120"),
            ("by_channel.chat.live_session_messages", "4"),
            ("by_channel.email.live_session_messages", "3"),
            ("first_response_by_channel.chat.count", "2"),
            ("first_response_by_channel.email.count", "1"),
        ],
    );
}
