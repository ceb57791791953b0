//! Scheduled runs: the configuration file and its precedence, periods
//! compared with the one before, people, the folder per period with
//! `latest`, the lock, and a killed run.

use crate::util::{BIN, figure};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

/// `commlens ARGS...` in `dir`, with only the given COMMLENS_* variables.
fn commlens(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(BIN);
    command.current_dir(dir).args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("COMMLENS_") || key == "SOURCE_DATE_EPOCH" {
            command.env_remove(key);
        }
    }
    command.envs(env.iter().copied()).output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn summary(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// Two ISO weeks of chat, worked by hand (UTC):
/// - 2024-W10: a1 → b1 after 600 s: 2 messages, 1 response (async).
/// - 2024-W11: a2 → b2 after 60 s → a3 after 120 s, and c1 unanswered:
///   4 messages, 2 responses (both within 5 min), median 90 s,
///   p90 60 + 0.9 × 60 = 114 s.
/// - 2024-W12: d1 answers c1; outside both weeks.
const TWO_WEEKS: &str = "timestamp,conversation,sender,message_id,parent_id,channel
2024-03-05T10:00:00Z,c1,alice,a1,,chat
2024-03-05T10:10:00Z,c1,bob,b1,a1,chat
2024-03-12T09:00:00Z,c2,alice,a2,,chat
2024-03-12T09:01:00Z,c2,bob,b2,a2,chat
2024-03-12T09:03:00Z,c2,alice,a3,b2,chat
2024-03-14T08:00:00Z,c3,carol,c1,,chat
2024-03-19T08:00:00Z,c3,dave,d1,c1,chat
";

/// Wednesday 2024-03-20 12:00 UTC, in ISO week 2024-W12.
const WEDNESDAY: &str = "1710936000";

#[test]
fn a_weekly_run_reports_the_last_complete_week_against_the_one_before() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("chat.csv"), TWO_WEEKS).unwrap();
    let run = commlens(
        dir.path(),
        &["report", "chat.csv", "--period", "week", "-q", "--out", "reports"],
        &[("SOURCE_DATE_EPOCH", WEDNESDAY)],
    );
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert!(
        run.stdout.is_empty() && run.stderr.is_empty(),
        "-q prints nothing on success"
    );
    let reports = dir.path().join("reports");
    assert_eq!(
        std::fs::read_link(reports.join("latest")).unwrap(),
        Path::new("2024-W11")
    );
    let s = summary(&reports.join("2024-W11/summary.json"));
    assert_eq!(s["period"]["since"], "2024-03-11T00:00:00Z");
    assert_eq!(s["period"]["until"], "2024-03-18T00:00:00Z");
    assert_eq!(s["messages_in_period"], 4);
    assert_eq!(s["responses"], 2);
    assert_eq!(figure(&s, "response_time_s.p50"), 90.0);
    assert_eq!(figure(&s, "response_time_s.p90"), 114.0);

    let c = &s["comparison"];
    assert_eq!(c["previous"]["name"], "2024-W10");
    assert_eq!(c["previous"]["since"], "2024-03-04T00:00:00Z");
    let change = |name: &str| &c["figures"][name];
    assert_eq!(change("messages_in_period")["previous"], 2.0);
    assert_eq!(change("messages_in_period")["change"], 2.0);
    assert_eq!(change("responses")["relative_change"], 1.0);
    assert_eq!(change("response_time_p50_s")["previous"], 600.0);
    assert_eq!(change("response_time_p50_s")["change"], -510.0);
    assert_eq!(change("response_time_p50_s")["relative_change"], -0.85);
    assert_eq!(change("response_sync_ratio")["change"], 1.0);

    let html = std::fs::read_to_string(reports.join("latest/report.html")).unwrap();
    assert!(
        html.contains("▼ from 10 min in 2024-W10"),
        "the median card compares"
    );
}

