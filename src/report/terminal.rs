//! The headline numbers as an aligned table for the terminal.

use super::Summary;
use crate::metrics::Distribution;
use std::fmt::Write;

/// Renders the summary; `color` adds bold labels (for a terminal).
pub fn render(s: &Summary, written: &[std::path::PathBuf], color: bool) -> String {
    let label = |text: &str| {
        if color {
            format!("\x1b[1m{text:<16}\x1b[0m")
        } else {
            format!("{text:<16}")
        }
    };
    let skipped: u64 = s.skipped.values().sum();
    let sync = s.settings.sync_threshold_s;
    let overall = &s.metrics.overall;
    let mut out = String::new();
    let mut line = |name: &str, value: String| {
        let _ = writeln!(out, "  {}{value}", label(name));
    };
    line(
        "Messages",
        format!(
            "{} read from {} input{}: {} kept, {} duplicates, {} excluded, {} skipped, {} undated",
            s.messages_read,
            s.inputs.len(),
            if s.inputs.len() == 1 { "" } else { "s" },
            s.messages,
            s.duplicates,
            s.excluded,
            skipped,
            s.undated
        ),
    );
    if let Some(c) = &s.comparison {
        let figure = |name: &str| c.figures.get(name).copied();
        let responses = figure("responses")
            .and_then(|f| f.change)
            .map_or(String::new(), |d| format!(" ({d:+.0})"));
        let median = figure("response_time_p50_s")
            .and_then(|f| f.previous)
            .map_or(String::new(), |p| format!(", median was {}", duration(p)));
        line(
            "Period",
            format!(
                "{}: {} responses{responses} against {}{median}",
                s.period.name, overall.responses.responses, c.previous.name
            ),
        );
    } else if s.period.name != "all" {
        line("Period", s.period.name.clone());
    }
    line("Conversations", s.metrics.threads.to_string());
    line(
        "Responses",
        format!(
            "{}{}",
            overall.responses.responses,
            spread(&overall.responses.response_time_s)
        ),
    );
    line(
        "First response",
        format!(
            "{} conversations{}",
            s.metrics.first_response_time_s.count,
            spread(&s.metrics.first_response_time_s)
        ),
    );
    line(
        "Synchronous",
        format!(
            "{} of responses within {}",
            percent(overall.responses.response_sync_ratio),
            duration(sync)
        ),
    );
    line(
        "Live sessions",
        format!(
            "{} of timed messages",
            percent(overall.messages.sync_message_share)
        ),
    );
    line(
        "Reply rate",
        format!(
            "{} of {} turns answered, {} within 1 h",
            percent(s.metrics.turns.reply_rate),
            s.metrics.turns.timed_turns,
            percent(s.metrics.turns.answered_within.get("1h").copied().flatten())
        ),
    );
    if let Some(b) = &s.metrics.business_hours {
        line(
            "Business hours",
            format!(
                "{} responses{}; {} of messages after hours, {} on weekends",
                b.response_time_s.count,
                spread(&b.response_time_s),
                percent(b.after_hours.after_hours_share),
                percent(b.after_hours.weekend_share)
            ),
        );
    }
    if s.metrics.sync_time.total.events > 0 {
        line(
            "Calls, meetings",
            format!(
                "{} taking {:.1} h",
                s.metrics.sync_time.total.events, s.metrics.sync_time.total.hours
            ),
        );
    }
    if let Some(d) = &s.metrics.direction {
        line(
            "I answered",
            format!(
                "{}{}",
                d.i_answered.responses,
                spread(&d.i_answered.response_time_s)
            ),
        );
        line(
            "Answered me",
            format!(
                "{}{}",
                d.answered_me.responses,
                spread(&d.answered_me.response_time_s)
            ),
        );
    }
    for path in written {
        let _ = writeln!(out, "wrote {}", path.display());
    }
    out
}

/// `   median 12 min · p90 3.1 h`, or nothing for an empty distribution.
fn spread(d: &Distribution) -> String {
    match (d.p50, d.p90) {
        (Some(p50), Some(p90)) => format!("   median {} · p90 {}", duration(p50), duration(p90)),
        _ => String::new(),
    }
}

fn percent(ratio: Option<f64>) -> String {
    ratio.map_or("n/a".to_string(), |r| format!("{:.1} %", r * 100.0))
}

/// Seconds in the unit a person would use: 45 s, 12 min, 3.1 h, 2 d.
pub fn duration(seconds: f64) -> String {
    if seconds < 60.0 {
        format!("{seconds:.0} s")
    } else if seconds < 3600.0 {
        format!("{:.0} min", seconds / 60.0)
    } else if seconds < 86_400.0 {
        format!("{} h", one_decimal(seconds / 3600.0))
    } else {
        format!("{} d", one_decimal(seconds / 86_400.0))
    }
}

/// `3.1`, but `2` rather than `2.0`.
fn one_decimal(value: f64) -> String {
    let text = format!("{value:.1}");
    text.strip_suffix(".0").map_or(text.clone(), str::to_string)
}

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn durations_in_human_units() {
        assert_eq!(duration(0.0), "0 s");
        assert_eq!(duration(59.0), "59 s");
        assert_eq!(duration(300.0), "5 min");
        assert_eq!(duration(5400.0), "1.5 h");
        assert_eq!(duration(172_800.0), "2 d");
        assert_eq!(duration(3600.0), "1 h");
    }
}
