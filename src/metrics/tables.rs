//! Tables for other tools: the normalized message table (METRICS.md
//! section 1) and the response table, as CSV or Parquet written by polars,
//! so that users can go on in polars, pandas, DuckDB or a spreadsheet.

use super::columns;
use super::frame;
use super::responses::{self, Class};
use crate::model::{DateSource, Message, rfc3339};
use crate::thread::{Link, Threads};
use polars::prelude::*;
use polars_io::SerWriter;
use polars_io::csv::write::CsvWriter;
use polars_io::parquet::write::ParquetWriter;

/// How the tables are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    Csv,
    Parquet,
}

/// `messages.EXT` and `responses.EXT`, encoded in each of `formats`.
/// `sources` names the input files by index.
pub fn tables(
    messages: &[Message],
    threads: &Threads,
    sources: &[String],
    settings: &super::Settings,
    formats: &[TableFormat],
) -> PolarsResult<Vec<(String, Vec<u8>)>> {
    let mut named = [
        ("messages", message_table(messages, threads, sources)?),
        ("responses", response_table(messages, threads, settings)?),
    ];
    let mut files = Vec::new();
    for format in formats {
        for (name, table) in &mut named {
            let mut bytes = Vec::new();
            let extension = match format {
                TableFormat::Csv => {
                    CsvWriter::new(&mut bytes).finish(table)?;
                    "csv"
                }
                TableFormat::Parquet => {
                    ParquetWriter::new(&mut bytes).finish(table)?;
                    "parquet"
                }
            };
            files.push((format!("{name}.{extension}"), bytes));
        }
    }
    Ok(files)
}

/// One row a kept message, every column of METRICS.md section 1.
fn message_table(messages: &[Message], threads: &Threads, sources: &[String]) -> PolarsResult<DataFrame> {
    let strings = |f: &dyn Fn(&Message) -> String| messages.iter().map(f).collect::<Vec<_>>();
    let optional = |f: &dyn Fn(&Message) -> Option<String>| messages.iter().map(f).collect::<Vec<_>>();
    let columns = vec![
        Column::new("source".into(), strings(&|m| sources[m.source as usize].clone())),
        Column::new("channel".into(), strings(&|m| m.channel.to_string())),
        Column::new(
            "conversation".into(),
            threads
                .conversation
                .iter()
                .map(|&c| threads.names[c as usize].clone())
                .collect::<Vec<_>>(),
        ),
        Column::new("message_id".into(), optional(&|m| m.message_id.clone())),
        Column::new("parent_id".into(), optional(&|m| m.parent_id.clone())),
        Column::new(
            "link".into(),
            threads
                .link
                .iter()
                .map(|l| {
                    l.map(|l| match l {
                        Link::Explicit => "explicit",
                        Link::Inferred => "inferred",
                    })
                })
                .collect::<Vec<_>>(),
        ),
        Column::new("timestamp".into(), optional(&|m| m.timestamp.map(rfc3339))),
        Column::new(
            "timestamp_ms".into(),
            messages.iter().map(|m| m.timestamp).collect::<Vec<_>>(),
        ),
        Column::new("sender".into(), strings(&|m| m.sender.clone())),
        Column::new("recipients".into(), strings(&|m| m.recipients.join(";"))),
        Column::new("subject".into(), strings(&|m| m.subject.clone())),
        Column::new(
            "automated".into(),
            messages.iter().map(|m| m.automated).collect::<Vec<_>>(),
        ),
        Column::new("labels".into(), strings(&|m| m.labels.join(","))),
        Column::new(
            "bytes".into(),
            messages.iter().map(|m| m.bytes).collect::<Vec<_>>(),
        ),
        Column::new(
            "date_source".into(),
            strings(&|m| {
                match m.date_source {
                    DateSource::Date => "date",
                    DateSource::Received => "received",
                    DateSource::FromLine => "from_line",
                    DateSource::None => "none",
                }
                .to_string()
            }),
        ),
    ];
    DataFrame::new(messages.len(), columns)
}

/// One row a counted response: who answered whom, when, how fast.
fn response_table(
    messages: &[Message],
    threads: &Threads,
    settings: &super::Settings,
) -> PolarsResult<DataFrame> {
    let frame = frame::messages(messages, threads, &settings.scope, settings.tz)?;
    let sync_s = settings.sync_threshold_ms as f64 / 1000.0;
    let ids = DataFrame::new(
        messages.len(),
        vec![
            Column::new("idx".into(), (0..messages.len() as u32).collect::<Vec<_>>()),
            Column::new(
                "message_id".into(),
                messages
                    .iter()
                    .map(|m| m.message_id.as_deref())
                    .collect::<Vec<_>>(),
            ),
        ],
    )?;
    let parent_ids = ids
        .clone()
        .lazy()
        .select([col("idx").alias("p_idx"), col("message_id").alias("parent_id")]);
    let mut table = responses::pairs(&frame)?
        .filter(Class::Response.is().and(col("counted")))
        .join(
            ids.lazy(),
            [col("idx")],
            [col("idx")],
            JoinArgs::new(JoinType::Left),
        )
        .join(
            parent_ids,
            [col("parent")],
            [col("p_idx")],
            JoinArgs::new(JoinType::Left),
        )
        .sort(["idx"], SortMultipleOptions::default())
        .select([
            col("message_id"),
            col("parent_id"),
            col("channel"),
            col("conversation"),
            col("sender").alias("responder"),
            col("p_sender").alias("requester"),
            col("ts").alias("timestamp_ms"),
            col("p_ts").alias("parent_timestamp_ms"),
            col("rt_s").alias("response_time_s"),
            col("rt_s").lt_eq(lit(sync_s)).alias("synchronous"),
            col("from_me").alias("i_answered"),
            col("p_from_me").alias("answered_me"),
        ])
        .collect()?;
    let names: Vec<&str> = columns::u64s(&table, "conversation")?
        .into_iter()
        .map(|c| threads.names[c as usize].as_str())
        .collect();
    table.with_column(Column::new("conversation".into(), names))?;
    Ok(table)
}
