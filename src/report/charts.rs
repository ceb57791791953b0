//! Charts: pure renderers from figures to SVG text (for the HTML report),
//! drawn with plotters, and from that SVG to PNG bytes, rasterized with
//! resvg. The font is embedded, and is the only one the rasterizer knows,
//! so a PNG looks the same on a server or in a container without fonts.

use super::terminal::duration;
use crate::metrics::Metrics;
use anyhow::{Context, Result, anyhow};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use resvg::{tiny_skia, usvg};
use std::error::Error;
use std::sync::{Arc, Once, OnceLock};

/// Pixel size of every chart.
pub const SIZE: (u32, u32) = (960, 520);
/// How many people the per-person charts show.
const TOP_PEOPLE: usize = 12;

/// The family the SVG names; a browser shows it in its own sans-serif
/// font, the PNG in the embedded one.
const FONT: &str = "sans-serif";
const FONT_DATA: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");
/// The family name inside `FONT_DATA`.
const FONT_FAMILY: &str = "DejaVu Sans";
const SYNC: RGBColor = RGBColor(0xe0, 0x7a, 0x1f);
const ASYNC: RGBColor = RGBColor(0x3b, 0x6e, 0xa8);
const INK: RGBColor = RGBColor(0x33, 0x33, 0x33);

type Drawn = std::result::Result<(), Box<dyn Error>>;

/// A chart, with the data it shows.
#[derive(Debug, Clone)]
pub enum Chart {
    /// Response times on logarithmic bins, with p50 and p90 marked.
    ResponseTimes {
        times_s: Vec<f64>,
        p50: Option<f64>,
        p90: Option<f64>,
    },
    /// Kaplan–Meier share of turns still unanswered over time: all turns,
    /// then each channel when there are several.
    TimeToResponse {
        curves: Vec<(String, Vec<(f64, f64)>)>,
        end_s: f64,
    },
    /// Synchronous and asynchronous responses per ISO week, with the ratio.
    SyncByWeek { weeks: Vec<(String, u64, u64)> },
    /// Messages by weekday and hour, in the zone `tz`.
    Activity { grid: Box<[[u64; 24]; 7]>, tz: String },
    /// Median and p90 response time of the most active people, as
    /// responders (`waits` false) or requesters (`waits` true).
    People {
        rows: Vec<(String, f64, f64, u64)>,
        waits: bool,
    },
    /// "I answered" beside "answered me" (with `--me`).
    Direction { rows: Vec<(String, f64, f64, u64)> },
}

impl Chart {
    /// File name stem.
    pub fn name(&self) -> &'static str {
        match self {
            Chart::ResponseTimes { .. } => "response_times",
            Chart::TimeToResponse { .. } => "time_to_response",
            Chart::SyncByWeek { .. } => "sync_by_week",
            Chart::Activity { .. } => "activity",
            Chart::People { waits: false, .. } => "responders",
            Chart::People { waits: true, .. } => "requesters",
            Chart::Direction { .. } => "direction",
        }
    }

    pub fn title(&self) -> &'static str {
        match self {
            Chart::ResponseTimes { .. } => "How fast responses come",
            Chart::TimeToResponse { .. } => "Turns still waiting for an answer",
            Chart::SyncByWeek { .. } => "Synchronous and asynchronous responses per week",
            Chart::Activity { .. } => "When messages are sent",
            Chart::People { waits: false, .. } => "How fast people answer",
            Chart::People { waits: true, .. } => "How long people wait for an answer",
            Chart::Direction { .. } => "How fast I answer, and how fast I am answered",
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let root = root.titled(self.title(), (FONT, 26).into_font().color(&INK))?;
        if self.is_empty() {
            let faded = INK.mix(0.7);
            let style = TextStyle::from((FONT, 20).into_font())
                .color(&faded)
                .pos(Pos::new(HPos::Center, VPos::Center));
            let (width, height) = root.dim_in_pixel();
            root.draw_text(
                "No data for this chart",
                &style,
                (width as i32 / 2, height as i32 / 2),
            )?;
            return Ok(());
        }
        match self {
            Chart::ResponseTimes { times_s, p50, p90 } => response_times(&root, times_s, *p50, *p90),
            Chart::TimeToResponse { curves, end_s } => time_to_response(&root, curves, *end_s),
            Chart::SyncByWeek { weeks } => sync_by_week(&root, weeks),
            Chart::Activity { grid, tz } => activity(&root, grid, tz),
            Chart::People { rows, waits } => {
                let axis = if *waits {
                    "Wait for a response"
                } else {
                    "Response time"
                };
                let who = if *waits {
                    "Requester (responses received)"
                } else {
                    "Responder (responses sent)"
                };
                people(&root, rows, axis, who)
            }
            Chart::Direction { rows } => people(&root, rows, "Response time", "Responses"),
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            Chart::ResponseTimes { times_s, .. } => times_s.is_empty(),
            Chart::TimeToResponse { curves, .. } => curves.iter().all(|c| c.1.is_empty()),
            Chart::SyncByWeek { weeks } => weeks.iter().all(|w| w.1 + w.2 == 0),
            Chart::Activity { grid, .. } => grid.iter().flatten().all(|&n| n == 0),
            Chart::People { rows, .. } | Chart::Direction { rows } => rows.is_empty(),
        }
    }
}

