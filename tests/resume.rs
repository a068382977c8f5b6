//! Runs that survive interruption (issue 9, items 2 and 3): SIGINT and SIGTERM stop a run
//! within a second or two with exit code 130 or 143, keep its finished replications and
//! leave no temporary file; `--resume` finishes only what is missing and ends byte-identical
//! to an uninterrupted run (manifest timings aside); a resume of another run is refused.
//!
//! The runs are of `tests/data/tiny.toml` with more replications and months, so that a
//! signal can land while some replications are finished and others are not.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::{connectsim, data, manifest, tempdir};

const ARGS: [&str; 8] = [
    "--replications",
    "24",
    "--months",
    "6",
    "--threads",
    "1",
    "--quiet",
    "--agents-csv",
];

/// [`ARGS`] with `extra` after them, an option of `extra` replacing the same one of `ARGS`.
fn args(extra: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < ARGS.len() {
        let takes_value = i + 1 < ARGS.len() && !ARGS[i + 1].starts_with("--");
        if takes_value && extra.contains(&ARGS[i]) {
            i += 2;
            continue;
        }
        out.push(ARGS[i].to_string());
        i += 1;
    }
    out.extend(extra.iter().map(|s| s.to_string()));
    out
}

fn spawn(out: &Path, extra: &[&str]) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin("connectsim"))
        .arg("run")
        .arg(data("tiny.toml"))
        .arg("--out")
        .arg(out)
        .args(args(extra))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The partial directories beside `out`.
fn partials(out: &Path) -> Vec<PathBuf> {
    let prefix = format!(
        ".{}.connectsim-partial-",
        out.file_name().unwrap().to_string_lossy()
    );
    fs::read_dir(out.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&prefix)
        })
        .collect()
}

/// The replications recorded beside `out`.
fn recorded(out: &Path) -> usize {
    partials(out)
        .iter()
        .filter_map(|p| fs::read_dir(p.join("replications")).ok())
        .map(|entries| {
            entries
                .filter(|e| {
                    let name = e.as_ref().unwrap().file_name();
                    name.to_string_lossy().ends_with(".json")
                })
                .count()
        })
        .sum()
}

/// Starts the run into `out`, waits until it has recorded a replication, sends `signal`,
/// and returns the exit code, the time it took to stop, and its message.
fn interrupt(out: &Path, signal: &str, extra: &[&str]) -> (i32, Duration, String) {
    let mut child = spawn(out, extra);
    let started = Instant::now();
    while recorded(out) == 0 {
        assert!(child.try_wait().unwrap().is_none(), "the run ended unasked");
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "nothing recorded"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    let sent = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let signalled = Instant::now();
    let output = child.wait_with_output().unwrap();
    let took = signalled.elapsed();
    let message = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code().unwrap_or(-1), took, message)
}

/// Every file under `dir` by relative path.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().display().to_string();
                out.insert(rel, fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Asserts that `a` and `b` hold the same run: every file byte for byte, and the manifest
/// but for its timings and the measured resources (which `report.html` shows too).
fn assert_same_run(a: &Path, b: &Path) {
    let (mut fa, mut fb) = (files(a), files(b));
    for timed in ["manifest.json", "report.html"] {
        fa.remove(timed);
        fb.remove(timed);
    }
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (path, bytes) in &fa {
        assert!(bytes == &fb[path], "{path} differs");
    }
    let strip = |dir: &Path| {
        let mut m = manifest(dir);
        for key in [
            "wall_seconds",
            "proposals_per_second",
            "resources",
            "finished_utc",
        ] {
            m.as_object_mut().unwrap().remove(key);
        }
        m["files"]
            .as_array_mut()
            .unwrap()
            .retain(|f| f["path"] != "report.html");
        m
    };
    assert!(strip(a) == strip(b), "the manifests differ");
}

/// Names under `dir` (recursively) that look like temporary files or staging directories.
fn temporaries(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.contains(".tmp") || name.contains("connectsim-stage-") {
            found.push(path.display().to_string());
        }
        if path.is_dir() {
            found.extend(temporaries(&path));
        }
    }
    found
}

#[test]
fn sigint_stops_the_run_and_resume_equals_an_uninterrupted_run() {
    let tmp = tempdir();
    let out = tmp.path().join("out");
    let (code, took, message) = interrupt(&out, "-INT", &[]);
    assert_eq!(code, 130, "{message}");
    assert!(took < Duration::from_secs(2), "stopped after {took:?}");
    assert!(message.contains("interrupted by SIGINT"), "{message}");
    assert!(message.contains("--resume"), "{message}");
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(!out.exists(), "a partial run took the place of --out");
    assert_eq!(temporaries(tmp.path()), Vec::<String>::new());
    let kept = recorded(&out);
    assert!((1..24).contains(&kept), "{kept} kept");

    let mut resumed = spawn(&out, &["--resume"]);
    assert!(resumed.wait().unwrap().success());
    assert!(
        partials(&out).is_empty(),
        "the partial directory outlived the run"
    );
    let whole = tmp.path().join("whole");
    assert!(spawn(&whole, &[]).wait().unwrap().success());
    assert_same_run(&out, &whole);
}