#[test]
fn flags_beat_the_environment_which_beats_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("chat.csv"), TWO_WEEKS).unwrap();
    std::fs::write(
        dir.path().join("commlens.toml"),
        "inputs = [\"chat.csv\"]\nformat = \"json\"\nsync_threshold = \"10m\"\nquiet = true\n",
    )
    .unwrap();
    let threshold = |args: &[&str], env: &[(&str, &str)]| {
        let run = commlens(dir.path(), &[&["report"], args].concat(), env);
        assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
        assert!(run.stdout.is_empty(), "quiet = true in the file");
        summary(&dir.path().join("reports/latest/summary.json"))["settings"]["sync_threshold_s"].clone()
    };
    let env = [("COMMLENS_SYNC_THRESHOLD", "20m")];
    assert_eq!(threshold(&[], &[]), 600.0, "the file beats the default");
    assert_eq!(threshold(&[], &env), 1200.0, "the environment beats the file");
    assert_eq!(
        threshold(&["--sync-threshold", "30m"], &env),
        1800.0,
        "a flag beats both"
    );

    // A period on the command line replaces the file's, whichever kind.
    std::fs::write(
        dir.path().join("commlens.toml"),
        "inputs = [\"chat.csv\"]\nformat = \"json\"\nperiod = \"month\"\n",
    )
    .unwrap();
    let run = commlens(
        dir.path(),
        &["report", "--since", "2024-03-11", "--until", "2024-03-18", "-q"],
        &[],
    );
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let s = summary(&dir.path().join("reports/latest/summary.json"));
    assert_eq!(s["period"]["name"], "2024-03-11_2024-03-18");
    assert_eq!(s["comparison"]["previous"]["name"], "2024-03-04_2024-03-11");
}

#[test]
fn a_dataset_on_the_command_line_replaces_the_inputs_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("chat.csv"), TWO_WEEKS).unwrap();
    std::fs::write(
        dir.path().join("commlens.toml"),
        "inputs = [\"chat.csv\"]\nquiet = true\n",
    )
    .unwrap();
    let ingest = commlens(dir.path(), &["ingest", "--to", "dataset"], &[]);
    assert_eq!(ingest.status.code(), Some(0), "{}", stderr(&ingest));
    let run = commlens(
        dir.path(),
        &["report", "--from", "dataset", "--format", "json"],
        &[],
    );
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert_eq!(
        summary(&dir.path().join("reports/latest/summary.json"))["messages"],
        7
    );
}

#[test]
fn a_bad_configuration_names_the_file_the_line_and_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "out = \"r\"\nsync_threshold = \"5 minutes\"\n",
            "commlens.toml:2: sync_threshold \"5 minutes\": unknown unit",
        ),
        (
            "\n\nsync_treshold = \"5m\"\n",
            "commlens.toml:3: unknown key \"sync_treshold\"",
        ),
        ("sync-threshold = \"5m\"\n", "(did you mean \"sync_threshold\"?)"),
        (
            "threads = \"two\"\n",
            "commlens.toml:1: threads: invalid value 'two'",
        ),
        (
            "period = \"year\"\n",
            "commlens.toml:1: period: invalid value 'year'",
        ),
        (
            "tz = [\"UTC\", \"Europe/Berlin\"]\n",
            "commlens.toml:1: tz takes one value",
        ),
        (
            "tz = \"Mars/Base\"\n",
            "commlens.toml:1: tz \"Mars/Base\": not a time zone",
        ),
        ("inputs = [\n", "commlens.toml:"),
        (
            "[people.alice]\nalias = [\"a@example.com\"]\n",
            "commlens.toml:2: people.\"alice\": unknown key \"alias\"",
        ),
    ];
    for (text, wanted) in cases {
        std::fs::write(dir.path().join("commlens.toml"), text).unwrap();
        let run = commlens(dir.path(), &["report", "."], &[]);
        let err = stderr(&run);
        assert_eq!(run.status.code(), Some(2), "{text}: {err}");
        assert!(err.contains(wanted), "{text}: wanted {wanted:?} in {err:?}");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
    }
    let run = commlens(dir.path(), &["report", ".", "--config", "missing.toml"], &[]);
    assert_eq!(run.status.code(), Some(2));
    assert!(stderr(&run).contains("missing.toml: cannot read the configuration file"));
    // The environment is named when it is to blame.
    std::fs::remove_file(dir.path().join("commlens.toml")).unwrap();
    let run = commlens(dir.path(), &["report", "."], &[("COMMLENS_LAST", "a week")]);
    assert!(
        stderr(&run).contains("COMMLENS_LAST \"a week\""),
        "{}",
        stderr(&run)
    );
}