/// The charts of a report, in the order the report shows them.
pub fn charts(metrics: &Metrics, tz: &str) -> Vec<Chart> {
    let d = &metrics.overall.responses.response_time_s;
    let weeks = metrics
        .by_week
        .iter()
        .map(|(week, g)| {
            let sync = g.responses.sync_responses;
            (week.clone(), sync, g.responses.responses - sync)
        })
        .collect();
    let top = |waits: bool| {
        let mut rows: Vec<(String, f64, f64, u64)> = metrics
            .by_person
            .iter()
            .filter_map(|(who, p)| {
                let r = if waits { &p.as_requester } else { &p.as_responder };
                let d = &r.response_time_s;
                Some((super::label(who), d.p50?, d.p90?, r.responses))
            })
            .collect();
        rows.sort_by(|a, b| b.3.cmp(&a.3).then_with(|| a.0.cmp(&b.0)));
        rows.truncate(TOP_PEOPLE);
        Chart::People { rows, waits }
    };
    let mut curves = vec![("all turns".to_string(), metrics.turns.curve.clone())];
    if metrics.turns_by_channel.len() > 1 {
        curves.extend(
            metrics
                .turns_by_channel
                .iter()
                .map(|(c, t)| (super::label(c), t.curve.clone())),
        );
    }
    let mut charts = vec![
        Chart::ResponseTimes {
            times_s: metrics.response_times_s.clone(),
            p50: d.p50,
            p90: d.p90,
        },
        Chart::TimeToResponse {
            curves,
            end_s: metrics.turns.longest_wait_s,
        },
        Chart::SyncByWeek { weeks },
        Chart::Activity {
            grid: Box::new(metrics.activity),
            tz: tz.to_string(),
        },
        top(false),
        top(true),
    ];
    if let Some(d) = &metrics.direction {
        let row = |label: &str, r: &crate::metrics::ResponseStats| {
            let d = &r.response_time_s;
            Some((label.to_string(), d.p50?, d.p90?, r.responses))
        };
        let rows = [
            row("I answered", &d.i_answered),
            row("answered me", &d.answered_me),
        ];
        charts.push(Chart::Direction {
            rows: rows.into_iter().flatten().collect(),
        });
    }
    charts
}

/// The chart as an SVG document.
pub fn svg(chart: &Chart) -> Result<String> {
    register_font();
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, SIZE).into_drawing_area();
        chart
            .draw(&root)
            .map_err(|e| anyhow!("drawing {}: {e}", chart.name()))?;
        root.present()
            .map_err(|e| anyhow!("drawing {}: {e}", chart.name()))?;
    }
    Ok(out)
}

