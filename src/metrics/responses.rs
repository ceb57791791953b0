//! Responses (METRICS.md section 3): every message with a parent in the
//! data is classified, and response times are summarized overall and by
//! channel, person and week.

use super::columns;
use super::{Distribution, ResponseStats};
use polars::prelude::*;
use std::collections::BTreeMap;

/// The class of a message/parent pair, in the order the rules apply.
/// Kept in frames as its `u8` code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    FollowUp = 1,
    Unclassified,
    ClockSkew,
    Automated,
    Response,
}

impl Class {
    const ALL: [Class; 5] = [
        Class::FollowUp,
        Class::Unclassified,
        Class::ClockSkew,
        Class::Automated,
        Class::Response,
    ];

    pub fn code(self) -> u8 {
        self as u8
    }

    pub fn from_code(code: u64) -> Option<Class> {
        Class::ALL.into_iter().find(|c| u64::from(c.code()) == code)
    }

    /// `class == self`, as a polars expression.
    pub fn is(self) -> Expr {
        col("class").eq(lit(self.code()))
    }
}

/// One row per message that has a parent, in message order: the message's
/// columns, the parent's as `p_*`, the `class`, and `rt_s`, the response
/// time in seconds (responses only).
pub fn pairs(messages: &DataFrame) -> PolarsResult<LazyFrame> {
    // `parent` is a row number of the same frame: a gather, not a join.
    let children = messages.filter(&messages.column("parent")?.is_not_null())?;
    let parent_rows = children.column("parent")?.cast(&DataType::UInt32)?;
    let parents = messages
        .select(["sender", "ts", "automated", "from_me"])?
        .take(parent_rows.u32()?)?;
    let parent_columns: Vec<Column> = parents
        .columns()
        .iter()
        .map(|c| c.clone().with_name(format!("p_{}", c.name()).into()))
        .collect();
    let class = when(col("sender").eq(col("p_sender")))
        .then(lit(Class::FollowUp.code()))
        .when(col("ts").is_null().or(col("p_ts").is_null()))
        .then(lit(Class::Unclassified.code()))
        .when(col("ts").lt(col("p_ts")))
        .then(lit(Class::ClockSkew.code()))
        .when(col("automated").or(col("p_automated")))
        .then(lit(Class::Automated.code()))
        .otherwise(lit(Class::Response.code()));
    let seconds = (col("ts") - col("p_ts")).cast(DataType::Float64) / lit(1000.0);
    Ok(children
        .hstack(&parent_columns)?
        .lazy()
        .with_column(class.alias("class"))
        .with_column(
            when(Class::Response.is())
                .then(seconds)
                .otherwise(lit(NULL).cast(DataType::Float64))
                .alias("rt_s"),
        ))
}

/// Aggregations of `rt_s` over responses: count, mean, percentiles
/// (linear interpolation, as numpy), max and synchronous count.
fn stat_exprs(sync_threshold_s: f64) -> Vec<Expr> {
    let rt = || col("rt_s");
    let q = |p: f64, name: &str| rt().quantile(lit(p), QuantileMethod::Linear).alias(name);
    vec![
        rt().count().cast(DataType::UInt64).alias("count"),
        rt().mean().alias("mean"),
        q(0.5, "p50"),
        q(0.9, "p90"),
        q(0.99, "p99"),
        rt().max().alias("max"),
        rt().lt_eq(lit(sync_threshold_s))
            .sum()
            .cast(DataType::UInt64)
            .alias("sync"),
    ]
}

/// Response statistics of the counted responses in `pairs`, grouped by
/// `key` (a column), or overall under the key `""` when `key` is `None`.
pub fn stats_by(
    pairs: &LazyFrame,
    key: Option<&str>,
    sync_threshold_s: f64,
) -> PolarsResult<BTreeMap<String, ResponseStats>> {
    let responses = pairs.clone().filter(Class::Response.is().and(col("counted")));
    summarize(responses, key, sync_threshold_s)
}

/// Statistics of the `rt_s` column (seconds) of `frame`, grouped by `key`,
/// or overall under the key `""`.
pub fn summarize(
    frame: LazyFrame,
    key: Option<&str>,
    sync_threshold_s: f64,
) -> PolarsResult<BTreeMap<String, ResponseStats>> {
    let frame = match key {
        None => frame
            .select(stat_exprs(sync_threshold_s))
            .with_column(lit("").alias("key")),
        Some(k) => frame
            .group_by([col(k).alias("key")])
            .agg(stat_exprs(sync_threshold_s)),
    }
    .collect()?;
    let keys = columns::strings(&frame, "key")?;
    let count = columns::u64s(&frame, "count")?;
    let sync = columns::u64s(&frame, "sync")?;
    let [mean, p50, p90, p99, max] = ["mean", "p50", "p90", "p99", "max"].map(|c| columns::f64s(&frame, c));
    let (mean, p50, p90, p99, max) = (mean?, p50?, p90?, p99?, max?);
    Ok((0..frame.height())
        .map(|i| {
            let stats = ResponseStats {
                responses: count[i],
                response_time_s: Distribution {
                    count: count[i],
                    mean: mean[i],
                    p50: p50[i],
                    p90: p90[i],
                    p99: p99[i],
                    max: max[i],
                },
                sync_responses: sync[i],
                response_sync_ratio: super::ratio(sync[i], count[i]),
            };
            (keys[i].clone().unwrap_or_default(), stats)
        })
        .collect())
}

/// Statistics of plain values (seconds), overall.
pub fn summarize_values(values: &[f64], sync_threshold_s: f64) -> PolarsResult<ResponseStats> {
    let frame = DataFrame::new(values.len(), vec![Column::new("rt_s".into(), values)])?;
    let mut stats = summarize(frame.lazy(), None, sync_threshold_s)?;
    Ok(stats.remove("").unwrap_or_default())
}

/// How many counted pairs fell in each class.
pub fn class_counts(pairs: &LazyFrame) -> PolarsResult<BTreeMap<Class, u64>> {
    let frame = pairs
        .clone()
        .filter(col("counted"))
        .group_by([col("class")])
        .agg([len().cast(DataType::UInt64).alias("n")])
        .collect()?;
    let classes = columns::u64s(&frame, "class")?;
    let n = columns::u64s(&frame, "n")?;
    Ok(classes
        .into_iter()
        .zip(n)
        .filter_map(|(c, n)| Some((Class::from_code(c)?, n)))
        .collect())
}

/// The response times (seconds) of counted responses, in message order.
pub fn times(pairs: &LazyFrame, filter: Expr) -> PolarsResult<Vec<f64>> {
    let frame = pairs
        .clone()
        .filter(Class::Response.is().and(col("counted")).and(filter))
        .sort(["idx"], SortMultipleOptions::default())
        .select([col("rt_s")])
        .collect()?;
    Ok(columns::f64s(&frame, "rt_s")?.into_iter().flatten().collect())
}
