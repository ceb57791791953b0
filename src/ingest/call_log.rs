//! The call log XML of "SMS Backup & Restore" (SyncTech): `<calls
//! count="N">` of `<call number=".." duration="seconds" date="ms"
//! type=".." contact_name=".."/>`.
//!
//! A call that was talked (incoming or outgoing, or answered on another
//! device, with a duration above zero) is a row of synchronous time: a
//! `call` event whose conversation is the other party's normalized number
//! and whose sender is the caller (the other party, or the phone's owner
//! `me`). Calls nobody talked in are not synchronous time: missed,
//! voicemail, rejected and blocked calls are excluded as `missed_call`,
//! answered-type calls of zero seconds as `unanswered_call`.

use super::sms_backup::{OWNER, fields, normalize_number, parse_millis, reader, root_element, text};
use super::synthetic_id::SyntheticIds;
use super::{FileRead, Options};
use crate::model::{DateSource, Kind, Message, Parsed, Text};
use quick_xml::events::{BytesStart, Event};

/// Who calls whom, from Android's `CallLog.Calls.TYPE`.
enum Direction {
    Incoming,
    Outgoing,
}

pub(super) fn sniff(head: &[u8]) -> bool {
    root_element(head).as_deref() == Some(b"calls".as_slice())
}

pub(super) fn read(data: &[u8], _name: &str, source: u32, _options: &Options) -> FileRead {
    let mut out = FileRead::default();
    let mut ids = SyntheticIds::default();
    let mut reader = reader(data);
    let mut count = 0usize;
    loop {
        let position = reader.buffer_position();
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == b"call" => {
                let parsed = call(&e, &mut ids, source);
                out.add(parsed, source, || format!("call[{count}]"));
                count += 1;
            }
            Ok(Event::Eof) => break,
            Err(_) => {
                let at = format!("byte {}", reader.error_position());
                out.add(Parsed::Skipped("malformed_xml"), source, || at);
                if reader.buffer_position() <= position {
                    break;
                }
            }
            Ok(_) => {}
        }
    }
    out
}

fn call(e: &BytesStart<'_>, ids: &mut SyntheticIds, source: u32) -> Parsed {
    let Some([number, duration, date, kind]) = fields(e, [b"number", b"duration", b"date", b"type"]) else {
        return Parsed::Skipped("malformed_xml");
    };
    let direction = match kind.as_deref() {
        // 7: answered on another device of the same account.
        Some(b"1" | b"7") => Direction::Incoming,
        Some(b"2") => Direction::Outgoing,
        // Missed, voicemail, rejected, blocked.
        Some(b"3" | b"4" | b"5" | b"6") => return Parsed::Excluded("missed_call"),
        _ => return Parsed::Skipped("unknown_call_type"),
    };
    let seconds = duration
        .as_deref()
        .and_then(|d| std::str::from_utf8(d).ok()?.trim().parse::<u64>().ok());
    let Some(seconds) = seconds else {
        return Parsed::Skipped("unparsable_duration");
    };
    if seconds == 0 {
        return Parsed::Excluded("unanswered_call");
    }
    let Some(duration) = i64::try_from(seconds).ok().and_then(|s| s.checked_mul(1000)) else {
        return Parsed::Skipped("unparsable_duration");
    };
    let Some(timestamp) = parse_millis(date.as_deref()) else {
        return Parsed::Skipped("unparsable_date");
    };
    // Android writes a withheld or unknown caller as an empty number or a
    // negative one (`-1`, `-2`): one identity, `unknown`.
    let mut party = normalize_number(&text(number.as_deref()));
    if party.is_empty() || party.starts_with('-') {
        party = "unknown".to_string();
    }
    let (sender, recipient) = match direction {
        Direction::Incoming => (party.clone(), OWNER.to_string()),
        Direction::Outgoing => (OWNER.to_string(), party.clone()),
    };
    let mut m = Message::new(source, Kind::Event, Text::CALL);
    m.message_id = Some(ids.id(&party, Some(timestamp), &sender, "").into());
    m.conversation = Some(party.into());
    (m.timestamp, m.date_source) = (Some(timestamp), DateSource::Date);
    m.sender = sender.into();
    m.recipients = [recipient].iter().collect();
    m.duration = Some(duration);
    Parsed::Kept(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hardening_16_durations_and_dates_past_the_window_are_skipped() {
        let xml = r#"<calls count="4">
  <call number="1" duration="18446744073709551615" date="1704103200000" type="1" />
  <call number="1" duration="4000000000" date="1704103200000" type="1" />
  <call number="1" duration="60" date="9999999999999" type="1" />
  <call number="1" duration="60" date="1704103200000" type="1" />
</calls>"#;
        let read = read(xml.as_bytes(), "", 0, &Options::default());
        assert_eq!((read.read, read.messages.len()), (4, 1));
        let skips: Vec<_> = read.skipped.iter().map(|s| (s.reason, s.at.as_str())).collect();
        assert_eq!(
            skips,
            [
                ("unparsable_duration", "call[0]"),
                ("unparsable_duration", "call[1]"),
                ("unparsable_timestamp", "call[2]")
            ]
        );
        assert_eq!(read.messages[0].duration, Some(60_000));
    }

    #[test]
    fn talked_calls_are_events_the_rest_excluded() {
        let xml = r#"<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>
<calls count="6">
  <call number="+1 555-0100" duration="125" date="1704103200000" type="1" presentation="1" contact_name="Bob" />
  <call number="+15550100" duration="60" date="1704106800000" type="2" presentation="1" contact_name="Bob" />
  <call number="+15550100" duration="0" date="1704110400000" type="3" presentation="1" />
  <call number="+15550100" duration="0" date="1704110500000" type="2" presentation="1" />
  <call number="" duration="30" date="1704110600000" type="1" presentation="2" />
  <call number="+15550100" duration="30" date="yesterday" type="1" />
</calls>"#;
        let read = read(xml.as_bytes(), "", 0, &Options::default());
        assert_eq!(read.read, 6);
        let m = &read.messages;
        assert_eq!(m.len(), 3);
        assert_eq!(
            (m[0].sender.as_str(), m[0].duration),
            ("+15550100", Some(125_000))
        );
        assert_eq!(
            (m[1].sender.as_str(), m[1].recipients.iter().next().unwrap()),
            (OWNER, "+15550100")
        );
        assert_eq!(m[2].conversation.as_deref(), Some("unknown"));
        assert_eq!(m[0].kind, Kind::Event);
        assert_eq!(read.excluded.get("missed_call"), Some(&1));
        assert_eq!(read.excluded.get("unanswered_call"), Some(&1));
        assert_eq!(read.skipped[0].reason, "unparsable_date");
        assert_eq!(read.skipped[0].at, "call[5]");
    }
}