/// A chart's SVG (from `svg`) as a PNG image of the same size.
pub fn png(svg: &str) -> Result<Vec<u8>> {
    let options = usvg::Options {
        fontdb: Arc::clone(embedded_fonts()),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &options)?;
    let size = tree.size().to_int_size();
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height()).context("a chart of zero size")?;
    resvg::render(&tree, tiny_skia::Transform::identity(), &mut pixmap.as_mut());
    Ok(pixmap.encode_png()?)
}

/// A font database holding the embedded font alone, with every generic
/// family resolving to it: no system font is looked up.
fn embedded_fonts() -> &'static Arc<usvg::fontdb::Database> {
    static FONTS: OnceLock<Arc<usvg::fontdb::Database>> = OnceLock::new();
    FONTS.get_or_init(|| {
        let mut db = usvg::fontdb::Database::new();
        db.load_font_data(FONT_DATA.to_vec());
        db.set_sans_serif_family(FONT_FAMILY);
        // usvg falls back to serif when a family is not found.
        db.set_serif_family(FONT_FAMILY);
        Arc::new(db)
    })
}

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The embedded font is valid; a failure would show as missing text.
        plotters::style::register_font(FONT, FontStyle::Normal, FONT_DATA).ok();
    });
}

/// Quarter-decade bins from 1 s: [1, 1.78), [1.78, 3.16), … Faster
/// responses (0 s) fall into the first bin.
fn log_bins(times_s: &[f64]) -> Vec<(f64, f64, u64)> {
    let max = times_s.iter().copied().fold(1.0f64, f64::max);
    let top = (max.log10() * 4.0).floor() as i32 + 1;
    let mut counts = vec![0u64; top.max(1) as usize];
    for &t in times_s {
        let i = (t.max(1.0).log10() * 4.0).floor() as usize;
        let last = counts.len() - 1;
        counts[i.min(last)] += 1;
    }
    let edge = |k: i32| 10f64.powf(f64::from(k) / 4.0);
    counts
        .into_iter()
        .enumerate()
        .map(|(k, n)| (edge(k as i32), edge(k as i32 + 1), n))
        .collect()
}

/// Ticks of a time axis in units people use: 1 s, 10 s, 1 min, 5 min,
/// 1 h, … 1 year, those within `lo..hi`.
fn time_ticks(lo: f64, hi: f64) -> Vec<f64> {
    const TICKS: [f64; 12] = [
        1.0,
        10.0,
        60.0,
        300.0,
        3600.0,
        14_400.0,
        86_400.0,
        259_200.0,
        604_800.0,
        2_592_000.0,
        7_776_000.0,
        31_536_000.0,
    ];
    TICKS.into_iter().filter(|t| (lo..=hi).contains(t)).collect()
}

fn axis_font() -> TextStyle<'static> {
    (FONT, 15).into_font().color(&INK)
}

fn response_times<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    times_s: &[f64],
    p50: Option<f64>,
    p90: Option<f64>,
) -> Drawn
where
    DB::ErrorType: 'static,
{
    let bins = log_bins(times_s);
    let (lo, hi) = (bins[0].0, bins[bins.len() - 1].1);
    // Headroom keeps the legend off the bars.
    let y_max = bins.iter().map(|b| b.2).max().unwrap_or(1) as f64 * 1.3;
    let mut chart = ChartBuilder::on(root)
        .margin(20)
        .x_label_area_size(55)
        .y_label_area_size(70)
        .build_cartesian_2d(
            (lo..hi).log_scale().with_key_points(time_ticks(lo, hi)),
            0f64..y_max,
        )?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_desc("Response time (logarithmic)")
        .y_desc("Responses")
        .x_label_formatter(&|v| duration(*v))
        .y_label_formatter(&count)
        .label_style(axis_font())
        .axis_desc_style(axis_font())
        .draw()?;
    chart.draw_series(
        bins.iter()
            .map(|&(a, b, n)| Rectangle::new([(a, 0.0), (b, n as f64)], ASYNC.mix(0.75).filled())),
    )?;
    for (name, value, color) in [("median", p50, SYNC), ("p90", p90, INK)] {
        let Some(v) = value else { continue };
        let v = v.clamp(lo, hi);
        chart
            .draw_series(LineSeries::new([(v, 0.0), (v, y_max)], color.stroke_width(3)))?
            .label(format!("{name} {}", duration(v)))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 24, y)], color.stroke_width(3)));
    }
    legend(&mut chart)
}

