//! Metrics: responses, response times, first responses, turns and the two
//! sync/async ratios (METRICS.md sections 3 and 4), overall and by
//! channel, person and ISO week. This is the only stage that knows polars:
//! it builds a frame from the message table and answers with plain types.

pub mod business_hours;
mod first_response;
mod frame;
mod responses;
mod sessions;
mod sync_time;
pub(crate) mod tables;
mod turns;

use crate::columns;
use crate::model::Message;
use crate::thread::Threads;
use polars::prelude::*;
use responses::Class;
use serde::Serialize;
use std::collections::BTreeMap;

pub use business_hours::{AfterHours, BusinessFigures, BusinessHours};
use frame::Name;
pub use frame::Scope;
pub use sync_time::SyncTime;
pub use tables::{message_table, response_table};
pub use turns::Turns;

/// What the figures are computed with.
#[derive(Debug, Clone)]
pub struct Settings {
    /// T_sync: a response this fast or faster is synchronous.
    pub sync_threshold_ms: i64,
    pub scope: Scope,
    /// The zone of the weekday × hour activity grid.
    pub tz: chrono_tz::Tz,
    /// Working calendars: when set, response times are also measured in
    /// working time, and after-hours messages counted.
    pub business_hours: Option<BusinessHours>,
    /// Whether the counted responses are kept as the response table's
    /// rows (`Metrics::responses`).
    pub response_rows: bool,
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

/// Every figure commlens computes, serialized as summary.json has them
/// (METRICS.md section 5).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Metrics {
    /// Conversations among the counted messages.
    pub threads: u64,
    pub follow_ups: u64,
    pub clock_skew: u64,
    /// Pairs with an undated side (rule 2); the summary lists them under
    /// its data quality.
    #[serde(skip)]
    pub unclassified: u64,
    /// Pairs with an automated side (rule 4); under data quality too.
    #[serde(skip)]
    pub automated_pairs: u64,
    /// The period's figures, at the top level: `messages_in_period`,
    /// `timed_messages`, `responses`, `response_time_s`, ...
    #[serde(flatten, serialize_with = "in_period")]
    pub overall: Group,
    pub first_response_time_s: Distribution,
    pub buckets: Vec<Bucket>,
    pub turns: Turns,
    /// Turns by the channel of their opener.
    pub turns_by_channel: BTreeMap<String, Turns>,
    pub by_channel: BTreeMap<String, Group>,
    pub by_week: BTreeMap<String, Group>,
    pub by_person: BTreeMap<String, Person>,
    pub first_response_by_channel: BTreeMap<String, Distribution>,
    /// Present when `--me` is given.
    pub direction: Option<Direction>,
    /// Every response time, seconds, in message order (for charts).
    #[serde(skip)]
    pub response_times_s: Vec<f64>,
    /// Counted messages by weekday (Monday first) and hour, in `Settings::tz`.
    pub activity: [[u64; 24]; 7],
    /// Calls and meetings: synchronous by nature, measured in hours.
    pub sync_time: SyncTime,
    /// Present when `Settings::business_hours` is (absent otherwise, so
    /// that older summaries keep their bytes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub business_hours: Option<BusinessFigures>,
    /// The response table's rows, when `Settings::response_rows` asks.
    #[serde(skip)]
    pub responses: Option<tables::Responses>,
}

/// The overall group as the summary's top level has it: there `messages`
/// counts every row kept, so the period's count is `messages_in_period`.
fn in_period<S: serde::Serializer>(overall: &Group, serializer: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct InPeriod<'a> {
        #[serde(flatten)]
        responses: &'a ResponseStats,
        messages_in_period: u64,
        timed_messages: u64,
        live_session_messages: u64,
        sync_message_share: Option<f64>,
    }
    let m = &overall.messages;
    InPeriod {
        responses: &overall.responses,
        messages_in_period: m.messages,
        timed_messages: m.timed_messages,
        live_session_messages: m.live_session_messages,
        sync_message_share: m.sync_message_share,
    }
    .serialize(serializer)
}

