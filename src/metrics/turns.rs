//! Turns and unanswered messages (METRICS.md section 3, Unanswered).
//!
//! A turn is a non-automated message that is not a follow-up (its opener)
//! with the follow-ups below it. It is answered when any of its messages
//! gets a response; its wait runs from the opener to the first response.
//! Unanswered turns are censored at the end of the data in a Kaplan–Meier
//! time-to-response curve, so that they do not bias the figures low.

use super::responses::Class;
use serde::Serialize;
use std::collections::BTreeMap;

/// Shares of timed turns answered within these horizons (seconds).
const WITHIN: [(&str, f64); 4] = [("5m", 300.0), ("1h", 3600.0), ("4h", 14_400.0), ("1d", 86_400.0)];

/// Points at which the time-to-response curve is reported in the summary.
const HORIZONS: [(&str, f64); 9] = [
    ("1m", 60.0),
    ("5m", 300.0),
    ("15m", 900.0),
    ("1h", 3600.0),
    ("4h", 14_400.0),
    ("1d", 86_400.0),
    ("3d", 259_200.0),
    ("7d", 604_800.0),
    ("30d", 2_592_000.0),
];

/// What the turn figures are computed from, index for index.
pub struct TurnInput<'a> {
    pub ts: &'a [Option<i64>],
    pub automated: &'a [bool],
    pub parent: &'a [Option<u32>],
    /// The class of each message's pair with its parent, if it has one.
    pub class: &'a [Option<Class>],
    pub counted: &'a [bool],
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Turns {
    /// Turns whose opener is timed.
    pub timed_turns: u64,
    pub answered: u64,
    /// answered / timed turns.
    pub reply_rate: Option<f64>,
    /// Share of timed turns answered within 5 min, 1 h, 4 h, 1 day.
    pub answered_within: BTreeMap<&'static str, Option<f64>>,
    /// Kaplan–Meier estimate of the share still unanswered after each
    /// horizon (unanswered turns censored at the end of the data).
    pub unanswered_after: BTreeMap<&'static str, Option<f64>>,
    /// Kaplan–Meier median time to response, seconds (none when the curve
    /// never falls to one half).
    pub median_time_to_response_s: Option<f64>,
    /// The whole curve: (seconds, share still unanswered), for charts.
    #[serde(skip)]
    pub curve: Vec<(f64, f64)>,
    /// The longest time observed, answered or not, seconds: where the
    /// curve ends.
    #[serde(skip)]
    pub longest_wait_s: f64,
}

/// The turn each message belongs to (its opener), if any.
fn turn_of(input: &TurnInput) -> Vec<Option<u32>> {
    let n = input.ts.len();
    let mut turn: Vec<Option<Option<u32>>> = vec![None; n];
    let is_follow_up = |i: usize| input.class[i] == Some(Class::FollowUp);
    let mut chain = Vec::new();
    for start in 0..n {
        chain.clear();
        let mut i = start;
        // Walk up the follow-ups to the message that starts them.
        let resolved = loop {
            if let Some(known) = turn[i] {
                break known;
            }
            if chain.contains(&i) {
                break None; // a cycle of follow-ups has no opener
            }
            chain.push(i);
            match input.parent[i] {
                Some(p) if is_follow_up(i) => i = p as usize,
                _ => break (!input.automated[i] && !is_follow_up(i)).then_some(i as u32),
            }
        };
        for &c in &chain {
            turn[c] = Some(resolved);
        }
    }
    turn.into_iter().map(Option::flatten).collect()
}

/// The turn figures, overall and of each group of openers (a channel,
/// say), from one pass over the turns.
pub fn compute<'a>(input: &TurnInput, group: impl Fn(usize) -> &'a str) -> (Turns, BTreeMap<String, Turns>) {
    let durations = durations(input);
    let mut grouped: BTreeMap<&str, Vec<(f64, bool)>> = BTreeMap::new();
    for &(opener, d) in &durations {
        grouped.entry(group(opener)).or_default().push(d);
    }
    let by_group = grouped
        .into_iter()
        .map(|(g, d)| (g.to_string(), summarize(d)))
        .collect();
    (
        summarize(durations.into_iter().map(|(_, d)| d).collect()),
        by_group,
    )
}

/// Each timed turn's opener with its wait, and whether it was answered.
fn durations(input: &TurnInput) -> Vec<(usize, (f64, bool))> {
    let turn = turn_of(input);
    // By opener: the time of its turn's first answer.
    let mut first_answer: Vec<Option<i64>> = vec![None; turn.len()];
    for (r, class) in input.class.iter().enumerate() {
        // Only a message with a parent is ever classed a response.
        let (Some(Class::Response), true, Some(t), Some(parent)) =
            (class, input.counted[r], input.ts[r], input.parent[r])
        else {
            continue;
        };
        if let Some(opener) = turn[parent as usize] {
            let first = &mut first_answer[opener as usize];
            *first = Some(first.map_or(t, |f| f.min(t)));
        }
    }
    let end = input
        .ts
        .iter()
        .zip(input.counted)
        .filter_map(|(t, &c)| t.filter(|_| c))
        .max();
    let mut durations = Vec::new();
    for (i, t) in input.ts.iter().enumerate() {
        let (Some(opened), true, Some(Some(opener))) = (t, input.counted[i], turn.get(i)) else {
            continue;
        };
        if *opener as usize != i {
            continue;
        }
        let seconds = |until: i64| (until - opened).max(0) as f64 / 1000.0;
        durations.push(match first_answer[i] {
            Some(answer) => (i, (seconds(answer), true)),
            None => (i, (seconds(end.unwrap_or(*opened)), false)),
        });
    }
    durations
}

