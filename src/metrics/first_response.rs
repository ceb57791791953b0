//! First response time of a conversation (METRICS.md section 3, CHAOSS
//! "time to first response"): from its earliest timed message F to the
//! earliest response in it by someone other than F's sender; none when F
//! is automated.

use super::columns;
use super::responses::Class;
use polars::prelude::*;

/// First response times in seconds, one per conversation that has one,
/// with the conversation's channel, in conversation order.
pub fn times(messages: &DataFrame, pairs: &LazyFrame) -> PolarsResult<Vec<(String, f64)>> {
    // Within a group, rows keep the frame's order: sorted, `first` is F.
    let openers = messages
        .clone()
        .lazy()
        .filter(col("ts").is_not_null().and(col("counted")))
        .sort_by_exprs([col("ts"), col("idx")], SortMultipleOptions::default())
        .group_by([col("conversation")])
        .agg([
            col("ts").first().alias("f_ts"),
            col("sender").first().alias("f_sender"),
            col("automated").first().alias("f_automated"),
            col("channel").first().alias("f_channel"),
        ]);
    let frame = pairs
        .clone()
        .filter(Class::Response.is().and(col("counted")))
        .select([col("conversation"), col("sender"), col("ts")])
        .join(
            openers,
            [col("conversation")],
            [col("conversation")],
            JoinArgs::new(JoinType::Inner),
        )
        .filter(col("sender").neq(col("f_sender")).and(col("f_automated").not()))
        .group_by([col("conversation")])
        .agg([
            ((col("ts").min() - col("f_ts").first()).cast(DataType::Float64) / lit(1000.0)).alias("s"),
            col("f_channel").first(),
        ])
        .sort(["conversation"], SortMultipleOptions::default())
        .collect()?;
    let channels = columns::strings(&frame, "f_channel")?;
    let seconds = columns::f64s(&frame, "s")?;
    Ok(channels
        .into_iter()
        .zip(seconds)
        .filter_map(|(c, s)| Some((c.unwrap_or_default(), s?)))
        .collect())
}
