//! Sweeps (issue 10, items 1 and 7): the points and columns a sweep writes, points that
//! share their replications' streams, Latin hypercubes and CSV designs, and sweeps that
//! shard, merge and resume like runs.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::{connectsim, data, manifest, run, tempdir};

/// A scenario over `tests/data/tiny.toml` with `sweep` as its `[sweep]` section.
fn sweep_file(dir: &Path, sweep: &str) -> String {
    let path = dir.join("sweep.toml");
    let text = format!(
        "extends = {:?}\nname = \"tiny-sweep\"\ndescription = \"A sweep of the tiny market\"\n\n[sweep]\n{sweep}\n",
        data("tiny.toml")
    );
    fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// A CSV file's rows, the header first.
fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .unwrap();
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// The rows of a file with point columns, by point, without those columns.
fn rows_by_point(path: &Path, parameters: usize) -> BTreeMap<String, Vec<Vec<String>>> {
    let mut out: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
    for row in csv_rows(path).into_iter().skip(1) {
        out.entry(row[0].clone())
            .or_default()
            .push(row[1 + parameters..].to_vec());
    }
    out
}

const GRID: &str = r#"design = "grid"
[sweep.parameters]
"connects.price_usd" = [0.15, 0.30]
"boost.pricing" = ["first", "second"]"#;

#[test]
fn a_grid_writes_every_point_with_its_columns_and_lists_the_points() {
    let tmp = tempdir();
    let scenario = sweep_file(tmp.path(), GRID);
    let out = tmp.path().join("out");
    run(&scenario, &out, &[]);
    let m = manifest(&out);
    let sweep = &m["sweep"];
    assert_eq!(
        sweep["parameters"],
        serde_json::json!(["connects.price_usd", "boost.pricing"])
    );
    let points = sweep["points"].as_array().unwrap();
    assert_eq!(points.len(), 4);
    assert_eq!(points[1]["values"], serde_json::json!([0.15, "second"]));
    assert_eq!(points[3]["dir"], "points/p0003");
    for file in [
        "strategy_monthly.csv",
        "market_monthly.csv",
        "agent_roi_quantiles.csv",
        "boost_bids.csv",
        "post_proposals.csv",
        "agent_spend_quantiles.csv",
        "sweep_summary.csv",
        "sweep_market_summary.csv",
        "sweep_paired.csv",
        "sweep_market_paired.csv",
    ] {
        let rows = csv_rows(&out.join(file));
        assert_eq!(
            rows[0][..3],
            ["point", "connects.price_usd", "boost.pricing"],
            "{file}"
        );
        let points: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
        let mut seen = points.clone();
        seen.dedup();
        assert_eq!(seen, ["0", "1", "2", "3"], "{file}: points in order");
    }
    // Each point is a run directory of its own, whose rows are the top's for that point.
    let top = rows_by_point(&out.join("strategy_monthly.csv"), 2);
    for p in 0..4 {
        let dir = out.join(format!("points/p{p:04}"));
        let own = csv_rows(&dir.join("strategy_monthly.csv"));
        assert_eq!(own[1..], top[&p.to_string()][..], "point {p}");
        assert!(manifest(&dir).get("sweep").is_none());
    }
    let design = fs::read_to_string(out.join("design.csv")).unwrap();
    assert_eq!(
        design,
        "connects.price_usd,boost.pricing\n0.15,first\n0.15,second\n0.3,first\n0.3,second\n"
    );
    // The baseline point differs from itself by nothing.
    let paired = csv_rows(&out.join("sweep_paired.csv"));
    let roi_at_0 = paired
        .iter()
        .find(|r| r[0] == "0" && r[4] == "roi")
        .unwrap();
    assert_eq!(roi_at_0[6], "0.0");
}

#[test]
fn points_with_the_same_parameters_give_identical_rows() {
    let tmp = tempdir();
    let scenario = sweep_file(
        tmp.path(),
        "design = \"zip\"\n[sweep.parameters]\n\"boost.slots\" = [2, 4, 2]",
    );
    let out = tmp.path().join("out");
    run(&scenario, &out, &[]);
    for file in [
        "strategy_monthly.csv",
        "market_monthly.csv",
        "boost_bids.csv",
    ] {
        let by_point = rows_by_point(&out.join(file), 1);
        assert_eq!(by_point["0"], by_point["2"], "{file}");
        assert_ne!(by_point["0"], by_point["1"], "{file}");
    }
    // And the same streams as the scenario run alone with that value: the market's posts
    // are the same at every point.
    let posted =
        |rows: &[Vec<String>]| -> Vec<String> { rows.iter().map(|r| r[2].clone()).collect() };
    let market = rows_by_point(&out.join("market_monthly.csv"), 1);
    assert_eq!(posted(&market["0"]), posted(&market["1"]));
}

#[test]
fn a_latin_hypercube_stays_in_its_ranges_and_reproduces_from_its_seed() {
    let tmp = tempdir();
    let lhs = "design = \"lhs\"\npoints = 5\nseed = 3\n[sweep.parameters]\n\"connects.price_usd\" = { min = 0.1, max = 0.3 }\n\"boost.slots\" = { min = 1, max = 6 }";
    let scenario = sweep_file(tmp.path(), lhs);
    let designs: Vec<String> = ["a", "b"]
        .iter()
        .map(|name| {
            let out = tmp.path().join(name);
            run(&scenario, &out, &["--replications", "1", "--months", "1"]);
            fs::read_to_string(out.join("design.csv")).unwrap()
        })
        .collect();
    assert_eq!(designs[0], designs[1]);
    let rows = csv_rows(&tmp.path().join("a/design.csv"));
    assert_eq!(rows.len(), 6);
    let mut strata = Vec::new();
    for row in &rows[1..] {
        let price: f64 = row[0].parse().unwrap();
        let slots: u32 = row[1].parse().expect("a whole number of slots");
        assert!((0.1..=0.3).contains(&price), "{price}");
        assert!((1..=6).contains(&slots), "{slots}");
        strata.push(((price - 0.1) / 0.04).floor() as usize);
    }
    strata.sort_unstable();
    assert_eq!(strata, [0, 1, 2, 3, 4], "one point a fifth of the range");
}

#[test]
fn a_csv_design_round_trips_into_the_same_sweep() {
    let tmp = tempdir();
    let scenario = sweep_file(tmp.path(), GRID);
    let grid = tmp.path().join("grid");
    run(&scenario, &grid, &[]);
    fs::copy(grid.join("design.csv"), tmp.path().join("design.csv")).unwrap();
    let scenario = sweep_file(tmp.path(), "design = \"csv\"\nfile = \"design.csv\"");
    let from_csv = tmp.path().join("csv");
    run(&scenario, &from_csv, &[]);
    for file in [
        "design.csv",
        "strategy_monthly.csv",
        "sweep_summary.csv",
        "sweep_paired.csv",
    ] {
        assert_eq!(
            fs::read(grid.join(file)).unwrap(),
            fs::read(from_csv.join(file)).unwrap(),
            "{file}"
        );
    }
}

#[test]
fn a_sweep_is_the_same_on_any_thread_count_and_when_sharded_and_merged() {
    let tmp = tempdir();
    let scenario = sweep_file(tmp.path(), GRID);
    let one = tmp.path().join("one");
    run(&scenario, &one, &["--threads", "1", "--replications", "3"]);
    let two = tmp.path().join("two");
    run(&scenario, &two, &["--threads", "2", "--replications", "3"]);
    let mut shards = Vec::new();
    for k in 0..2 {
        let dir = tmp.path().join(format!("shard{k}"));
        run(
            &scenario,
            &dir,
            &["--replications", "3", "--shard", &format!("{k}/2")],
        );
        shards.push(dir);
    }
    let merged = tmp.path().join("merged");
    connectsim()
        .arg("merge")
        .args(&shards)
        .arg("--out")
        .arg(&merged)
        .arg("--no-plots")
        .assert()
        .success();
    for file in [
        "strategy_monthly.csv",
        "market_monthly.csv",
        "sweep_summary.csv",
        "sweep_paired.csv",
        "sweep_market_paired.csv",
        "points/p0002/strategy_monthly.csv",
        "points/p0002/summary.csv",
    ] {
        let a = fs::read(one.join(file)).unwrap();
        assert!(a == fs::read(two.join(file)).unwrap(), "{file}: threads");
        assert!(a == fs::read(merged.join(file)).unwrap(), "{file}: merged");
    }
}

#[test]
fn an_interrupted_sweep_resumes_to_the_uninterrupted_one() {
    let tmp = tempdir();
    let scenario = sweep_file(tmp.path(), GRID);
    let args = ["--replications", "12", "--months", "4", "--threads", "1"];
    let whole = tmp.path().join("whole");
    run(&scenario, &whole, &args);
    let out = tmp.path().join("out");
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("connectsim"))
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(&out)
        .args(["--no-plots", "--quiet"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let records = |out: &Path| -> usize {
        fs::read_dir(out.parent().unwrap())
            .unwrap()
            .flatten()
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(".out.connectsim-partial")
            })
            .filter_map(|e| fs::read_dir(e.path().join("replications")).ok())
            .map(|r| {
                r.flatten()
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
                    .count()
            })
            .sum()
    };
    let started = Instant::now();
    while records(&out) == 0 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the sweep ended unasked"
        );
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "nothing recorded"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(!out.exists());
    let output = connectsim()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(&out)
        .args(["--no-plots", "--resume"])
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains("Resuming:") && said.contains("of 48 replications of the sweep's points"),
        "{said}"
    );
    for file in [
        "strategy_monthly.csv",
        "market_monthly.csv",
        "sweep_summary.csv",
        "sweep_paired.csv",
        "points/p0003/summary.csv",
    ] {
        assert!(
            fs::read(whole.join(file)).unwrap() == fs::read(out.join(file)).unwrap(),
            "{file}"
        );
    }
}

