//! Metrics: responses, response times, first responses, turns and the two
//! sync/async ratios (METRICS.md sections 3 and 4), overall and by
//! channel, person and ISO week. This is the only stage that knows polars:
//! it builds a frame from the message table and answers with plain types.

mod columns;
mod first_response;
mod frame;
mod responses;
mod sessions;
mod turns;

use crate::model::Message;
use crate::thread::Threads;
use polars::prelude::*;
use responses::Class;
use serde::Serialize;
use std::collections::BTreeMap;

pub use frame::Scope;
pub use turns::Turns;

/// What the figures are computed with.
#[derive(Debug, Clone)]
pub struct Settings {
    /// T_sync: a response this fast or faster is synchronous.
    pub sync_threshold_ms: i64,
    pub scope: Scope,
}

/// count, mean, p50, p90, p99 and max of a distribution, in seconds; all
/// but the count are null when it is empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Distribution {
    pub count: u64,
    pub mean: Option<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
}

/// Responses and how fast and how synchronous they were.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ResponseStats {
    pub responses: u64,
    pub response_time_s: Distribution,
    /// Responses within T_sync.
    pub sync_responses: u64,
    /// sync_responses / responses.
    pub response_sync_ratio: Option<f64>,
}

/// Messages and how many of them were part of live sessions.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MessageStats {
    pub messages: u64,
    pub timed_messages: u64,
    pub live_session_messages: u64,
    /// live_session_messages / timed_messages.
    pub sync_message_share: Option<f64>,
}

/// Figures for one channel or one week.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Group {
    #[serde(flatten)]
    pub responses: ResponseStats,
    #[serde(flatten)]
    pub messages: MessageStats,
}

/// Figures for one person: how fast they answer, how long they wait.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Person {
    /// Responses this person sent.
    pub as_responder: ResponseStats,
    /// Responses this person received (they sent the parent).
    pub as_requester: ResponseStats,
    #[serde(flatten)]
    pub messages: MessageStats,
}

/// Responses that "me" sent and received.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Direction {
    pub i_answered: ResponseStats,
    pub answered_me: ResponseStats,
}

/// One row of the bucket table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bucket {
    pub label: &'static str,
    /// Upper bound in seconds (inclusive); none for the last bucket.
    pub up_to_s: Option<f64>,
    pub responses: u64,
    pub share: Option<f64>,
}

/// Every figure commlens computes.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    /// Conversations among the counted messages.
    pub threads: u64,
    pub follow_ups: u64,
    pub clock_skew: u64,
    /// Pairs with an undated side (rule 2).
    pub unclassified: u64,
    /// Pairs with an automated side (rule 4).
    pub automated_pairs: u64,
    pub overall: Group,
    pub first_response_time_s: Distribution,
    pub buckets: Vec<Bucket>,
    pub turns: Turns,
    pub by_channel: BTreeMap<String, Group>,
    pub by_week: BTreeMap<String, Group>,
    pub by_person: BTreeMap<String, Person>,
    pub first_response_by_channel: BTreeMap<String, Distribution>,
    pub direction: Option<Direction>,
    /// Every response time, seconds, in message order (for charts).
    pub response_times_s: Vec<f64>,
}

/// Computes every figure over the message table.
pub fn compute(messages: &[Message], threads: &Threads, settings: &Settings) -> PolarsResult<Metrics> {
    let sync_s = settings.sync_threshold_ms as f64 / 1000.0;
    let frame = frame::messages(messages, threads, &settings.scope)?;
    // Materialized once: every figure below reads it.
    let pairs = responses::pairs(&frame).collect()?.lazy();
    let flagged = sessions::with_live_flags(&frame, settings.sync_threshold_ms)?
        .collect()?
        .lazy();

    let respond = |key| responses::stats_by(&pairs, key, sync_s);
    let talk = |key| sessions::stats_by(&flagged, key);
    let overall = Group {
        responses: respond(None)?.remove("").unwrap_or_default(),
        messages: talk(None)?.remove("").unwrap_or_default(),
    };
    let by_channel = merge_groups(respond(Some("channel"))?, talk(Some("channel"))?);
    let by_week = merge_groups(respond(Some("week"))?, talk(Some("week"))?)
        .into_iter()
        .filter_map(|(week, group)| Some((frame::week_label(week.parse().ok()?), group)))
        .collect();
    let by_person = people(
        respond(Some("sender"))?,
        respond(Some("p_sender"))?,
        talk(Some("sender"))?,
    );

    let direction = if settings.scope.me.is_empty() {
        None
    } else {
        let mine = |c: &str| responses::stats_by(&pairs.clone().filter(col(c)), None, sync_s);
        Some(Direction {
            i_answered: mine("from_me")?.remove("").unwrap_or_default(),
            answered_me: mine("p_from_me")?.remove("").unwrap_or_default(),
        })
    };

    let classes = responses::class_counts(&pairs)?;
    let class = |c: Class| classes.get(&c).copied().unwrap_or(0);

    let firsts = first_response::times(&frame, &pairs)?;
    let first_values: Vec<f64> = firsts.iter().map(|f| f.1).collect();
    let mut first_by_channel: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for (channel, s) in firsts {
        first_by_channel.entry(channel).or_default().push(s);
    }
    let distribution = |values: &[f64]| -> PolarsResult<Distribution> {
        Ok(responses::summarize_values(values, sync_s)?.response_time_s)
    };

    let response_times_s = responses::times(&pairs, lit(true))?;
    let turns = turns_of(&frame, &pairs)?;
    Ok(Metrics {
        threads: count_threads(&frame)?,
        follow_ups: class(Class::FollowUp),
        clock_skew: class(Class::ClockSkew),
        unclassified: class(Class::Unclassified),
        automated_pairs: class(Class::Automated),
        buckets: buckets(&response_times_s),
        first_response_time_s: distribution(&first_values)?,
        first_response_by_channel: first_by_channel
            .iter()
            .map(|(c, v)| Ok((c.clone(), distribution(v)?)))
            .collect::<PolarsResult<_>>()?,
        overall,
        turns,
        by_channel,
        by_week,
        by_person,
        direction,
        response_times_s,
    })
}