#[test]
fn sigterm_stops_the_run_with_143_and_leaves_an_older_run_whole() {
    let tmp = tempdir();
    let out = tmp.path().join("out");
    assert!(spawn(&out, &["--seed", "1"]).wait().unwrap().success());
    let before = files(&out);
    let (code, took, message) = interrupt(&out, "-TERM", &[]);
    assert_eq!(code, 143, "{message}");
    assert!(took < Duration::from_secs(2), "stopped after {took:?}");
    assert!(message.contains("interrupted by SIGTERM"), "{message}");
    assert!(files(&out) == before, "the older run was touched");
    assert_eq!(temporaries(tmp.path()), Vec::<String>::new());
}

#[test]
fn a_killed_run_resumes_from_its_records() {
    let tmp = tempdir();
    let out = tmp.path().join("out");
    let (code, _, _) = interrupt(&out, "-KILL", &[]);
    assert_eq!(code, -1, "killed by a signal");
    assert!(spawn(&out, &["--resume"]).wait().unwrap().success());
    let whole = tmp.path().join("whole");
    assert!(spawn(&whole, &[]).wait().unwrap().success());
    assert_same_run(&out, &whole);
}

#[test]
fn a_resume_of_another_run_is_refused_and_so_is_a_fresh_start_over_kept_work() {
    let tmp = tempdir();
    let out = tmp.path().join("out");
    let (code, _, _) = interrupt(&out, "-INT", &[]);
    assert_eq!(code, 130);
    let refused = |extra: &[&str], needle: &str| {
        let output = connectsim()
            .arg("run")
            .arg(data("tiny.toml"))
            .arg("--out")
            .arg(&out)
            .args(args(extra))
            .output()
            .unwrap();
        let message = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(output.status.code(), Some(2), "{extra:?}: {message}");
        assert!(message.contains(needle), "{extra:?}: {message}");
        assert_eq!(message.lines().count(), 1, "{message}");
    };
    refused(&["--resume", "--seed", "8"], "seed: 7, not 8");
    refused(&["--resume", "--months", "5"], "months: 6, not 5");
    refused(
        &["--resume", "--no-plots"],
        "without --no-plots, not with --no-plots",
    );
    refused(&["--resume", "--shard", "0/2"], "shard: none, not 0/2");
    // Not resumed: the kept replications would be lost.
    refused(&[], "add --resume to finish it");
    let kept = recorded(&out);
    assert!(kept > 0);
    // The scenario itself differs.
    let other = tmp.path().join("other.toml");
    fs::write(
        &other,
        format!(
            "extends = {:?}\nname = \"tiny\"\n[jobs]\nper_day = 13.0\n",
            data("tiny.toml")
        ),
    )
    .unwrap();
    let output = connectsim()
        .arg("run")
        .arg(&other)
        .arg("--out")
        .arg(&out)
        .args(ARGS)
        .arg("--resume")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("the scenario differs"));
    assert_eq!(recorded(&out), kept, "a refused resume touched the records");
}

#[test]
fn resume_with_nothing_to_resume_runs_the_whole_run() {
    let tmp = tempdir();
    let out = tmp.path().join("out");
    assert!(spawn(&out, &["--resume"]).wait().unwrap().success());
    let whole = tmp.path().join("whole");
    assert!(spawn(&whole, &[]).wait().unwrap().success());
    assert_same_run(&out, &whole);
    assert!(partials(&out).is_empty());
}

#[test]
fn shards_resume_and_merge_into_the_unsharded_run() {
    let tmp = tempdir();
    let shard0 = tmp.path().join("s0");
    let (code, _, _) = interrupt(&shard0, "-INT", &["--shard", "0/2"]);
    assert_eq!(code, 130);
    assert!(
        spawn(&shard0, &["--shard", "0/2", "--resume"])
            .wait()
            .unwrap()
            .success()
    );
    let shard1 = tmp.path().join("s1");
    assert!(
        spawn(&shard1, &["--shard", "1/2"])
            .wait()
            .unwrap()
            .success()
    );
    let merged = tmp.path().join("merged");
    connectsim()
        .arg("merge")
        .arg(&shard0)
        .arg(&shard1)
        .arg("--out")
        .arg(&merged)
        .assert()
        .success();
    let whole = tmp.path().join("whole");
    assert!(spawn(&whole, &[]).wait().unwrap().success());
    for (path, bytes) in files(&whole) {
        if path.ends_with(".csv") {
            assert!(bytes == fs::read(merged.join(&path)).unwrap(), "{path}");
        }
    }
}