/// Computes every figure over the message table; calls and meetings
/// (`events`) count as synchronous time only.
pub fn compute(
    messages: &[Message],
    events: &[Message],
    threads: &Threads,
    settings: &Settings,
) -> PolarsResult<Metrics> {
    let sync_s = settings.sync_threshold_ms as f64 / 1000.0;
    // The frame, the live flags and the activity grid: strands that share
    // nothing, side by side on two cores.
    let (frame, (live, activity)) = rayon::join(
        || frame::messages(messages, threads, &settings.scope),
        || {
            rayon::join(
                || {
                    sessions::live(
                        messages,
                        &threads.conversation,
                        &settings.scope,
                        settings.sync_threshold_ms,
                    )
                },
                || activity(messages, &settings.scope, settings.tz),
            )
        },
    );
    let frame = frame?;
    // Materialized once: every figure below reads it.
    let pairs = responses::pairs(&frame)?.collect()?.lazy();
    let pair_class = pair_classes(&pairs, messages.len())?;
    let groups = by_group(messages, &frame, &pairs, live, settings)?;
    let classes = responses::class_counts(&pairs)?;
    // From the pairs at hand: the tables need not build the frame again.
    let response_rows = settings
        .response_rows
        .then(|| tables::responses(&pairs, sync_s))
        .transpose()?;
    // The thread figures need neither frame: run after the groupings, not
    // beside them, they find that memory free (the peak of a run), and
    // polars' own pool keeps both cores busy in the groupings anyway.
    drop((frame, pairs));
    let by_thread = by_thread(messages, threads, &settings.scope, &pair_class, sync_s)?;
    let class = |c: Class| classes.get(&c).copied().unwrap_or(0);
    Ok(Metrics {
        threads: groups.threads,
        follow_ups: class(Class::FollowUp),
        clock_skew: class(Class::ClockSkew),
        unclassified: class(Class::Unclassified),
        automated_pairs: class(Class::Automated),
        buckets: buckets(&groups.response_times_s),
        first_response_time_s: by_thread.first_response_time_s,
        first_response_by_channel: by_thread.first_response_by_channel,
        overall: groups.overall,
        turns: by_thread.turns,
        turns_by_channel: by_thread.turns_by_channel,
        by_channel: groups.by_channel,
        by_week: groups.by_week,
        by_person: groups.by_person,
        direction: groups.direction,
        response_times_s: groups.response_times_s,
        activity,
        sync_time: sync_time::compute(events, &settings.scope),
        business_hours: groups.business_hours,
        responses: response_rows,
    })
}

/// The figures of the frame's groupings: overall, by channel, week and
/// person, mine, business hours.
struct Groups {
    threads: u64,
    overall: Group,
    by_channel: BTreeMap<String, Group>,
    by_week: BTreeMap<String, Group>,
    by_person: BTreeMap<String, Person>,
    direction: Option<Direction>,
    response_times_s: Vec<f64>,
    business_hours: Option<BusinessFigures>,
}