fn legend<'a, DB: DrawingBackend + 'a, X: Ranged, Y: Ranged>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
) -> Drawn
where
    DB::ErrorType: 'static,
{
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(INK.mix(0.4))
        .label_font(axis_font())
        .draw()?;
    Ok(())
}

fn time_to_response<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    curves: &[(String, Vec<(f64, f64)>)],
    end_s: f64,
) -> Drawn
where
    DB::ErrorType: 'static,
{
    const COLORS: [RGBColor; 6] = [
        ASYNC,
        SYNC,
        RGBColor(0x4a, 0x9a, 0x5b),
        RGBColor(0x8e, 0x5a, 0xa8),
        RGBColor(0xb8, 0x4a, 0x4a),
        RGBColor(0x77, 0x77, 0x77),
    ];
    let latest = curves
        .iter()
        .flat_map(|c| c.1.iter().map(|p| p.0))
        .fold(end_s, f64::max);
    let hi = latest.max(10.0) * 1.2;
    let mut chart = ChartBuilder::on(root)
        .margin(20)
        .x_label_area_size(55)
        .y_label_area_size(70)
        .build_cartesian_2d(
            (1f64..hi).log_scale().with_key_points(time_ticks(1.0, hi)),
            0f64..1.0,
        )?;
    chart
        .configure_mesh()
        .x_desc("Time since the turn began (logarithmic); unanswered turns wait until the end of the data")
        .y_desc("Share still unanswered")
        .x_label_formatter(&|v| duration(*v))
        .y_label_formatter(&|v| format!("{:.0} %", v * 100.0))
        .label_style(axis_font())
        .axis_desc_style(axis_font())
        .draw()?;
    chart.draw_series(LineSeries::new(
        [(1.0, 0.5), (hi, 0.5)],
        INK.mix(0.4).stroke_width(1),
    ))?;
    for (i, (name, curve)) in curves.iter().enumerate() {
        // A step function: flat until each answer, then down.
        let mut steps = vec![(1.0, 1.0)];
        let mut level = 1.0;
        for &(t, s) in curve {
            let t = t.max(1.0);
            steps.push((t, level));
            steps.push((t, s));
            level = s;
        }
        steps.push((end_s.max(1.0), level));
        let color = COLORS[i % COLORS.len()];
        let width = if i == 0 { 3 } else { 2 };
        chart
            .draw_series(LineSeries::new(steps, color.stroke_width(width)))?
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 24, y)], color.stroke_width(width)));
    }
    legend(&mut chart)
}

/// A tick of a count axis: whole numbers only (with a few responses the
/// ticks fall at halves, which would read "0 0 1 1").
fn count(v: &f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        String::new()
    }
}

