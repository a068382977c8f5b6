//! A run directory is one run (issue 9, item 1): a run writes into a staging directory and
//! swaps it in whole, so no directory ever mixes two runs, not even when the process is
//! killed; nothing is written through a symbolic link; `plot` and `merge` check a
//! directory against the SHA-256 list of its manifest and refuse crafted ones with exit
//! code 2, a one-line message and no panic.
//!
//! The runs are tiny (`tests/data/tiny.toml`: 250 agents, 2 months, 2 replications).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

mod common;

use common::{connectsim, data, manifest, run, tempdir};

// ---- Helpers --------------------------------------------------------------------------

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Every regular file under `dir` by relative path, but `manifest.json` and the files of
/// nested runs (subdirectories with a manifest of their own); panics on anything that is
/// not a regular file or a directory.
fn files_on_disk(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(dir: &Path, prefix: &str, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            let kind = entry.file_type().unwrap();
            if kind.is_file() {
                if name != "manifest.json" {
                    out.insert(name, fs::read(entry.path()).unwrap());
                }
            } else if kind.is_dir() {
                if !entry.path().join("manifest.json").exists() {
                    walk(&entry.path(), &format!("{name}/"), out);
                }
            } else {
                panic!("{name} in a run directory is neither a file nor a directory");
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, "", &mut out);
    out
}

/// Asserts that `dir` holds one whole run: exactly the files its manifest lists, each with
/// the SHA-256 listed. Returns the manifest.
fn assert_whole_run(dir: &Path) -> serde_json::Value {
    let m = manifest(dir);
    let listed: BTreeMap<String, String> = m["files"]
        .as_array()
        .expect("a files list")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["sha256"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let found = files_on_disk(dir);
    assert_eq!(
        found.keys().collect::<Vec<_>>(),
        listed.keys().collect::<Vec<_>>(),
        "{}: the files are not the manifest's",
        dir.display()
    );
    for (path, bytes) in &found {
        assert_eq!(sha256(bytes), listed[path], "{path} is not the manifest's");
    }
    m
}

/// What a careful forger does after editing files: lists their new SHA-256 in the manifest.
fn reseal(dir: &Path) {
    let mut m = manifest(dir);
    for f in m["files"].as_array_mut().unwrap() {
        let bytes = fs::read(dir.join(f["path"].as_str().unwrap())).unwrap();
        f["sha256"] = sha256(&bytes).into();
    }
    fs::write(dir.join("manifest.json"), m.to_string()).unwrap();
}

/// Edits the manifest of `dir` with `edit`.
fn edit_manifest(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut m = manifest(dir);
    edit(&mut m);
    fs::write(dir.join("manifest.json"), m.to_string()).unwrap();
}

/// Rewrites the lines of a CSV file of `dir` (the header stays) with `edit`.
fn edit_csv(dir: &Path, file: &str, edit: impl Fn(usize, &str) -> String) {
    let path = dir.join(file);
    let text = fs::read_to_string(&path).unwrap();
    let mut lines = text.lines();
    let mut out = format!("{}\n", lines.next().unwrap());
    for (i, line) in lines.enumerate() {
        out.push_str(&edit(i, line));
        out.push('\n');
    }
    fs::write(&path, out).unwrap();
}

/// Copies the plain files of a run directory to `to`.
fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
    }
}

/// Runs `connectsim ARGS`, which must fail with exit code 2 and one line naming `needle`,
/// without a panic. Returns the message.
fn refused(args: &[&std::ffi::OsStr], needle: &str) -> String {
    let output = connectsim().args(args).output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(stderr.starts_with("Error: "), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains(needle), "{needle:?} not in: {stderr}");
    stderr
}

fn plot_refused(dir: &Path, needle: &str) -> String {
    refused(&["plot".as_ref(), dir.as_os_str()], needle)
}

/// The entries of `dir` other than the names given.
fn others(dir: &Path, names: &[&str]) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !names.contains(&n.as_str()))
        .collect()
}