fn count_threads(frame: &DataFrame) -> PolarsResult<u64> {
    let counted = frame
        .clone()
        .lazy()
        .filter(col("counted"))
        .select([col("conversation").n_unique().cast(DataType::UInt64).alias("n")])
        .collect()?;
    Ok(columns::u64s(&counted, "n")?.first().copied().unwrap_or(0))
}

fn turns_of(frame: &DataFrame, pairs: &LazyFrame) -> PolarsResult<Turns> {
    let classes = pairs.clone().select([col("idx"), col("class")]).collect()?;
    let mut class = vec![None; frame.height()];
    for (i, c) in columns::u64s(&classes, "idx")?
        .into_iter()
        .zip(columns::u64s(&classes, "class")?)
    {
        class[i as usize] = Class::from_code(c);
    }
    let ts = columns::i64s(frame, "ts")?;
    let automated = columns::bools(frame, "automated")?;
    let counted = columns::bools(frame, "counted")?;
    let parent: Vec<Option<u32>> = columns::i64s(frame, "parent")?
        .into_iter()
        .map(|p| p.map(|p| p as u32))
        .collect();
    Ok(turns::compute(&turns::TurnInput {
        ts: &ts,
        automated: &automated,
        parent: &parent,
        class: &class,
        counted: &counted,
    }))
}

fn merge_groups(
    responses: BTreeMap<String, ResponseStats>,
    messages: BTreeMap<String, MessageStats>,
) -> BTreeMap<String, Group> {
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    for (key, r) in responses {
        groups.entry(key).or_default().responses = r;
    }
    for (key, m) in messages {
        groups.entry(key).or_default().messages = m;
    }
    groups.remove(""); // undated messages have no week
    groups
}

fn people(
    responder: BTreeMap<String, ResponseStats>,
    requester: BTreeMap<String, ResponseStats>,
    messages: BTreeMap<String, MessageStats>,
) -> BTreeMap<String, Person> {
    let mut people: BTreeMap<String, Person> = BTreeMap::new();
    for (key, r) in responder {
        people.entry(key).or_default().as_responder = r;
    }
    for (key, r) in requester {
        people.entry(key).or_default().as_requester = r;
    }
    for (key, m) in messages {
        people.entry(key).or_default().messages = m;
    }
    people
}

/// The bucket table: ≤ 5 min, ≤ 15 min, ≤ 1 h, ≤ 4 h, ≤ 1 day, > 1 day.
fn buckets(times_s: &[f64]) -> Vec<Bucket> {
    const LIMITS: [(&str, Option<f64>); 6] = [
        ("≤ 5 min", Some(300.0)),
        ("≤ 15 min", Some(900.0)),
        ("≤ 1 h", Some(3600.0)),
        ("≤ 4 h", Some(14_400.0)),
        ("≤ 1 day", Some(86_400.0)),
        ("> 1 day", None),
    ];
    let mut counts = [0u64; LIMITS.len()];
    for &t in times_s {
        let i = LIMITS
            .iter()
            .position(|(_, limit)| limit.is_none_or(|l| t <= l))
            .unwrap_or(LIMITS.len() - 1);
        counts[i] += 1;
    }
    LIMITS
        .iter()
        .zip(counts)
        .map(|(&(label, up_to_s), responses)| Bucket {
            label,
            up_to_s,
            responses,
            share: ratio(responses, times_s.len() as u64),
        })
        .collect()
}

/// A ratio, null when its denominator is zero.
pub fn ratio(numerator: u64, denominator: u64) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}