#[test]
fn an_invalid_path_or_value_is_an_error_naming_it_and_its_point() {
    let tmp = tempdir();
    let cases = [
        (
            "design = \"grid\"\n[sweep.parameters]\n\"boost.slotz\" = [1, 2]",
            "sweep.parameters.\"boost.slotz\": point 0 (boost.slotz = 1): boost.slotz: unknown field `slotz`",
        ),
        (
            "design = \"grid\"\n[sweep.parameters]\n\"strategies.spray.apply_prob\" = [0.5, 1.5]",
            "sweep.parameters.\"strategies.spray.apply_prob\": point 1 (strategies.spray.apply_prob = 1.5): strategies[0].apply_prob",
        ),
        (
            "design = \"grid\"\n[sweep.parameters]\n\"strategies.sprey.apply_prob\" = [0.5]",
            "strategies has no sprey (allowed: spray,",
        ),
        (
            "design = \"grid\"\n[sweep.parameters]\n\"run.months\" = [1, 2]",
            "run cannot be swept",
        ),
        (
            "design = \"zip\"\n[sweep.parameters]\n\"boost.slots\" = [1, 2]\n\"connects.price_usd\" = [0.1]",
            "a zip design's lists differ in length (2 and 1)",
        ),
        (
            "design = \"lhs\"\n[sweep.parameters]\n\"boost.slots\" = { min = 1, max = 4 }",
            "sweep.points is missing",
        ),
        (
            "design = \"csv\"\nfile = \"missing.csv\"",
            "sweep.file: cannot read",
        ),
    ];
    for (sweep, expected) in cases {
        let scenario = sweep_file(tmp.path(), sweep);
        let out = tmp.path().join("out");
        let output = connectsim()
            .args(["run", &scenario, "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{sweep}");
        let message = String::from_utf8_lossy(&output.stderr);
        assert!(message.contains("sweep.toml:"), "{message}");
        assert!(message.contains(expected), "{sweep}: {message}");
        assert_eq!(message.trim().lines().count(), 1, "{message}");
        assert!(!out.exists(), "nothing is written");
    }
}

#[test]
fn a_swept_share_gives_the_rest_to_the_others_in_proportion() {
    let tmp = tempdir();
    let scenario = sweep_file(
        tmp.path(),
        "design = \"zip\"\n[sweep.parameters]\n\"strategies.spray.share\" = [0.2, 0.6]",
    );
    let out = tmp.path().join("out");
    run(&scenario, &out, &["--replications", "1", "--months", "1"]);
    for (p, spray) in [(0, 50), (1, 150)] {
        let rows = csv_rows(&out.join(format!("points/p{p:04}/strategy_monthly.csv")));
        let agents: BTreeMap<&str, u32> = rows[1..]
            .iter()
            .map(|r| (r[2].as_str(), r[3].parse().unwrap()))
            .collect();
        assert_eq!(agents["spray"], spray, "point {p}");
        assert_eq!(
            agents.values().sum::<u32>(),
            250,
            "point {p}: the counts add up"
        );
        let others: Vec<u32> = agents
            .iter()
            .filter(|(n, _)| **n != "spray")
            .map(|(_, &a)| a)
            .collect();
        assert!(
            others.windows(2).all(|w| w[0] == w[1]),
            "{others:?}: equal before, equal after"
        );
    }
}

#[test]
fn commands_of_one_run_refuse_a_sweep_and_point_to_its_points() {
    let tmp = tempdir();
    let scenario = sweep_file(tmp.path(), GRID);
    let out = tmp.path().join("out");
    run(&scenario, &out, &["--replications", "1", "--months", "1"]);
    let output = connectsim()
        .arg("compare")
        .arg(&out)
        .arg(out.join("points/p0001"))
        .arg("--out")
        .arg(tmp.path().join("cmp"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("is a sweep of 4 points"));
    connectsim()
        .arg("compare")
        .arg(out.join("points/p0000"))
        .arg(out.join("points/p0001"))
        .arg("--out")
        .arg(tmp.path().join("cmp"))
        .assert()
        .success();
    let output = connectsim()
        .args(["calibrate", &scenario, "--out"])
        .arg(tmp.path().join("cal"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("calibrate runs one scenario"));
    connectsim()
        .args(["validate", &scenario])
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "a sweep of 4 points over connects.price_usd, boost.pricing",
        ));
}

#[test]
fn the_studies_behind_the_readme_validate() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/studies");
    let mut studies: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    studies.sort();
    assert!(studies.len() >= 3, "{studies:?}");
    connectsim()
        .arg("validate")
        .args(&studies)
        .assert()
        .success();
}

