//! `report.html`: one self-contained page (inline CSS, charts as inline
//! SVG, no scripts, fonts or links to load) that answers, at a glance, how
//! fast people answer, who waits on whom, and how much is live. Every
//! string taken from messages is escaped: mail headers are written by
//! strangers.

use super::Summary;
use super::charts::Chart;
use super::terminal::duration;
use crate::metrics::{AfterHours, BusinessFigures, Distribution, Group, Person, ResponseStats};
use std::collections::BTreeSet;
use std::fmt::Write;

/// How many people the per-person table lists.
const PEOPLE_ROWS: usize = 40;

const STYLE: &str = "
body { font: 15px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #222; margin: 0; background: #f6f7f9; }
main { max-width: 1040px; margin: 0 auto; padding: 24px 32px 64px; }
h1 { font-size: 28px; margin: 8px 0 4px; }
h2 { font-size: 21px; margin: 40px 0 12px; border-bottom: 2px solid #dde1e6; padding-bottom: 4px; }
p.lead { color: #555; margin-top: 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 12px; }
.card { background: #fff; border: 1px solid #dde1e6; border-radius: 8px; padding: 12px 14px; }
.card .value { font-size: 24px; font-weight: 600; }
.card .label { color: #555; font-size: 13px; }
.card .was { color: #777; font-size: 12px; margin-top: 4px; }
figure { background: #fff; border: 1px solid #dde1e6; border-radius: 8px; margin: 16px 0; padding: 8px; }
figure svg { width: 100%; height: auto; display: block; }
figcaption { color: #555; font-size: 13px; padding: 4px 8px; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: 14px; }
th, td { border-bottom: 1px solid #e4e7eb; padding: 5px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #eef1f4; font-weight: 600; }
td.name { max-width: 320px; overflow-wrap: anywhere; }
.muted { color: #777; }
";

/// Renders the page.
pub fn render(s: &Summary, charts: &[(Chart, String)]) -> String {
    let mut h = String::with_capacity(256 << 10);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>commlens report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
    );
    headline(&mut h, s);
    for (chart, svg) in charts {
        let _ = writeln!(
            h,
            "<figure id=\"chart-{}\">{}<figcaption>{}</figcaption></figure>",
            chart.name(),
            strip_xml_declaration(svg),
            esc(caption(chart))
        );
    }
    answered(&mut h, s);
    tables(&mut h, s);
    if let Some(b) = &s.metrics.business_hours {
        business_hours(&mut h, s, b);
    }
    quality(&mut h, s);
    provenance(&mut h, s);
    h.push_str("</main>\n</body>\n</html>\n");
    h
}

fn headline(h: &mut String, s: &Summary) {
    let (responses, messages) = (&s.metrics.overall.responses, &s.metrics.overall.messages);
    let r = &responses.response_time_s;
    let calls = match s.events {
        0 => String::new(),
        n => format!(" and {n} calls or meetings"),
    };
    let local = |t: &Option<String>| {
        let zone: chrono_tz::Tz = s.settings.tz.parse().unwrap_or(chrono_tz::UTC);
        t.as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&zone).format("%Y-%m-%d %H:%M").to_string())
    };
    let (counted, period) = match (&s.period.since, &s.period.until) {
        (None, None) => (s.messages - s.events, String::new()),
        (since, until) => (
            messages.messages,
            format!(
                " Period {}: {} to {} ({}).",
                s.period.name,
                local(since).unwrap_or_else(|| "the start".into()),
                local(until).unwrap_or_else(|| "the end".into()),
                s.settings.tz
            ),
        ),
    };
    let _ = write!(
        h,
        "<h1>How this team communicates</h1>\n<p class=\"lead\">{counted} messages in {} conversations{calls}, \
         from {} input{}.{}</p>\n<section id=\"headline\"><h2>Headline numbers</h2><div class=\"cards\">\n",
        s.metrics.threads,
        s.inputs.len(),
        if s.inputs.len() == 1 { "" } else { "s" },
        esc(&period)
    );
    let cards = [
        (
            responses.responses.to_string(),
            "responses".to_string(),
            Some("responses"),
        ),
        (
            time(r.p50),
            "median response time".to_string(),
            Some("response_time_p50_s"),
        ),
        (
            time(r.p90),
            "90 % of responses within".to_string(),
            Some("response_time_p90_s"),
        ),
        (
            time(s.metrics.first_response_time_s.p50),
            "median first response".to_string(),
            Some("first_response_time_p50_s"),
        ),
        (
            percent(responses.response_sync_ratio),
            format!(
                "of responses synchronous (≤ {})",
                duration(s.settings.sync_threshold_s)
            ),
            Some("response_sync_ratio"),
        ),
        (
            percent(messages.sync_message_share),
            "of messages in live sessions".to_string(),
            Some("sync_message_share"),
        ),
        (
            percent(s.metrics.turns.reply_rate),
            "of turns answered".to_string(),
            Some("reply_rate"),
        ),
        (
            percent(s.metrics.turns.answered_within.get("1h").copied().flatten()),
            "of turns answered within 1 h".to_string(),
            None,
        ),
    ];
    let sync_time = (s.metrics.sync_time.total.events > 0).then(|| {
        (
            hours(s.metrics.sync_time.total.hours),
            format!("in {} calls and meetings", s.metrics.sync_time.total.events),
            Some("sync_time_hours"),
        )
    });
    for (value, label, figure) in cards.into_iter().chain(sync_time) {
        let was = figure
            .and_then(|f| was(s, f))
            .map(|was| format!("<div class=\"was\">{}</div>", esc(&was)))
            .unwrap_or_default();
        let _ = writeln!(
            h,
            "<div class=\"card\"><div class=\"value\">{}</div><div class=\"label\">{}</div>{was}</div>",
            esc(&value),
            esc(&label)
        );
    }
    h.push_str("</div></section>\n<h2>Charts</h2>\n");
}

/// `▲ from 12 in 2024-W10`: a headline figure in the period before.
fn was(s: &Summary, figure: &str) -> Option<String> {
    let comparison = s.comparison.as_ref()?;
    let change = comparison.figures.get(figure)?;
    let previous = change.previous?;
    let shown = if figure.ends_with("_s") {
        time(Some(previous))
    } else if figure.ends_with("hours") {
        hours(previous)
    } else if figure.contains("ratio") || figure.contains("share") || figure.contains("rate") {
        percent(Some(previous))
    } else {
        format!("{previous:.0}")
    };
    let arrow = match change.change {
        Some(d) if d > 0.0 => "▲ ",
        Some(d) if d < 0.0 => "▼ ",
        Some(_) => "= ",
        None => "",
    };
    Some(format!("{arrow}from {shown} in {}", comparison.previous.name))
}

fn caption(chart: &Chart) -> &'static str {
    match chart {
        Chart::ResponseTimes { .. } => {
            "Each bar counts responses in a band of response time; the lines mark the median and the 90th percentile."
        }
        Chart::TimeToResponse { .. } => {
            "Kaplan–Meier estimate: of all turns (and of each channel's, when there are several), the share not yet answered after a given time. Unanswered turns count as waiting until the end of the data."
        }
        Chart::SyncByWeek { .. } => {
            "Responses per ISO week, split at the synchronous threshold; the line is the share answered synchronously."
        }
        Chart::Activity { .. } => "Messages by weekday and hour; darker means more.",
        Chart::People { waits: false, .. } => {
            "The most active responders: bar to the median response time, line to the 90th percentile."
        }
        Chart::People { waits: true, .. } => {
            "The people who receive the most responses: how long they wait, median and 90th percentile."
        }
        Chart::Direction { .. } => {
            "Responses I sent beside responses sent to me: median and 90th percentile."
        }
    }
}

fn answered(h: &mut String, s: &Summary) {
    h.push_str("<section id=\"buckets\"><h2>How fast responses come</h2>\n<table><tr><th>response time</th><th>responses</th><th>share</th></tr>\n");
    for b in &s.metrics.buckets {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(b.label),
            b.responses,
            percent(b.share)
        );
    }
    let t = &s.metrics.turns;
    let _ = write!(
        h,
        "</table>\n<p>{} turns (a message with its sender's follow-ups): {} answered, a reply rate of {}. \
         Answered within 5 min: {}; 1 h: {}; 4 h: {}; 1 day: {}. Median time to an answer, counting \
         unanswered turns as still waiting: {}.</p></section>\n",
        t.timed_turns,
        t.answered,
        percent(t.reply_rate),
        percent(t.answered_within.get("5m").copied().flatten()),
        percent(t.answered_within.get("1h").copied().flatten()),
        percent(t.answered_within.get("4h").copied().flatten()),
        percent(t.answered_within.get("1d").copied().flatten()),
        time(t.median_time_to_response_s),
    );
}

fn tables(h: &mut String, s: &Summary) {
    let group_header = "<tr><th></th><th>responses</th><th>median</th><th>p90</th><th>synchronous</th>\
                        <th>messages</th><th>in live sessions</th></tr>\n";
    let group_cells = |g: &Group| {
        let d = &g.responses.response_time_s;
        vec![
            g.responses.responses.to_string(),
            time(d.p50),
            time(d.p90),
            percent(g.responses.response_sync_ratio),
            g.messages.messages.to_string(),
            percent(g.messages.sync_message_share),
        ]
    };
    h.push_str("<section id=\"channels\"><h2>Per channel</h2><table>\n");
    h.push_str(group_header);
    for (channel, g) in &s.metrics.by_channel {
        named_row(h, channel, &group_cells(g));
    }
    h.push_str("</table></section>\n");
    let events = &s.metrics.sync_time;
    if events.total.events > 0 {
        h.push_str(
            "<section id=\"sync-time\"><h2>Calls and meetings</h2><p class=\"muted\">Synchronous by \
             nature: counted by how long they took, apart from the message figures.</p><table>\n\
             <tr><th></th><th>calls or meetings</th><th>hours</th></tr>\n",
        );
        for (channel, t) in &events.by_channel {
            named_row(h, channel, &[t.events.to_string(), hours(t.hours)]);
        }
        h.push_str("</table></section>\n");
    }

    if let Some(d) = &s.metrics.direction {
        h.push_str("<section id=\"direction\"><h2>Me</h2><table>\n<tr><th></th><th>responses</th><th>median</th><th>p90</th><th>synchronous</th></tr>\n");
        for (label, r) in [("I answered", &d.i_answered), ("answered me", &d.answered_me)] {
            response_row(h, label, r);
        }
        h.push_str("</table></section>\n");
    }

    let people = most_active(s);
    let _ = write!(
        h,
        "<section id=\"people\"><h2>Per person</h2><p class=\"muted\">The {} most active of {} people. \
         As responder: how fast they answer; as requester: how long they wait for answers.</p>\n<table>\n\
         <tr><th>person</th><th>messages</th><th>responses sent</th><th>median</th><th>p90</th>\
         <th>responses received</th><th>median wait</th><th>p90 wait</th></tr>\n",
        people.len().min(PEOPLE_ROWS),
        people.len()
    );
    for (who, p) in people.into_iter().take(PEOPLE_ROWS) {
        let (a, b) = (&p.as_responder, &p.as_requester);
        let cells = [
            p.messages.messages.to_string(),
            a.responses.to_string(),
            time(a.response_time_s.p50),
            time(a.response_time_s.p90),
            b.responses.to_string(),
            time(b.response_time_s.p50),
            time(b.response_time_s.p90),
        ];
        named_row(h, who, &cells);
    }
    h.push_str("</table></section>\n<section id=\"weeks\"><h2>Per week</h2><table>\n");
    // Weeks with calls or meetings gain a column, and weeks with only
    // those a row.
    let with_events = events.total.events > 0;
    h.push_str(group_header.strip_suffix("</tr>\n").unwrap_or(group_header));
    if with_events {
        h.push_str("<th>hours in calls and meetings</th>");
    }
    h.push_str("</tr>\n");
    let weeks: BTreeSet<&String> = s.metrics.by_week.keys().chain(events.by_week.keys()).collect();
    let no_messages = Group::default();
    for week in weeks {
        let mut cells = group_cells(s.metrics.by_week.get(week).unwrap_or(&no_messages));
        if with_events {
            cells.push(hours(events.by_week.get(week).map_or(0.0, |t| t.hours)));
        }
        named_row(h, week, &cells);
    }
    h.push_str("</table></section>\n");
}

/// Wall-clock response times beside business-hours ones, and the
/// after-hours load, overall, by channel and by person.
fn business_hours(h: &mut String, s: &Summary, b: &BusinessFigures) {
    let own = match b.people_calendars {
        0 => String::new(),
        n => format!("; {n} people have calendars of their own"),
    };
    let _ = write!(
        h,
        "<section id=\"business-hours\"><h2>Business hours</h2>\n<p class=\"muted\">Working hours {} on {}, \
         {}, {} holidays{own}. A business-hours response time counts only the responder's working \
         hours: a message sent off-hours starts the clock at the next opening.</p>\n",
        esc(&b.work_hours),
        esc(&b.workdays.join(" ")),
        esc(&b.tz),
        b.holidays,
    );
    let a = &b.after_hours;
    let _ = write!(
        h,
        "<p>Of {} messages, {} were sent outside their sender's working hours and {} on weekends \
         (non-workdays).</p>\n<table>\n<tr><th></th><th>responses</th><th>median</th><th>p90</th>\
         <th>median, business hours</th><th>p90, business hours</th></tr>\n",
        a.messages,
        percent(a.after_hours_share),
        percent(a.weekend_share)
    );
    let pair = |wall: &Distribution, business: Option<&Distribution>| {
        let business = business.cloned().unwrap_or_default();
        vec![
            wall.count.to_string(),
            time(wall.p50),
            time(wall.p90),
            time(business.p50),
            time(business.p90),
        ]
    };
    named_row(
        h,
        "all channels",
        &pair(
            &s.metrics.overall.responses.response_time_s,
            Some(&b.response_time_s),
        ),
    );
    for (channel, g) in &s.metrics.by_channel {
        named_row(
            h,
            channel,
            &pair(&g.responses.response_time_s, b.by_channel.get(channel)),
        );
    }
    let _ = write!(
        h,
        "</table>\n<p class=\"muted\">By person: how fast they answer, counted in their own working hours, and how \
         many of their messages they sent after hours.</p>\n<table>\n<tr><th>person</th><th>responses sent</th><th>median</th><th>p90</th>\
         <th>median, business hours</th><th>p90, business hours</th><th>messages</th>\
         <th>after hours</th><th>on weekends</th></tr>\n"
    );
    let people = most_active(s);
    let no_messages = AfterHours::default();
    for (who, p) in people.into_iter().take(PEOPLE_ROWS) {
        let mut cells = pair(&p.as_responder.response_time_s, b.by_person.get(who));
        let a = b.after_hours_by_person.get(who).unwrap_or(&no_messages);
        cells.extend([
            a.messages.to_string(),
            percent(a.after_hours_share),
            percent(a.weekend_share),
        ]);
        named_row(h, who, &cells);
    }
    h.push_str("</table></section>\n");
}

/// Everyone, the most messages first, then by name.
fn most_active(s: &Summary) -> Vec<(&String, &Person)> {
    let mut people: Vec<_> = s.metrics.by_person.iter().collect();
    people.sort_by(|a, b| {
        b.1.messages
            .messages
            .cmp(&a.1.messages.messages)
            .then(a.0.cmp(b.0))
    });
    people
}

/// Hours to one decimal: `12.5 h`.
fn hours(value: f64) -> String {
    format!("{value:.1} h")
}

/// A table row: an escaped name, then cells of figures.
fn named_row(h: &mut String, name: &str, cells: &[String]) {
    let _ = write!(h, "<tr><td class=\"name\">{}</td>", esc(name));
    for cell in cells {
        let _ = write!(h, "<td>{cell}</td>");
    }
    h.push_str("</tr>\n");
}

fn response_row(h: &mut String, label: &str, r: &ResponseStats) {
    let d: &Distribution = &r.response_time_s;
    let _ = writeln!(
        h,
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        esc(label),
        r.responses,
        time(d.p50),
        time(d.p90),
        percent(r.response_sync_ratio)
    );
}

fn quality(h: &mut String, s: &Summary) {
    let q = &s.data_quality;
    let skipped: u64 = s.skipped.values().sum();
    let _ = write!(
        h,
        "<section id=\"quality\"><h2>Data quality</h2><table>\n<tr><th>messages</th><th>count</th></tr>\n\
         <tr><td>read</td><td>{}</td></tr>\n<tr><td>kept</td><td>{}</td></tr>\n\
         <tr><td>duplicates</td><td>{}</td></tr>\n<tr><td>excluded (Spam, Trash, system notices)</td><td>{}</td></tr>\n\
         <tr><td>skipped</td><td>{}</td></tr>\n",
        s.messages_read, s.messages, s.duplicates, s.excluded, skipped
    );
    let reasons = [("excluded", &q.excluded_by_reason), ("skipped", &s.skipped)];
    for (what, by_reason) in reasons {
        for (reason, n) in by_reason {
            let _ = writeln!(
                h,
                "<tr><td>&nbsp;&nbsp;{what}: {}</td><td>{n}</td></tr>",
                esc(&reason.replace('_', " "))
            );
        }
    }
    for (source, n) in &q.date_sources {
        let name = serde_json::to_value(source)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let _ = writeln!(
            h,
            "<tr><td>dated by {}</td><td>{n}</td></tr>",
            esc(&name.replace('_', " "))
        );
    }
    let _ = write!(
        h,
        "<tr><td>suspicious <code>From </code> lines (kept as body text)</td><td>{}</td></tr>\n\
         <tr><td>header fields over 64 KiB, cut (the message kept)</td><td>{}</td></tr>\n\
         <tr><td>clock skew (answer dated before its parent)</td><td>{}</td></tr>\n\
         <tr><td>answers left out: a side undated</td><td>{}</td></tr>\n\
         <tr><td>answers left out: a side automated</td><td>{}</td></tr>\n\
         <tr><td>automated messages</td><td>{}</td></tr>\n</table>\n",
        q.suspicious_from_lines,
        q.header_fields_cut,
        q.clock_skew,
        q.undated_pairs,
        q.automated_pairs,
        q.automated_messages
    );
    if !q.skipped_examples.is_empty() {
        h.push_str("<table><tr><th>skipped message</th><th>where</th><th>reason</th></tr>\n");
        for e in &q.skipped_examples {
            let _ = writeln!(
                h,
                "<tr><td class=\"name\">{}</td><td>{}</td><td>{}</td></tr>",
                esc(&e.file),
                esc(&e.at),
                esc(e.reason)
            );
        }
        h.push_str("</table>\n");
    }
    h.push_str("</section>\n");
}

fn provenance(h: &mut String, s: &Summary) {
    let _ = write!(
        h,
        "<section id=\"provenance\"><h2>What produced this report</h2>\n<p>commlens {}; synchronous \
         threshold {}; subject joins up to {} days back{}{}.</p>\n<table>\n\
         <tr><th>input</th><th>format</th><th>read</th><th>kept</th><th>problem</th></tr>\n",
        esc(s.commlens_version),
        duration(s.settings.sync_threshold_s),
        s.settings.subject_window_days,
        s.settings
            .since
            .as_ref()
            .map(|d| format!("; from {}", esc(d)))
            .unwrap_or_default(),
        s.settings
            .until
            .as_ref()
            .map(|d| format!("; until {}", esc(d)))
            .unwrap_or_default(),
    );
    for i in &s.inputs {
        let format = i.format.map(|f| format!("{f:?}")).unwrap_or_default();
        let _ = writeln!(
            h,
            "<tr><td class=\"name\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&i.path),
            esc(&format),
            i.messages_read,
            i.messages_kept,
            esc(i.problem.as_deref().unwrap_or(""))
        );
    }
    h.push_str("</table>\n");
    if let Some(at) = &s.generated_at {
        let _ = writeln!(h, "<p class=\"muted\">Generated at {}.</p>", esc(at));
    }
    h.push_str("</section>\n");
}

/// Escapes text for HTML content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(super::defuse_bidi(c)),
        }
    }
    out
}

fn strip_xml_declaration(svg: &str) -> &str {
    match svg.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").map_or(svg, |(_, body)| body.trim_start()),
        None => svg,
    }
}

fn time(seconds: Option<f64>) -> String {
    seconds.map_or("–".to_string(), duration)
}

fn percent(ratio: Option<f64>) -> String {
    ratio.map_or("–".to_string(), |r| format!("{:.1} %", r * 100.0))
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn escapes_markup_quotes_and_bidi_overrides() {
        assert_eq!(
            esc("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(esc("\" onload='x' &"), "&quot; onload=&#39;x&#39; &amp;");
        assert_eq!(esc("a\u{202e}b"), "a\u{fffd}b");
    }
}
