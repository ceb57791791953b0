//! First response time of a conversation (METRICS.md section 3, CHAOSS
//! "time to first response"): from its earliest timed message F to the
//! earliest response in it by someone other than F's sender; none when F
//! is automated.

use super::frame::Scope;
use super::responses::Class;
use crate::model::Message;
use crate::thread::Threads;

/// First response times in seconds, one per conversation that has one,
/// with the conversation's channel, in conversation order. `class` is the
/// class of each message's pair with its parent.
pub fn times<'a>(
    messages: &'a [Message],
    threads: &Threads,
    scope: &Scope,
    class: &[Option<Class>],
) -> Vec<(&'a str, f64)> {
    let counted_ts = |m: &Message| m.timestamp.filter(|&t| scope.counts(Some(t)));
    // F of each conversation: (timestamp, index) of its earliest message.
    let mut opener: Vec<Option<(i64, usize)>> = vec![None; threads.names.len()];
    for (i, m) in messages.iter().enumerate() {
        if let Some(t) = counted_ts(m) {
            let f = &mut opener[threads.conversation[i] as usize];
            if f.is_none_or(|(earliest, _)| t < earliest) {
                *f = Some((t, i));
            }
        }
    }
    let mut first: Vec<Option<i64>> = vec![None; opener.len()];
    for (i, m) in messages.iter().enumerate() {
        let conversation = threads.conversation[i] as usize;
        let (Some(Class::Response), Some(t), Some((_, f))) = (class[i], counted_ts(m), opener[conversation])
        else {
            continue;
        };
        let f = &messages[f];
        if m.sender != f.sender && !f.automated {
            let earliest = &mut first[conversation];
            *earliest = Some(earliest.map_or(t, |e| e.min(t)));
        }
    }
    opener
        .into_iter()
        .zip(first)
        .filter_map(|(f, answered)| {
            let (opened, f) = f?;
            Some((messages[f].channel.as_ref(), (answered? - opened) as f64 / 1000.0))
        })
        .collect()
}
