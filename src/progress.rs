//! A progress bar while inputs are read: on stderr, only when it is a
//! terminal, and only once a run has taken long enough to need one. Cron
//! and pipes see nothing.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A run shorter than this shows no bar.
const SHOW_AFTER: Duration = Duration::from_secs(1);
const TICK: Duration = Duration::from_millis(100);

/// Runs `work` while showing how many of `total` bytes `done` has counted,
/// when `wanted` and stderr is a terminal.
pub fn while_reading<T>(total: u64, done: &AtomicU64, wanted: bool, work: impl FnOnce() -> T) -> T {
    if !wanted || !std::io::stderr().is_terminal() {
        return work();
    }
    let (stop, stopped) = mpsc::channel::<()>();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let start = Instant::now();
            // Hidden at first, but counting: its speed and time left are
            // then right from the moment it shows.
            let bar = new_bar(total);
            let mut shown = false;
            while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(TICK) {
                bar.set_position(done.load(Ordering::Relaxed).min(total));
                if !shown && start.elapsed() >= SHOW_AFTER {
                    bar.set_draw_target(ProgressDrawTarget::stderr());
                    shown = true;
                }
            }
            bar.finish_and_clear();
        });
        let result = work();
        drop(stop);
        result
    })
}

fn new_bar(total: u64) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
    if let Ok(style) = ProgressStyle::with_template(
        "reading {bar:40} {decimal_bytes}/{decimal_total_bytes} {decimal_bytes_per_sec}, {eta} left",
    ) {
        bar.set_style(style);
    }
    bar
}
