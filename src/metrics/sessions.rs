//! Live sessions (METRICS.md section 4): maximal runs of timed messages in
//! one conversation, ordered by (timestamp, read order), with every gap at
//! most T_sync; a run counts when it has ≥ 3 messages and ≥ 2 senders.

use super::MessageStats;
use super::columns;
use polars::prelude::*;
use std::collections::BTreeMap;

/// The message frame with a boolean `live` column: whether the message is
/// part of a live session. Only counted messages are kept.
pub fn with_live_flags(messages: &DataFrame, sync_threshold_ms: i64) -> PolarsResult<LazyFrame> {
    let previous = |c: &str| col(c).shift(lit(1));
    let continues = col("conversation")
        .eq(previous("conversation"))
        .and((col("ts") - previous("ts")).lt_eq(lit(sync_threshold_ms)));
    let live = messages
        .clone()
        .lazy()
        .filter(col("ts").is_not_null().and(col("counted")))
        .sort_by_exprs(
            [col("conversation"), col("ts"), col("idx")],
            SortMultipleOptions::default(),
        )
        .with_column(continues.not().fill_null(lit(true)).alias("starts"))
        .with_column(
            col("starts")
                .cast(DataType::UInt32)
                .cum_sum(false)
                .alias("session"),
        )
        .with_columns([
            len().over([col("session")])?.alias("run_len"),
            col("sender")
                .n_unique()
                .over([col("session")])?
                .alias("run_senders"),
        ])
        .select([
            col("idx"),
            col("run_len")
                .gt_eq(lit(3))
                .and(col("run_senders").gt_eq(lit(2)))
                .alias("live"),
        ]);
    Ok(messages
        .clone()
        .lazy()
        .filter(col("counted"))
        .join(live, [col("idx")], [col("idx")], JoinArgs::new(JoinType::Left))
        .with_column(col("live").fill_null(lit(false))))
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