/// `connectsim run tiny --out OUT --seed SEED --quiet EXTRA...`, not waited for.
fn spawn_run(out: &Path, seed: u64, extra: &[&str]) -> std::process::Child {
    Command::new(assert_cmd::cargo::cargo_bin("connectsim"))
        .arg("run")
        .arg(data("tiny.toml"))
        .arg("--out")
        .arg(out)
        .args(["--quiet", "--seed", &seed.to_string()])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn is_chart(name: &str) -> bool {
    name.ends_with(".png") || name.ends_with(".svg") || name == "report.html"
}

// ---- A run replaces the directory whole -----------------------------------------------

#[test]
fn a_run_removes_the_files_of_the_earlier_run_it_does_not_write() {
    let tmp = tempdir();
    let out = tmp.path().join("run");
    // With charts and agents.csv, then without either.
    connectsim()
        .arg("run")
        .arg(data("tiny.toml"))
        .arg("--out")
        .arg(&out)
        .args(["--quiet", "--agents-csv"])
        .assert()
        .success();
    let first = assert_whole_run(&out);
    let listed = |m: &serde_json::Value, name: &str| {
        m["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == name)
    };
    assert!(listed(&first, "roi.png") && listed(&first, "agents.csv"));
    run(data("tiny.toml"), &out, &["--seed", "8"]);
    let second = assert_whole_run(&out);
    assert_eq!(second["seed"], 8);
    let left: Vec<String> = files_on_disk(&out)
        .into_keys()
        .filter(|n| is_chart(n) || n == "agents.csv")
        .collect();
    assert!(
        left.is_empty(),
        "the earlier run's files are left: {left:?}"
    );
    assert_eq!(others(tmp.path(), &["run"]), Vec::<String>::new());

    // So a merge never meets a stale agents.csv: shards run again without --agents-csv
    // merge into a run without one.
    let shard = |k: &str| tmp.path().join(format!("shard{k}"));
    for k in ["0", "1"] {
        let flag = format!("{k}/2");
        run(
            data("tiny.toml"),
            &shard(k),
            &["--shard", &flag, "--agents-csv"],
        );
        run(data("tiny.toml"), &shard(k), &["--shard", &flag]);
    }
    let merged = tmp.path().join("merged");
    connectsim()
        .arg("merge")
        .args([shard("0"), shard("1")])
        .arg("--out")
        .arg(&merged)
        .arg("--no-plots")
        .assert()
        .success();
    assert_whole_run(&merged);
    assert!(!merged.join("agents.csv").exists());
}

#[test]
fn a_directory_that_is_not_a_run_is_refused_and_left_alone() {
    let tmp = tempdir();
    // A non-empty directory without a connectsim manifest.
    let mine = tmp.path().join("mine");
    fs::create_dir(&mine).unwrap();
    fs::write(mine.join("notes.txt"), "my notes").unwrap();
    let run_into = |out: &Path, needle: &str| {
        refused(
            &[
                "run".as_ref(),
                data("tiny.toml").as_ref(),
                "--out".as_ref(),
                out.as_os_str(),
                "--quiet".as_ref(),
            ],
            needle,
        )
    };
    let message = run_into(&mine, "not a connectsim run directory");
    assert!(message.contains(&mine.display().to_string()), "{message}");
    assert_eq!(others(&mine, &[]), ["notes.txt"]);
    assert_eq!(
        fs::read_to_string(mine.join("notes.txt")).unwrap(),
        "my notes"
    );

    // A file, and a symbolic link to a run directory.
    let file = tmp.path().join("file");
    fs::write(&file, "a file").unwrap();
    run_into(&file, "not a directory");
    let real = tmp.path().join("real");
    run(data("tiny.toml"), &real, &[]);
    let before = assert_whole_run(&real);
    #[cfg(unix)]
    {
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        run_into(&link, "symbolic link");
        assert_eq!(assert_whole_run(&real), before);
    }
    // Nothing was staged beside them.
    let expected: &[&str] = &["mine", "file", "real", "link"];
    assert_eq!(others(tmp.path(), expected), Vec::<String>::new());

    // compare does not write its files into a run directory.
    refused(
        &[
            "compare".as_ref(),
            real.as_os_str(),
            real.as_os_str(),
            "--out".as_ref(),
            real.as_os_str(),
        ],
        "a connectsim run directory",
    );
    assert_eq!(assert_whole_run(&real), before);
}

// ---- Killed at any moment -------------------------------------------------------------

/// A run killed (SIGKILL) at increasing delays, from before it has staged anything to
/// after it has finished, over a directory that holds an earlier run: each time the
/// directory holds one whole run, the earlier one or the new one; or, killed between the
/// two renames of the swap, no directory, which `plot` refuses naming what is left beside
/// it, and which the next run fills.
#[test]
fn a_killed_run_leaves_one_whole_run() {
    let tmp = tempdir();
    let out = tmp.path().join("out");
    let extra = ["--agents-csv"];
    let started = Instant::now();
    let status = spawn_run(&out, 100, &extra).wait().unwrap();
    assert!(status.success());
    let whole = started.elapsed();
    let mut seed_in_place = Some(assert_whole_run(&out)["seed"].as_u64().unwrap());
    let (mut old_kept, mut new_whole) = (0, 0);
    let steps = 24u32;
    for step in 0..steps {
        let seed = 101 + u64::from(step);
        // 0, 1, 2, 4 ms, then up to 1.3 times an uninterrupted run.
        let delay = match step {
            0..=3 => Duration::from_millis([0, 1, 2, 4][step as usize]),
            _ => whole.mul_f64(1.3 * f64::from(step - 3) / f64::from(steps - 4)),
        };
        let mut child = spawn_run(&out, seed, &extra);
        std::thread::sleep(delay);
        let _ = child.kill(); // it may have finished
        child.wait().unwrap();
        if out.exists() {
            let found = assert_whole_run(&out)["seed"].as_u64().unwrap();
            if found == seed {
                new_whole += 1;
            } else {
                assert_eq!(
                    Some(found),
                    seed_in_place,
                    "neither the old run nor the new"
                );
                old_kept += 1;
            }
            seed_in_place = Some(found);
        } else {
            plot_refused(&out, "an interrupted run left");
            seed_in_place = None;
        }
        // Only what the swap leaves beside it (staging and old directories), and the
        // finished replications a killed run keeps for `--resume`.
        for name in others(tmp.path(), &["out"]) {
            assert!(
                name.starts_with(".out.connectsim-stage-")
                    || name.starts_with(".out.connectsim-old-")
                    || name.starts_with(".out.connectsim-partial-"),
                "{name} left beside the run directory"
            );
        }
    }
    assert!(old_kept > 0, "no kill landed before the swap");
    assert!(new_whole > 0, "no run finished");
    // The next whole run takes the place and clears the old directories left aside.
    assert!(spawn_run(&out, 200, &[]).wait().unwrap().success());
    assert_eq!(assert_whole_run(&out)["seed"], 200);
    let old: Vec<String> = others(tmp.path(), &["out"])
        .into_iter()
        .filter(|n| n.starts_with(".out.connectsim-old-"))
        .collect();
    assert!(old.is_empty(), "{old:?}");
}

// ---- Concurrent runs ------------------------------------------------------------------

#[test]
fn concurrent_runs_never_mix() {
    let tmp = tempdir();
    for round in 0..3u64 {
        // Two runs into the same new --out, and two into outs of their own.
        let shared = tmp.path().join(format!("shared{round}"));
        let own: Vec<PathBuf> = (0..2)
            .map(|i| tmp.path().join(format!("own{round}-{i}")))
            .collect();
        let seeds = [10 * round + 1, 10 * round + 2];
        let children: Vec<_> = seeds
            .iter()
            .map(|&s| spawn_run(&shared, s, &["--no-plots"]))
            .chain(
                own.iter()
                    .zip(seeds)
                    .map(|(dir, s)| spawn_run(dir, s, &["--no-plots"])),
            )
            .collect();
        let mut won = Vec::new();
        for (i, child) in children.into_iter().enumerate() {
            let output = child.wait_with_output().unwrap();
            let stderr = String::from_utf8(output.stderr).unwrap();
            assert!(!stderr.contains("panicked"), "{stderr}");
            if i >= 2 {
                assert!(output.status.success(), "{stderr}");
            } else if output.status.success() {
                won.push(seeds[i]);
            } else {
                // A clean failure: one line, nothing left behind.
                assert!(stderr.starts_with("Error: "), "{stderr}");
                assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
            }
        }
        assert!(!won.is_empty(), "neither run into {}", shared.display());
        let seed = assert_whole_run(&shared)["seed"].as_u64().unwrap();
        assert!(won.contains(&seed), "{seed} did not win: {won:?}");
        for (dir, s) in own.iter().zip(seeds) {
            assert_eq!(assert_whole_run(dir)["seed"], s);
        }
    }
    // Nothing staged or set aside is left.
    let hidden: Vec<String> = others(tmp.path(), &[])
        .into_iter()
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(hidden.is_empty(), "{hidden:?}");
}

// ---- Symbolic links -------------------------------------------------------------------

#[cfg(unix)]
#[test]
fn nothing_is_written_through_a_planted_symlink() {
    use std::os::unix::fs::symlink;
    let tmp = tempdir();
    let victim = tmp.path().join("victim");
    fs::write(&victim, "precious").unwrap();
    let out = tmp.path().join("run");
    run(data("tiny.toml"), &out, &[]);
    // Links at the old write probe's name, at the old pid-based temporary names of the
    // next pids, and at a file's own name.
    symlink(&victim, out.join(".connectsim-write-probe")).unwrap();
    let pid = std::process::id();
    for p in pid..pid + 2000 {
        let name = format!(".strategy_monthly.csv.{p}.tmp.csv");
        symlink(&victim, out.join(name)).unwrap();
    }
    fs::remove_file(out.join("summary.csv")).unwrap();
    symlink(&victim, out.join("summary.csv")).unwrap();
    // plot refuses the directory: the links are not files of the run.
    plot_refused(&out, "not a file of a run");
    // A run replaces it whole, links and all.
    connectsim()
        .arg("run")
        .arg(data("tiny.toml"))
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .assert()
        .success();
    assert_whole_run(&out);
    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");

    // compare's own directory: a link at its output's name is replaced, not followed.
    let cmp = tmp.path().join("cmp");
    fs::create_dir(&cmp).unwrap();
    symlink(&victim, cmp.join("comparison.csv")).unwrap();
    symlink(&victim, cmp.join(".connectsim-write-probe")).unwrap();
    connectsim()
        .arg("compare")
        .args([&out, &out])
        .arg("--out")
        .arg(&cmp)
        .assert()
        .success();
    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
    assert!(
        !fs::symlink_metadata(cmp.join("comparison.csv"))
            .unwrap()
            .is_symlink()
    );
}

// ---- plot checks the directory against its manifest -----------------------------------

#[test]
fn plot_refuses_an_altered_a_stale_or_a_missing_file() {
    let tmp = tempdir();
    let out = tmp.path().join("run");
    run(data("tiny.toml"), &out, &[]);
    let fresh = tmp.path().join("fresh");
    copy_dir(&out, &fresh);

    // One digit more.
    edit_csv(&out, "market_monthly.csv", |i, line| {
        if i == 0 {
            format!("{line}0")
        } else {
            line.to_string()
        }
    });
    let message = plot_refused(&out, "market_monthly.csv");
    assert!(message.contains("altered"), "{message}");
    assert!(
        !out.join("roi.png").exists(),
        "charts drawn from a refused directory"
    );

    // A stale file from another run.
    let with_agents = tmp.path().join("with_agents");
    run(data("tiny.toml"), &with_agents, &["--agents-csv"]);
    let stale = tmp.path().join("stale");
    copy_dir(&fresh, &stale);
    fs::copy(with_agents.join("agents.csv"), stale.join("agents.csv")).unwrap();
    plot_refused(&stale, "agents.csv: not a file of this run");

    // A missing file, and a manifest without a file list (an older connectsim's).
    let missing = tmp.path().join("missing");
    copy_dir(&fresh, &missing);
    fs::remove_file(missing.join("boost_bids.csv")).unwrap();
    plot_refused(&missing, "boost_bids.csv: missing");
    edit_manifest(&missing, |m| {
        m.as_object_mut().unwrap().remove("files");
    });
    plot_refused(&missing, "lists no files");

    // What a swap killed between its two renames leaves: no directory, the old run and the
    // staged one beside it.
    let gone = tmp.path().join("gone");
    copy_dir(
        &fresh,
        &tmp.path().join(".gone.connectsim-old-0123456789abcdef"),
    );
    fs::create_dir(tmp.path().join(".gone.connectsim-stage-fedcba9876543210")).unwrap();
    plot_refused(&gone, ".gone.connectsim-old-0123456789abcdef");

    // The summaries are recomputed, not trusted: a forged summary.csv with a matching
    // SHA-256 is redrawn from the rows.
    let original = fs::read(fresh.join("summary.csv")).unwrap();
    edit_csv(&fresh, "summary.csv", |_, line| {
        let mut fields: Vec<&str> = line.split(',').collect();
        fields[2] = "1000";
        fields.join(",")
    });
    reseal(&fresh);
    connectsim().arg("plot").arg(&fresh).assert().success();
    assert_eq!(fs::read(fresh.join("summary.csv")).unwrap(), original);
    let m = assert_whole_run(&fresh);
    assert!(
        m["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == "roi.png")
    );
}

/// Regression (issue 9): a count that does not fit once summed (`wins` = u64::MAX in
/// `boost_bids.csv`, `proposals` near it in `strategy_monthly.csv`), a price of u32::MAX
/// and values near the largest float made `plot` panic or allocate without bound; they
/// saturate. A month beyond the run's is refused.
#[test]
fn plot_saturates_huge_counts_and_refuses_rows_outside_the_run() {
    let tmp = tempdir();
    let out = tmp.path().join("run");
    run("smoke", &out, &["--replications", "2"]);
    let last = fs::read_to_string(out.join("boost_bids.csv"))
        .unwrap()
        .lines()
        .count()
        - 2;
    edit_csv(&out, "boost_bids.csv", |i, line| {
        let mut f: Vec<String> = line.split(',').map(String::from).collect();
        if i == 0 || i == 1 {
            f[3] = u64::MAX.to_string();
        }
        if i == last {
            f[2] = u32::MAX.to_string();
        }
        f.join(",")
    });
    edit_csv(&out, "strategy_monthly.csv", |_, line| {
        let mut f: Vec<String> = line.split(',').map(String::from).collect();
        f[4] = (u64::MAX - 1).to_string();
        f[18] = "1e308".to_string();
        f[19] = "-1e308".to_string();
        f.join(",")
    });
    reseal(&out);
    let output = connectsim().arg("plot").arg(&out).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_whole_run(&out);

    edit_csv(&out, "boost_bids.csv", |i, line| {
        let mut f: Vec<String> = line.split(',').map(String::from).collect();
        if i == last {
            f[1] = u32::MAX.to_string();
        }
        f.join(",")
    });
    reseal(&out);
    let message = plot_refused(&out, "boost_bids.csv");
    assert!(message.contains("month 4294967295"), "{message}");
}

// ---- merge refuses crafted shards -----------------------------------------------------

/// `connectsim merge SHARDS... --out OUT --no-plots`, which must be refused naming
/// `needle`; nothing is written.
fn merge_refused(shards: &[&Path], out: &Path, needle: &str) {
    let mut args: Vec<&std::ffi::OsStr> = vec!["merge".as_ref()];
    args.extend(shards.iter().map(|s| s.as_os_str()));
    args.extend(["--out".as_ref(), out.as_os_str(), "--no-plots".as_ref()]);
    refused(&args, needle);
    assert!(!out.exists(), "a refused merge wrote {}", out.display());
}

#[test]
fn merge_refuses_forged_foreign_overlapping_and_duplicated_shards() {
    let tmp = tempdir();
    let dir = |name: &str| tmp.path().join(name);
    let args = ["--replications", "4"];
    run(
        data("tiny.toml"),
        &dir("s0"),
        &[&args[..], &["--shard", "0/2"]].concat(),
    );
    run(
        data("tiny.toml"),
        &dir("s1"),
        &[&args[..], &["--shard", "1/2"]].concat(),
    );
    let (s0, s1) = (dir("s0"), dir("s1"));
    let out = dir("merged");
    let copy = |from: &Path, name: &str| {
        copy_dir(from, &dir(name));
        dir(name)
    };

    // A manifest claiming 4e9 replications: refused at once, nothing allocated from it.
    let huge = copy(&s0, "huge");
    edit_manifest(&huge, |m| m["replications"] = 4_000_000_000u64.into());
    let started = Instant::now();
    merge_refused(&[&huge, &s1], &out, "4000000000");
    assert!(started.elapsed() < Duration::from_secs(20));
    let whole = copy(&s0, "whole");
    edit_manifest(&whole, |m| {
        m["shard"] = serde_json::Value::Null;
        m["replications"] = 4_000_000_000u64.into();
    });
    merge_refused(&[&whole], &out, "4000000000");

    // Another connectsim's shard.
    let foreign = copy(&s1, "foreign");
    edit_manifest(&foreign, |m| m["connectsim_version"] = "0.0.1".into());
    merge_refused(&[&s0, &foreign], &out, "written by connectsim 0.0.1");

    // The same shard twice, and a shard whose manifest claims the other's replications
    // while its rows are its own.
    let twice = copy(&s0, "twice");
    merge_refused(&[&s0, &twice, &s1], &out, "replication 0 is in both");
    let claims = copy(&s0, "claims");
    edit_manifest(&claims, |m| {
        m["shard"] = "1/2".into();
        m["replications_run"] = serde_json::json!([1, 3]);
    });
    merge_refused(&[&s0, &claims], &out, "market_monthly.csv");

    // Every row of shard 1 claiming replication 1 (its manifest says 1 and 3), resealed.
    let same = copy(&s1, "same");
    for file in [
        "strategy_monthly.csv",
        "market_monthly.csv",
        "agent_roi_quantiles.csv",
        "boost_bids.csv",
        "post_proposals.csv",
        "agent_spend_quantiles.csv",
    ] {
        edit_csv(&same, file, |_, line| match line.strip_prefix("3,") {
            Some(rest) => format!("1,{rest}"),
            None => line.to_string(),
        });
    }
    reseal(&same);
    merge_refused(&[&s0, &same], &out, "same/market_monthly.csv");

    // A missing shard.
    merge_refused(
        &[&s0],
        &out,
        "the shards hold 2 replications, but the run has 4",
    );

    // The genuine shards still merge, and nothing was left beside the refused output.
    connectsim()
        .arg("merge")
        .args([&s0, &s1])
        .arg("--out")
        .arg(&out)
        .arg("--no-plots")
        .assert()
        .success();
    assert_whole_run(&out);
    let hidden: Vec<String> = others(tmp.path(), &[])
        .into_iter()
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(hidden.is_empty(), "{hidden:?}");
}