#[test]
fn paths_in_a_configuration_file_are_relative_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let job = dir.path().join("job");
    std::fs::create_dir(&job).unwrap();
    std::fs::write(job.join("chat.csv"), TWO_WEEKS).unwrap();
    std::fs::write(
        job.join("weekly.toml"),
        "inputs = [\"chat.csv\"]\nout = \"reports\"\nquiet = true\n",
    )
    .unwrap();
    let config = job.join("weekly.toml");
    // As cron would: from another working directory, the file by variable.
    let run = commlens(
        dir.path(),
        &["report"],
        &[("COMMLENS_CONFIG", config.to_str().unwrap())],
    );
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert_eq!(summary(&job.join("reports/all/summary.json"))["messages"], 7);
}

/// A thread in which Alice writes from two addresses and a chat name.
const ALIASES: &str = "timestamp,conversation,sender,message_id,parent_id,channel
2024-01-01T10:00:00Z,dm,alice@work.example,m1,,chat
2024-01-01T10:02:00Z,dm,bob,m2,m1,chat
2024-01-01T10:03:00Z,dm,alice@home.example,m3,m2,chat
2024-01-01T10:04:00Z,dm,Alice,m4,m3,chat
";

#[test]
fn aliases_make_one_person_of_several_identities() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("dm.csv"), ALIASES).unwrap();
    let run = |args: &[&str]| {
        let output = commlens(
            dir.path(),
            &[&["report", "dm.csv", "-q", "--format", "json"], args].concat(),
            &[],
        );
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        summary(&dir.path().join("reports/latest/summary.json"))
    };
    // Apart: three responses, four people.
    let apart = run(&[]);
    assert_eq!(
        (apart["responses"].clone(), apart["follow_ups"].clone()),
        (3.into(), 0.into())
    );
    assert_eq!(apart["by_person"].as_object().unwrap().len(), 4);

    // Together: Alice's last message follows up her own; she answered
    // Bob once (60 s), and Bob answered her once (120 s).
    std::fs::write(
        dir.path().join("people.csv"),
        "name,alias\nAlice,alice@work.example\nAlice,alice@home.example\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("people.toml"),
        "[people.Alice]\naliases = [\"alice@work.example\", \"ALICE@home.example\"]\n",
    )
    .unwrap();
    for args in [&["--aliases", "people.csv"][..], &["--config", "people.toml"][..]] {
        let together = run(args);
        assert_eq!(together["responses"], 2, "{args:?}");
        assert_eq!(together["follow_ups"], 1);
        let people: Vec<&String> = together["by_person"].as_object().unwrap().keys().collect();
        assert_eq!(people, ["Alice", "bob"]);
        assert_eq!(
            figure(&together, "by_person[Alice].as_responder.response_time_s.p50"),
            60.0
        );
        assert_eq!(
            figure(&together, "by_person[Alice].as_requester.response_time_s.p50"),
            120.0
        );
        // --me by any of her names is the person.
        let me = run(&[args, &["--me", "alice@home.example"]].concat());
        assert_eq!(me["settings"]["me"], serde_json::json!(["Alice"]));
        assert_eq!(figure(&me, "direction.i_answered.responses"), 1.0);
    }

    // Automated senders listed in the file answer nobody.
    std::fs::write(dir.path().join("bots.toml"), "automated = [\"bob\"]\n").unwrap();
    let bots = run(&["--config", "bots.toml"]);
    assert_eq!(
        bots["responses"], 1,
        "Bob is automated: only Alice answering Alice counts"
    );
    assert_eq!(bots["data_quality"]["automated_messages"], 1);

    // An alias claimed by two people is an error naming the file and line.
    std::fs::write(dir.path().join("people.csv"), "name,alias\nAlice,bob\nBob,bob\n").unwrap();
    let clash = commlens(dir.path(), &["report", "dm.csv", "--aliases", "people.csv"], &[]);
    assert_eq!(clash.status.code(), Some(2));
    assert!(
        stderr(&clash).contains("people.csv:3: \"bob\" is already \"Alice\"'s"),
        "{}",
        stderr(&clash)
    );
}

