//! The tables for other tools: the normalized message table (METRICS.md
//! section 1) and the response table, built as polars frames a slice of
//! rows at a time; `report` encodes and writes them.

use super::frame;
use super::responses::Class;
use crate::columns;
use crate::model::{DateSource, Message, rfc3339};
use crate::thread::{Link, Threads};
use polars::prelude::*;
use std::ops::Range;

/// Rows of the message table encoded at a time: its copy of the strings
/// then never holds every message of a multi-GB mailbox at once.
pub const SLICE_ROWS: usize = 16_384;

/// The message table, a slice of rows at a time; `sources` names the
/// input files by index.
pub fn message_table<'a>(
    messages: &'a [Message],
    threads: &'a Threads,
    sources: &'a [String],
) -> impl Iterator<Item = PolarsResult<DataFrame>> + 'a {
    slices(messages.len()).map(|rows| message_rows(messages, threads, sources, rows))
}

/// The row ranges of a table of `n` rows, `SLICE_ROWS` at a time; an
/// empty table is one empty slice, which still gives the files' columns.
fn slices(n: usize) -> impl Iterator<Item = Range<usize>> {
    (0..n.max(1))
        .step_by(SLICE_ROWS)
        .map(move |start| start..(start + SLICE_ROWS).min(n))
}

/// One row a kept message of `rows`, every column of METRICS.md section 1.
fn message_rows<'a>(
    messages: &'a [Message],
    threads: &Threads,
    sources: &'a [String],
    rows: Range<usize>,
) -> PolarsResult<DataFrame> {
    let (n, conversation, link) = (
        rows.len(),
        &threads.conversation[rows.clone()],
        &threads.link[rows.clone()],
    );
    let messages = &messages[rows];
    // The rows' own strings, borrowed: polars copies them into its column.
    let strings = |f: &dyn Fn(&'a Message) -> &'a str| messages.iter().map(f).collect::<Vec<_>>();
    let optional = |f: &dyn Fn(&'a Message) -> Option<&'a str>| messages.iter().map(f).collect::<Vec<_>>();
    let joined = |f: &dyn Fn(&Message) -> String| messages.iter().map(f).collect::<Vec<_>>();
    let columns = vec![
        Column::new("source".into(), strings(&|m| &sources[m.source as usize])),
        Column::new("channel".into(), strings(&|m| &m.channel)),
        Column::new(
            "conversation".into(),
            conversation
                .iter()
                .map(|&c| threads.names[c as usize].as_str())
                .collect::<Vec<_>>(),
        ),
        Column::new("message_id".into(), optional(&|m| m.message_id.as_deref())),
        Column::new("parent_id".into(), optional(&|m| m.parent_id.as_deref())),
        Column::new(
            "link".into(),
            link.iter()
                .map(|l| {
                    l.map(|l| match l {
                        Link::Explicit => "explicit",
                        Link::Inferred => "inferred",
                    })
                })
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "timestamp".into(),
            messages
                .iter()
                .map(|m| m.timestamp.map(rfc3339))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "timestamp_ms".into(),
            messages.iter().map(|m| m.timestamp).collect::<Vec<_>>(),
        ),
        Column::new("sender".into(), strings(&|m| &m.sender)),
        Column::new("recipients".into(), joined(&|m| m.recipients.join(";"))),
        Column::new("subject".into(), strings(&|m| &m.subject)),
        Column::new(
            "automated".into(),
            messages.iter().map(|m| m.automated).collect::<Vec<_>>(),
        ),
        Column::new("labels".into(), joined(&|m| m.labels.join(","))),
        Column::new(
            "bytes".into(),
            messages.iter().map(|m| m.bytes).collect::<Vec<_>>(),
        ),
        Column::new(
            "date_source".into(),
            strings(&|m| match m.date_source {
                DateSource::Date => "date",
                DateSource::Received => "received",
                DateSource::FromLine => "from_line",
                DateSource::None => "none",
            }),
        ),
    ];
    DataFrame::new(n, columns)
}

/// The counted responses, in message order, with the response table's
/// columns but for their ids and names (`response_table` adds those).
#[derive(Debug, Clone, Default)]
pub struct Responses(DataFrame);

/// The counted responses among `pairs` (see `responses::pairs`).
pub(super) fn responses(pairs: &LazyFrame, sync_s: f64) -> PolarsResult<Responses> {
    let table = pairs
        .clone()
        .filter(Class::Response.is().and(col("counted")))
        .sort(["idx"], SortMultipleOptions::default())
        .select([
            col("idx"),
            col("parent"),
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
    Ok(Responses(table))
}

/// One row a counted response: who answered whom, when, how fast; in
/// slices of rows, with their ids and conversations looked up per slice.
pub fn response_table<'a>(
    messages: &'a [Message],
    threads: &'a Threads,
    responses: Responses,
) -> impl Iterator<Item = PolarsResult<DataFrame>> + 'a {
    let table = responses.0;
    slices(table.height()).map(move |rows| {
        let mut slice = table.slice(rows.start as i64, rows.len());
        let id = |name: &str| -> PolarsResult<Column> {
            let ids: Vec<Option<&str>> = columns::u64s(&slice, name)?
                .into_iter()
                .map(|i| messages[i as usize].message_id.as_deref())
                .collect();
            Ok(Column::new(name.into(), ids))
        };
        let (message_id, parent_id) = (id("idx")?, id("parent")?);
        let conversation: Vec<&str> = columns::u64s(&slice, "conversation")?
            .into_iter()
            .map(|c| threads.names[c as usize].as_str())
            .collect();
        slice.with_column(Column::new("conversation".into(), conversation))?;
        let names = [
            ("channel", frame::Name::Channel),
            ("responder", frame::Name::Sender),
            ("requester", frame::Name::Sender),
        ];
        for (column, name) in names {
            let names = name.column(&slice, column, messages)?;
            slice.with_column(Column::new(column.into(), names))?;
        }
        let mut columns = vec![
            message_id.with_name("message_id".into()),
            parent_id.with_name("parent_id".into()),
        ];
        columns.extend(slice.columns().iter().skip(2).cloned());
        DataFrame::new(slice.height(), columns)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Kind, Text};

    #[test]
    fn the_message_table_comes_in_slices_that_make_the_whole() {
        let messages: Vec<Message> = (0..2 * SLICE_ROWS + 5)
            .map(|i| {
                let mut m = Message::new(0, Kind::Log, Text::CHAT);
                m.message_id = Some(format!("m{i}").into());
                m.timestamp = Some(i as i64 * 1000);
                m
            })
            .collect();
        let threads = crate::thread::link(&messages);
        let sources = ["chat.csv".to_string()];
        let slices: Vec<DataFrame> = message_table(&messages, &threads, &sources)
            .collect::<PolarsResult<_>>()
            .unwrap();
        let heights: Vec<usize> = slices.iter().map(DataFrame::height).collect();
        assert_eq!(heights, [SLICE_ROWS, SLICE_ROWS, 5]);
        let mut joined = DataFrame::empty();
        for slice in &slices {
            joined.vstack_mut(slice).unwrap();
        }
        let whole = message_rows(&messages, &threads, &sources, 0..messages.len()).unwrap();
        assert!(joined.equals_missing(&whole));
        let none = crate::thread::link(&[]);
        let empty: Vec<DataFrame> = message_table(&[], &none, &sources).map(Result::unwrap).collect();
        assert_eq!(
            (empty.len(), empty[0].height()),
            (1, 0),
            "one empty slice, with the columns"
        );
    }
}
