//! Live sessions (METRICS.md section 4): maximal runs of timed messages in
//! one conversation, ordered by (timestamp, read order), with every gap at
//! most T_sync; a run counts when it has ≥ 3 messages and ≥ 2 senders.

use super::MessageStats;
use super::frame::Scope;
use crate::columns;
use crate::model::Message;
use polars::prelude::*;
use std::collections::BTreeMap;

/// Whether each message is part of a live session. A plain sort and scan:
/// as a polars query (sort, window counts, join back) it cost about three
/// times more.
pub fn live(messages: &[Message], conversation: &[u32], scope: &Scope, sync_threshold_ms: i64) -> Vec<bool> {
    let mut order: Vec<(u32, i64, usize)> = messages
        .iter()
        .enumerate()
        .filter_map(|(i, m)| {
            let t = m.timestamp.filter(|&t| scope.counts(Some(t)))?;
            Some((conversation[i], t, i))
        })
        .collect();
    order.sort_unstable();
    let mut live = vec![false; messages.len()];
    for run in order.chunk_by(|a, b| a.0 == b.0 && b.1 - a.1 <= sync_threshold_ms) {
        let sender = |r: &(u32, i64, usize)| messages[r.2].sender.as_str();
        if run.len() >= 3 && run.iter().any(|r| sender(r) != sender(&run[0])) {
            for r in run {
                live[r.2] = true;
            }
        }
    }
    live
}

/// The counted rows of the message frame, with `live` (see `live`).
pub fn with_live_flags(messages: &DataFrame, live: Vec<bool>) -> PolarsResult<LazyFrame> {
    Ok(messages
        .hstack(&[Column::new("live".into(), live)])?
        .lazy()
        .filter(col("counted")))
}

/// Message counts and the synchronous message share, grouped by `key`, or
/// overall under `""` when `key` is `None`.
pub fn stats_by(flagged: &LazyFrame, key: Option<&str>) -> PolarsResult<BTreeMap<String, MessageStats>> {
    let exprs = [
        len().cast(DataType::UInt64).alias("messages"),
        col("ts").count().cast(DataType::UInt64).alias("timed"),
        col("live").sum().cast(DataType::UInt64).alias("live"),
    ];
    let frame = match key {
        None => flagged.clone().select(exprs).with_column(lit("").alias("key")),
        Some(k) => flagged.clone().group_by([col(k).alias("key")]).agg(exprs),
    }
    .collect()?;
    let keys = columns::strings(&frame, "key")?;
    let [messages, timed, live] = ["messages", "timed", "live"].map(|c| columns::u64s(&frame, c));
    let (messages, timed, live) = (messages?, timed?, live?);
    Ok((0..frame.height())
        .map(|i| {
            let stats = MessageStats {
                messages: messages[i],
                timed_messages: timed[i],
                live_session_messages: live[i],
                sync_message_share: super::ratio(live[i], timed[i]),
            };
            (keys[i].clone().unwrap_or_default(), stats)
        })
        .collect())
}