fn summarize(mut durations: Vec<(f64, bool)>) -> Turns {
    let timed = durations.len() as u64;
    let waits_s: Vec<f64> = durations.iter().filter(|d| d.1).map(|d| d.0).collect();
    let answered = waits_s.len() as u64;
    let answered_within = WITHIN
        .iter()
        .map(|&(name, limit)| {
            let within = waits_s.iter().filter(|&&w| w <= limit).count() as u64;
            (name, super::ratio(within, timed))
        })
        .collect();
    let longest_wait_s = durations.iter().map(|d| d.0).fold(0.0, f64::max);
    let curve = kaplan_meier(&mut durations);
    let survival_at = |t: f64| -> Option<f64> {
        if timed == 0 {
            return None;
        }
        Some(curve.iter().take_while(|p| p.0 <= t).last().map_or(1.0, |p| p.1))
    };
    Turns {
        timed_turns: timed,
        answered,
        reply_rate: super::ratio(answered, timed),
        answered_within,
        unanswered_after: HORIZONS.iter().map(|&(name, t)| (name, survival_at(t))).collect(),
        median_time_to_response_s: curve.iter().find(|p| p.1 <= 0.5).map(|p| p.0),
        curve,
        longest_wait_s,
    }
}

/// The Kaplan–Meier survival curve: at each time with an event, the share
/// not yet answered. At equal times, answers count before censoring.
fn kaplan_meier(durations: &mut [(f64, bool)]) -> Vec<(f64, f64)> {
    durations.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)));
    let mut at_risk = durations.len() as f64;
    let mut survival = 1.0;
    let mut curve = Vec::new();
    let mut i = 0;
    while i < durations.len() {
        let t = durations[i].0;
        let same = durations[i..].iter().take_while(|d| d.0 == t);
        let (events, total) = same.fold((0.0, 0.0), |(e, n), d| (e + f64::from(u8::from(d.1)), n + 1.0));
        if events > 0.0 {
            survival *= 1.0 - events / at_risk;
            curve.push((t, survival));
        }
        at_risk -= total;
        i += total as usize;
    }
    curve
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kaplan_meier_by_hand() {
        // Answers at 1, 2, 2, 5; censored at 3 and 10: S(1)=5/6,
        // S(2)=5/6·3/5=1/2, S(5)=1/2·(1-1/2)=1/4.
        let mut d = vec![
            (1.0, true),
            (2.0, true),
            (2.0, true),
            (3.0, false),
            (5.0, true),
            (10.0, false),
        ];
        let curve = kaplan_meier(&mut d);
        let expected = [(1.0, 5.0 / 6.0), (2.0, 0.5), (5.0, 0.25)];
        assert_eq!(curve.len(), expected.len());
        for (got, want) in curve.iter().zip(expected) {
            assert_eq!(got.0, want.0);
            assert!((got.1 - want.1).abs() < 1e-12, "{got:?} vs {want:?}");
        }
    }

    const FOLLOW_UP: Option<Class> = Some(Class::FollowUp);
    const RESPONSE: Option<Class> = Some(Class::Response);

    #[test]
    fn follow_ups_join_their_openers_turn() {
        // 0 opens; 1 follows up on 0; 2 answers 1 at t=600 s; 3 opens and
        // is never answered; 4 is automated and not a turn.
        let ts = [Some(0), Some(60_000), Some(600_000), Some(700_000), Some(800_000)];
        let input = TurnInput {
            ts: &ts,
            automated: &[false, false, false, false, true],
            parent: &[None, Some(0), Some(1), None, None],
            class: &[None, FOLLOW_UP, RESPONSE, None, None],
            counted: &[true; 5],
        };
        let (turns, by_group) = compute(&input, |i| ["a", "a", "b", "b", "a"][i]);
        assert_eq!(by_group["a"].timed_turns, 1, "turns group by their opener");
        assert_eq!(by_group["b"].timed_turns, 2);
        // Turns: 0 (answered after 600 s), 2 (a response, not a follow-up:
        // its own turn, unanswered) and 3 (unanswered).
        assert_eq!(turns.timed_turns, 3);
        assert_eq!(turns.answered, 1);
        assert_eq!(
            turns.curve.first().map(|p| p.0),
            Some(600.0),
            "answered after 600 s"
        );
        assert_eq!(turns.answered_within["1h"], Some(1.0 / 3.0));
        assert_eq!(turns.answered_within["5m"], Some(0.0));
    }

    #[test]
    fn follow_up_cycles_end() {
        let input = TurnInput {
            ts: &[Some(0), Some(1)],
            automated: &[false, false],
            parent: &[Some(1), Some(0)],
            class: &[FOLLOW_UP, FOLLOW_UP],
            counted: &[true, true],
        };
        assert_eq!(compute(&input, |_| "").0.timed_turns, 0);
    }
}