fn sync_by_week<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, weeks: &[(String, u64, u64)]) -> Drawn
where
    DB::ErrorType: 'static,
{
    let n = weeks.len();
    // Headroom keeps the legend off the bars.
    let y_max = weeks.iter().map(|w| w.1 + w.2).max().unwrap_or(1) as f64 * 1.45;
    let label = |v: &f64| {
        let i = v.round();
        if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < n {
            weeks[i as usize].0.clone()
        } else {
            String::new()
        }
    };
    let mut chart = ChartBuilder::on(root)
        .margin(20)
        .x_label_area_size(55)
        .y_label_area_size(70)
        .right_y_label_area_size(70)
        .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0f64..y_max)?
        .set_secondary_coord(-0.5f64..(n as f64 - 0.5), 0f64..1.0);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n.min(12))
        .x_label_formatter(&label)
        .x_desc("ISO week")
        .y_desc("Responses")
        .y_label_formatter(&count)
        .label_style(axis_font())
        .axis_desc_style(axis_font())
        .draw()?;
    chart
        .configure_secondary_axes()
        .y_desc("Synchronous share")
        .y_label_formatter(&|v| format!("{:.0} %", v * 100.0))
        .label_style(axis_font())
        .axis_desc_style(axis_font())
        .draw()?;
    let bar = |i: usize, from: f64, to: f64, color: RGBColor| {
        let x = i as f64;
        Rectangle::new([(x - 0.35, from), (x + 0.35, to)], color.filled())
    };
    chart
        .draw_series(
            weeks
                .iter()
                .enumerate()
                .map(|(i, w)| bar(i, 0.0, w.1 as f64, SYNC)),
        )?
        .label("synchronous")
        .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], SYNC.filled()));
    chart
        .draw_series(
            weeks
                .iter()
                .enumerate()
                .map(|(i, w)| bar(i, w.1 as f64, (w.1 + w.2) as f64, ASYNC)),
        )?
        .label("asynchronous")
        .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], ASYNC.filled()));
    let ratio: Vec<(f64, f64)> = weeks
        .iter()
        .enumerate()
        .filter(|(_, w)| w.1 + w.2 > 0)
        .map(|(i, w)| (i as f64, w.1 as f64 / (w.1 + w.2) as f64))
        .collect();
    chart
        .draw_secondary_series(LineSeries::new(ratio.clone(), INK.stroke_width(2)))?
        .label("synchronous share (right axis)")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 24, y)], INK.stroke_width(2)));
    chart.draw_secondary_series(ratio.into_iter().map(|p| Circle::new(p, 4, INK.filled())))?;
    legend(&mut chart)
}

fn activity<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, grid: &[[u64; 24]; 7], tz: &str) -> Drawn
where
    DB::ErrorType: 'static,
{
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let max = grid.iter().flatten().copied().max().unwrap_or(1).max(1) as f64;
    // Rows top to bottom Monday to Sunday: row r shows day 6 - r.
    let mut chart = ChartBuilder::on(root)
        .margin(20)
        .x_label_area_size(55)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..24.0, (0i32..6).into_segmented())?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(13)
        .x_label_formatter(&|v| format!("{:02}:00", *v as u32))
        .y_labels(7)
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(row) if (0..7).contains(row) => DAYS[(6 - row) as usize].to_string(),
            _ => String::new(),
        })
        .x_desc(format!(
            "Hour of day ({tz}); the darkest cell is {} messages",
            max as u64
        ))
        .y_desc("Weekday")
        .label_style(axis_font())
        .axis_desc_style(axis_font())
        .draw()?;
    let cell = |day: usize, hour: usize| {
        let row = 6 - day as i32;
        let (x, y0, y1) = (
            hour as f64,
            SegmentValue::Exact(row),
            SegmentValue::Exact(row + 1),
        );
        [(x, y0), (x + 1.0, y1)]
    };
    chart.draw_series(grid.iter().enumerate().flat_map(|(day, hours)| {
        hours.iter().enumerate().map(move |(hour, &n)| {
            let color = if n == 0 {
                RGBColor(0xf4, 0xf4, 0xf4).to_rgba()
            } else {
                ASYNC.mix(0.15 + 0.85 * n as f64 / max)
            };
            Rectangle::new(cell(day, hour), color.filled())
        })
    }))?;
    // White grid lines between the cells.
    chart
        .draw_series((0..7).flat_map(|day| {
            (0..24).map(move |hour| Rectangle::new(cell(day, hour), WHITE.stroke_width(2)))
        }))?;
    Ok(())
}

