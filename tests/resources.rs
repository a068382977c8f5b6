//! `run` estimates a run's memory and work before it starts, refuses one past its limits,
//! and records the estimate beside the peak it measured.

use std::fs;
use std::path::Path;

mod common;

use common::{connectsim, manifest, run, tempdir};

/// The estimated and the measured peak memory of a run, MiB.
fn peaks(dir: &Path) -> (f64, f64) {
    let r = &manifest(dir)["resources"];
    let estimated = r["estimated_peak_mib"].as_f64().unwrap();
    let measured = r["peak_mib"].as_f64().unwrap();
    assert!(r["estimated_seconds"].as_f64().unwrap() > 0.0);
    (estimated, measured)
}

/// The large scenario at a fifth of its size: 20 000 agents and 480 posts a day.
fn large_over_5() -> String {
    let large =
        fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/large.toml")).unwrap();
    large
        .lines()
        .map(|line| {
            let number = |key: &str| {
                line.strip_prefix(key).map(|rest| {
                    rest.split_whitespace()
                        .next()
                        .unwrap()
                        .parse::<f64>()
                        .unwrap()
                })
            };
            if let Some(n) = number("agents = ") {
                format!("agents = {}", n / 5.0)
            } else if let Some(n) = number("per_day = ") {
                format!("per_day = {:.1}", n / 5.0)
            } else if line.starts_with("name = \"large\"") {
                "name = \"large-over-5\"".to_string()
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
#[cfg(target_os = "linux")]
fn the_memory_estimate_is_within_twice_the_measure_at_three_sizes() {
    let tmp = tempdir();
    let bigger = tmp.path().join("large-over-5.toml");
    fs::write(&bigger, large_over_5()).unwrap();
    // 300, 5 000 and 20 000 agents.
    let sizes: [(&std::ffi::OsStr, &[&str]); 3] = [
        ("smoke".as_ref(), &["--replications", "2", "--threads", "1"]),
        (
            "default".as_ref(),
            &["--months", "2", "--replications", "1", "--threads", "1"],
        ),
        (
            bigger.as_os_str(),
            &["--months", "1", "--replications", "1", "--threads", "1"],
        ),
    ];
    for (i, (scenario, args)) in sizes.iter().enumerate() {
        let out = tmp.path().join(format!("run{i}"));
        run(scenario, &out, args);
        let (estimated, measured) = peaks(&out);
        assert!(
            estimated <= 2.0 * measured && measured <= 2.0 * estimated,
            "{scenario:?}: estimated {estimated:.1} MiB, measured {measured:.1} MiB"
        );
    }
}

#[test]
fn a_run_past_the_limits_is_refused_with_the_estimate_and_writes_nothing() {
    // The large scenario for a century: far past an hour.
    let tmp = tempdir();
    let out = tmp.path().join("century");
    let assert = connectsim()
        .args([
            "run",
            "large",
            "--months",
            "1200",
            "--no-plots",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("Error: embedded:large: this run would need about"),
        "{stderr}"
    );
    assert!(
        stderr.contains("agent-months") && stderr.contains("--allow-large"),
        "{stderr}"
    );
    assert!(!out.exists());
    assert!(
        fs::read_dir(tmp.path()).unwrap().next().is_none(),
        "something was written"
    );
}