#[test]
fn a_sweep_draws_its_charts_by_design_and_its_report_names_every_point() {
    let tmp = tempdir();
    let cases = [
        (
            "design = \"zip\"\n[sweep.parameters]\n\"connects.price_usd\" = [0.1, 0.15, 0.3]",
            &[
                "sweep_roi",
                "sweep_cost_per_hire",
                "sweep_market",
                "sweep_paired",
            ][..],
            &["sweep_heatmap"][..],
        ),
        (
            GRID,
            &["sweep_heatmap", "sweep_paired"][..],
            &["sweep_roi", "sweep_market"][..],
        ),
    ];
    for (k, (sweep, drawn, not_drawn)) in cases.iter().enumerate() {
        let scenario = sweep_file(tmp.path(), sweep);
        let out = tmp.path().join(format!("out{k}"));
        connectsim()
            .args(["run", &scenario, "--quiet", "--replications", "3", "--out"])
            .arg(&out)
            .assert()
            .success();
        for chart in *drawn {
            for ext in ["png", "svg"] {
                let path = out.join(format!("{chart}.{ext}"));
                assert!(
                    fs::metadata(&path).map(|m| m.len() > 1000).unwrap_or(false),
                    "{}",
                    path.display()
                );
            }
        }
        for chart in *not_drawn {
            assert!(!out.join(format!("{chart}.png")).exists(), "{chart}");
        }
        let report = fs::read_to_string(out.join("report.html")).unwrap();
        let points = manifest(&out)["sweep"]["points"].as_array().unwrap().len();
        for p in 0..points {
            assert!(report.contains(&format!("points/p{p:04}")), "point {p}");
        }
        assert!(report.contains("Each point against the baseline point"));
        // plot redraws the same charts from the points alone.
        let before = fs::read(out.join(format!("{}.svg", drawn[0]))).unwrap();
        connectsim().arg("plot").arg(&out).assert().success();
        assert_eq!(
            before,
            fs::read(out.join(format!("{}.svg", drawn[0]))).unwrap()
        );
    }
}