fn by_group(
    messages: &[Message],
    frame: &DataFrame,
    pairs: &LazyFrame,
    live: Vec<bool>,
    settings: &Settings,
) -> PolarsResult<Groups> {
    let sync_s = settings.sync_threshold_ms as f64 / 1000.0;
    let flagged = sessions::with_live_flags(frame, live)?;
    let respond = |key| responses::stats_by(pairs, key, sync_s);
    let talk = |key| sessions::stats_by(&flagged, key);
    let overall = Group {
        responses: respond(None)?.remove("").unwrap_or_default(),
        messages: talk(None)?.remove("").unwrap_or_default(),
    };
    let by_channel = merge_groups(
        Name::Channel.keys(respond(Some("channel"))?, messages),
        Name::Channel.keys(talk(Some("channel"))?, messages),
    );
    let by_week = merge_groups(respond(Some("week"))?, talk(Some("week"))?)
        .into_iter()
        .filter_map(|(week, group)| Some((frame::week_label(week.parse().ok()?), group)))
        .collect();
    let by_person = people(
        Name::Sender.keys(respond(Some("sender"))?, messages),
        Name::Sender.keys(respond(Some("p_sender"))?, messages),
        Name::Sender.keys(talk(Some("sender"))?, messages),
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
    let business_hours = settings
        .business_hours
        .as_ref()
        .map(|hours| business_hours::figures::compute(messages, frame, pairs, hours, sync_s))
        .transpose()?;
    Ok(Groups {
        threads: count_threads(frame)?,
        overall,
        by_channel,
        by_week,
        by_person,
        direction,
        response_times_s: responses::times(pairs, lit(true))?,
        business_hours,
    })
}

/// The figures that follow threads message by message: first responses
/// and turns.
struct ByThread {
    first_response_time_s: Distribution,
    first_response_by_channel: BTreeMap<String, Distribution>,
    turns: Turns,
    turns_by_channel: BTreeMap<String, Turns>,
}

fn by_thread(
    messages: &[Message],
    threads: &Threads,
    scope: &Scope,
    pair_class: &[Option<Class>],
    sync_s: f64,
) -> PolarsResult<ByThread> {
    let firsts = first_response::times(messages, threads, scope, pair_class);
    let first_values: Vec<f64> = firsts.iter().map(|f| f.1).collect();
    let mut first_by_channel: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for (channel, s) in firsts {
        first_by_channel.entry(channel).or_default().push(s);
    }
    let distribution = |values: &[f64]| -> PolarsResult<Distribution> {
        Ok(responses::summarize_values(values, sync_s)?.response_time_s)
    };
    let (turns, turns_by_channel) = turns_of(messages, threads, scope, pair_class);
    Ok(ByThread {
        first_response_time_s: distribution(&first_values)?,
        first_response_by_channel: first_by_channel
            .iter()
            .map(|(c, v)| Ok((c.to_string(), distribution(v)?)))
            .collect::<PolarsResult<_>>()?,
        turns,
        turns_by_channel,
    })
}

/// Counted, timed messages by weekday and hour in `tz`: a plain count,
/// where a frame grouped by two columns held both for every row.
fn activity(messages: &[Message], scope: &Scope, tz: chrono_tz::Tz) -> [[u64; 24]; 7] {
    let mut grid = [[0u64; 24]; 7];
    for t in messages.iter().filter_map(|m| m.timestamp) {
        if scope.counts(Some(t)) {
            let (day, hour) = frame::clock(t, tz);
            grid[(day as usize).min(6)][(hour as usize).min(23)] += 1;
        }
    }
    grid
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

/// The class of each message's pair with its parent, if it has one.
fn pair_classes(pairs: &LazyFrame, n: usize) -> PolarsResult<Vec<Option<Class>>> {
    let classes = pairs.clone().select([col("idx"), col("class")]).collect()?;
    let mut class = vec![None; n];
    for (i, c) in columns::u64s(&classes, "idx")?
        .into_iter()
        .zip(columns::u64s(&classes, "class")?)
    {
        class[i as usize] = Class::from_code(c);
    }
    Ok(class)
}

fn turns_of(
    messages: &[Message],
    threads: &Threads,
    scope: &Scope,
    class: &[Option<Class>],
) -> (Turns, BTreeMap<String, Turns>) {
    let ts: Vec<Option<i64>> = messages.iter().map(|m| m.timestamp).collect();
    let automated: Vec<bool> = messages.iter().map(|m| m.automated).collect();
    let counted: Vec<bool> = ts.iter().map(|&t| scope.counts(t)).collect();
    let input = turns::TurnInput {
        ts: &ts,
        automated: &automated,
        parent: &threads.parent,
        class,
        counted: &counted,
    };
    turns::compute(&input, |opener| &messages[opener].channel)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Kind, Text};

    #[test]
    fn metrics_serialize_with_the_summary_names_the_internal_counts_left_out() {
        let mut metrics = Metrics::default();
        metrics.overall.messages.messages = 7;
        metrics.overall.responses.responses = 3;
        let value = serde_json::to_value(&metrics).unwrap();
        assert_eq!(
            (value["messages_in_period"].as_u64(), value["responses"].as_u64()),
            (Some(7), Some(3))
        );
        for internal in [
            "messages",
            "overall",
            "unclassified",
            "automated_pairs",
            "response_times_s",
            "business_hours",
        ] {
            assert!(value.get(internal).is_none(), "{internal}");
        }
    }

    /// A chat row: conversation, sender, seconds after the start, and the
    /// automated flag; each row answers the previous one (chat turn order).
    fn chat(rows: &[(&str, &str, Option<i64>, bool)]) -> Metrics {
        let messages: Vec<Message> = rows
            .iter()
            .map(|&(conversation, sender, at, automated)| {
                let mut m = Message::new(0, Kind::Log, Text::CHAT);
                m.conversation = Some(conversation.into());
                m.sender = sender.into();
                m.timestamp = at.map(|s| 1_700_000_000_000 + s * 1000);
                m.automated = automated;
                m
            })
            .collect();
        let threads = crate::thread::link(&messages);
        let settings = Settings {
            sync_threshold_ms: 300_000,
            scope: Scope::default(),
            tz: chrono_tz::UTC,
            business_hours: None,
            response_rows: false,
        };
        compute(&messages, &[], &threads, &settings).expect("metrics compute")
    }

    #[test]
    fn percentiles_interpolate_linearly() {
        // One answer per conversation: 0, 1, 299, 300, 301, 900, 3600,
        // 86400, 86401 s. Sum 178202; p90 at rank 0.9 × 8 = 7.2.
        const CONVERSATIONS: [&str; 9] = ["c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8"];
        let gaps = [0, 1, 299, 300, 301, 900, 3600, 86_400, 86_401];
        let rows: Vec<_> = CONVERSATIONS
            .iter()
            .zip(gaps)
            .flat_map(|(c, gap)| [(*c, "a", Some(0), false), (*c, "b", Some(gap), false)])
            .collect();
        let m = chat(&rows);
        let r = &m.overall.responses;
        assert_eq!((r.responses, r.sync_responses), (9, 4));
        let d = &r.response_time_s;
        assert_eq!(d.p50, Some(301.0));
        assert!((d.p90.unwrap() - 86_400.2).abs() < 1e-6, "{:?}", d.p90);
        assert!((d.p99.unwrap() - 86_400.92).abs() < 1e-6, "{:?}", d.p99);
        assert!((d.mean.unwrap() - 178_202.0 / 9.0).abs() < 1e-9);
        assert_eq!(d.max, Some(86_401.0));
        assert_eq!(
            m.buckets.iter().map(|b| b.responses).collect::<Vec<_>>(),
            [4, 2, 1, 0, 1, 1]
        );
    }

    #[test]
    fn activity_counts_timed_messages_in_the_period_by_local_weekday_and_hour() {
        // 2023-11-14 (a Tuesday) 22:13:20 UTC is Wednesday 07:13 in Tokyo.
        let at = |t: Option<i64>| {
            let mut m = Message::new(0, Kind::Log, Text::CHAT);
            m.timestamp = t;
            m
        };
        let t = 1_700_000_000_000;
        let messages = [at(Some(t)), at(Some(t + 1)), at(None), at(Some(t + 86_400_000))];
        let grid = activity(&messages, &Scope::default(), chrono_tz::Asia::Tokyo);
        assert_eq!((grid[2][7], grid[3][7]), (2, 1));
        assert_eq!(grid.iter().flatten().sum::<u64>(), 3, "undated rows have no hour");
        let period = Scope {
            until: Some(t + 1),
            ..Scope::default()
        };
        assert_eq!(activity(&messages, &period, chrono_tz::UTC)[1][22], 1);
    }

    #[test]
    fn sync_threshold_is_inclusive() {
        let m = chat(&[
            ("c", "a", Some(0), false),
            ("c", "b", Some(300), false),
            ("c", "a", Some(601), false),
        ]);
        assert_eq!(m.overall.responses.responses, 2);
        assert_eq!(
            m.overall.responses.sync_responses, 1,
            "300 s is synchronous, 301 s is not"
        );
        assert_eq!(m.overall.responses.response_sync_ratio, Some(0.5));
        let d = &m.overall.responses.response_time_s;
        assert_eq!((d.p50, d.p90), (Some(300.5), Some(300.9)));
    }

    #[test]
    fn live_sessions_need_three_messages_and_two_senders() {
        let m = chat(&[
            // A monologue of 3 plus one answer: the whole run of 4 counts.
            ("x", "a", Some(0), false),
            ("x", "a", Some(60), false),
            ("x", "a", Some(120), false),
            ("x", "b", Some(420), false),
            // Two messages only: no session.
            ("y", "a", Some(0), false),
            ("y", "b", Some(10), false),
            // A 301 s gap breaks the run.
            ("z", "a", Some(0), false),
            ("z", "b", Some(10), false),
            ("z", "a", Some(311), false),
            // Undated: never in a session, and not a timed message.
            ("z", "b", None, false),
        ]);
        assert_eq!(m.overall.messages.live_session_messages, 4);
        assert_eq!(m.overall.messages.timed_messages, 9);
        assert_eq!(m.overall.messages.messages, 10);
    }

    #[test]
    fn first_response_skips_the_openers_own_answers_and_automated_openers() {
        let m = chat(&[
            ("x", "a", Some(0), false),
            ("x", "a", Some(20), false), // a follows herself up
            ("x", "b", Some(50), false), // b answers: 50 s after the opener
            ("y", "bot", Some(0), true),
            ("y", "c", Some(10), false), // automated opener: no first response
        ]);
        assert_eq!(m.first_response_time_s.count, 1);
        assert_eq!(m.first_response_time_s.p50, Some(50.0));
        assert_eq!(m.automated_pairs, 1);
    }
}