#[test]
fn me_is_the_sender_of_gmail_sent_mail_unless_given() {
    let mbox = "From me@example.com Mon Jan  1 10:00:00 2024
From: Me <me@example.com>
To: bob@example.com
Subject: plan
Message-ID: <1@example.com>
Date: Mon, 1 Jan 2024 10:00:00 +0000
X-Gmail-Labels: Sent,Important

Shall we?

From bob@example.com Mon Jan  1 11:00:00 2024
From: Bob <bob@example.com>
To: me@example.com
Subject: Re: plan
Message-ID: <2@example.com>
In-Reply-To: <1@example.com>
Date: Mon, 1 Jan 2024 11:00:00 +0000
X-Gmail-Labels: Inbox

Yes.
";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("takeout.mbox"), mbox).unwrap();
    let run = |args: &[&str]| {
        let output = commlens(
            dir.path(),
            &[&["report", "takeout.mbox", "-q", "--format", "json"], args].concat(),
            &[],
        );
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        summary(&dir.path().join("reports/latest/summary.json"))
    };
    let s = run(&[]);
    assert_eq!(s["settings"]["me"], serde_json::json!(["me@example.com"]));
    assert_eq!(figure(&s, "direction.answered_me.response_time_s.p50"), 3600.0);
    let given = run(&["--me", "bob@example.com"]);
    assert_eq!(given["settings"]["me"], serde_json::json!(["bob@example.com"]));
    assert_eq!(figure(&given, "direction.i_answered.responses"), 1.0);
}

#[test]
fn a_second_run_on_a_locked_folder_exits_3_and_a_dead_holder_is_taken_over() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("chat.csv"), TWO_WEEKS).unwrap();
    let reports = dir.path().join("reports");
    std::fs::create_dir(&reports).unwrap();
    let lock_path = reports.join(".commlens.lock");
    std::fs::write(&lock_path, "process 4242, started 2026-11-23T03:00:00Z\n").unwrap();

    // A live holder: this test holds the lock as a running commlens would.
    let held = std::fs::File::options().write(true).open(&lock_path).unwrap();
    held.lock().unwrap();
    let run = commlens(dir.path(), &["report", "chat.csv", "-q"], &[]);
    assert_eq!(run.status.code(), Some(3), "{}", stderr(&run));
    assert!(
        stderr(&run).contains("process 4242, started 2026-11-23T03:00:00Z"),
        "{}",
        stderr(&run)
    );
    assert!(
        !reports.join("latest").exists(),
        "a locked-out run writes nothing"
    );

    // Its process gone, the lock file stays behind, and is taken over.
    drop(held);
    let run = commlens(dir.path(), &["report", "chat.csv", "-q"], &[]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert!(reports.join("latest/summary.json").is_file());
}