fn people<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    rows: &[(String, f64, f64, u64)],
    axis: &str,
    who: &str,
) -> Drawn
where
    DB::ErrorType: 'static,
{
    let n = rows.len();
    let hi = rows.iter().map(|r| r.2).fold(10.0, f64::max) * 1.5;
    let name = |v: &f64| {
        let i = (n as f64 - 1.0 - v).round();
        if (n as f64 - 1.0 - v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < n {
            let (who, .., count) = &rows[i as usize];
            let short: String = who.chars().take(26).collect();
            format!(
                "{short}{} ({count})",
                if who.chars().count() > 26 { "…" } else { "" }
            )
        } else {
            String::new()
        }
    };
    let mut chart = ChartBuilder::on(root)
        .margin(20)
        .x_label_area_size(55)
        .y_label_area_size(300)
        .build_cartesian_2d(
            (1f64..hi).log_scale().with_key_points(time_ticks(1.0, hi)),
            -0.5f64..(n as f64 - 0.5),
        )?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n)
        .y_label_formatter(&name)
        .x_label_formatter(&|v| duration(*v))
        // The axis says what bar and dot mean: a legend would cover rows.
        .x_desc(format!(
            "{axis}: bar to the median, dot at the 90th percentile (logarithmic)"
        ))
        .y_desc(who)
        .label_style(axis_font())
        .axis_desc_style(axis_font())
        .draw()?;
    let y = |i: usize| (n - 1 - i) as f64;
    chart.draw_series(rows.iter().enumerate().map(|(i, r)| {
        Rectangle::new(
            [(1.0, y(i) - 0.3), (r.1.max(1.0), y(i) + 0.3)],
            ASYNC.mix(0.8).filled(),
        )
    }))?;
    chart.draw_series(
        rows.iter().enumerate().map(|(i, r)| {
            PathElement::new([(r.1.max(1.0), y(i)), (r.2.max(1.0), y(i))], INK.stroke_width(2))
        }),
    )?;
    chart.draw_series(
        rows.iter()
            .enumerate()
            .map(|(i, r)| Circle::new((r.2.max(1.0), y(i)), 4, INK.filled())),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_bins_cover_every_time() {
        let bins = log_bins(&[0.0, 1.0, 9.0, 10.0, 3600.0]);
        assert_eq!(bins.iter().map(|b| b.2).sum::<u64>(), 5);
        assert_eq!(bins[0].0, 1.0);
        assert!(bins.last().unwrap().1 > 3600.0);
        assert_eq!(bins[0].2, 2, "0 s and 1 s share the first bin");
    }

    #[test]
    fn a_few_responses_get_whole_numbered_ticks_each_once() {
        let chart = Chart::SyncByWeek {
            weeks: vec![("2024-W01".into(), 2, 1)],
        };
        let svg = svg(&chart).unwrap();
        // The left axis's labels: right-aligned texts that are not shares
        // (the right axis's); half ticks are left unlabelled.
        let ticks: Vec<&str> = svg
            .split("text-anchor=\"end\"")
            .skip(1)
            .filter_map(|t| {
                t.split_once(">\n")
                    .map(|(_, rest)| rest.lines().next().unwrap_or(""))
            })
            .filter(|label| !label.is_empty() && !label.ends_with('%'))
            .collect();
        assert_eq!(ticks, ["0", "1", "2", "3", "4"]);
    }

    /// Issue #17: the PNG's text is drawn in the embedded font, found
    /// for the SVG's `sans-serif` without any system font.
    #[test]
    fn a_png_shows_its_title_in_the_embedded_font() {
        let chart = Chart::ResponseTimes {
            times_s: vec![5.0, 60.0, 600.0],
            p50: Some(60.0),
            p90: Some(600.0),
        };
        let png = png(&svg(&chart).unwrap()).unwrap();
        let pixmap = tiny_skia::Pixmap::decode_png(&png).unwrap();
        assert_eq!((pixmap.width(), pixmap.height()), SIZE);
        // The title band (the top 35 rows) holds the title alone.
        let title_band = &pixmap.pixels()[..(SIZE.0 * 35) as usize];
        let dark = title_band.iter().filter(|p| p.red() < 0x80).count();
        assert!(dark > 500, "{dark} dark pixels in the title band");
    }
}