#[test]
fn a_run_killed_while_writing_leaves_the_latest_report_whole() {
    let dir = tempfile::tempdir().unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data");
    let reports = dir.path().join("reports");
    let out = reports.to_str().unwrap();
    let first = commlens(
        dir.path(),
        &["report", sample.to_str().unwrap(), "-q", "--out", out],
        &[],
    );
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let before = std::fs::read(reports.join("latest/summary.json")).unwrap();
    let files = std::fs::read_dir(reports.join("latest")).unwrap().count();

    // The same period again, with every output: kill it once its staging
    // folder exists, that is while it renders and writes.
    let mut caught = false;
    for _ in 0..10 {
        let mut child = Command::new(BIN)
            .args(["report", sample.to_str().unwrap(), "-q", "--out", out])
            .args([
                "--format",
                "html,png,svg,json,csv,parquet",
                "--sync-threshold",
                "1m",
            ])
            .spawn()
            .unwrap();
        let staging = || {
            std::fs::read_dir(&reports)
                .unwrap()
                .any(|e| e.unwrap().file_name().to_string_lossy().starts_with(".staging-"))
        };
        while !staging() && child.try_wait().unwrap().is_none() {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        child.kill().ok();
        let finished = child.wait().unwrap().success();
        if !finished {
            caught = true;
            assert_eq!(
                std::fs::read(reports.join("latest/summary.json")).unwrap(),
                before
            );
            assert_eq!(std::fs::read_dir(reports.join("latest")).unwrap().count(), files);
            break;
        }
    }
    assert!(caught, "no run was caught while writing");
    // The next run clears what the killed one left, and publishes.
    let next = commlens(
        dir.path(),
        &["report", sample.to_str().unwrap(), "-q", "--out", out],
        &[],
    );
    assert_eq!(next.status.code(), Some(0), "{}", stderr(&next));
    let left: Vec<String> = std::fs::read_dir(&reports)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".staging-") || n.starts_with(".latest"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_person_of_the_configuration_answers_by_their_own_working_hours() {
    // Working hours 09:00-17:00, Monday 2024-01-08. Bob works them in New
    // York (14:00-22:00 UTC in January): Alice's 12:00 UTC message waits
    // for his opening, so his 15:00 answer took 1 h of his working time
    // (3 h by the office's UTC hours). Alice answers at 16:00: 1 h.
    let dir = tempfile::tempdir().unwrap();
    let log = "timestamp,conversation,sender,message_id,parent_id,channel
2024-01-08T12:00:00Z,dm,alice,m1,,chat
2024-01-08T15:00:00Z,dm,bob,m2,m1,chat
2024-01-08T16:00:00Z,dm,alice,m3,m2,chat
";
    std::fs::write(dir.path().join("dm.csv"), log).unwrap();
    let run = |toml: &str| {
        std::fs::write(dir.path().join("commlens.toml"), toml).unwrap();
        let output = commlens(dir.path(), &["report", "dm.csv", "-q", "--format", "json"], &[]);
        (output.status.code(), stderr(&output))
    };
    let office = "work_hours = \"09:00-17:00\"\n";
    assert_eq!(run(office).0, Some(0));
    let s = summary(&dir.path().join("reports/latest/summary.json"));
    assert_eq!(figure(&s, "business_hours.by_person[bob].p50"), 10_800.0);

    assert_eq!(
        run(&format!("{office}\n[people.Bob]\ntz = \"America/New_York\"\n")).0,
        Some(0)
    );
    let s = summary(&dir.path().join("reports/latest/summary.json"));
    assert_eq!(figure(&s, "business_hours.by_person[bob].p50"), 3_600.0);
    assert_eq!(figure(&s, "business_hours.by_person[alice].p50"), 3_600.0);
    assert_eq!(s["business_hours"]["people_calendars"], 1);

    let (code, err) = run(&format!("{office}\n[people.Bob]\nwork_hours = \"late\"\n"));
    assert_eq!(code, Some(2));
    assert!(
        err.contains("commlens.toml:4: people.\"Bob\": work_hours [\"late\"]"),
        "{err}"
    );
    // A person's hours without the office's would change nothing: refused.
    let (code, err) = run("[people.Bob]\ntz = \"America/New_York\"\n");
    assert_eq!(code, Some(2));
    assert!(
        err.contains("commlens.toml:2: people.\"Bob\": tz needs the default working hours too"),
        "{err}"
    );
}
