//! Charts, the HTML report and comparisons of runs (issue 4), from the fixture run
//! directories `tests/data/run_a` and `tests/data/run_b`: two hand-made runs of the same
//! seed (42), 3 replications × 4 months × 2 strategies, whose CSV files are internally
//! consistent (Connects conserved, `roi_cum` from the sums, market totals = strategy
//! totals, `summary.csv` from `results::summarize`).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use connectsim::charts::{CHARTS, draw_all};
use connectsim::compare::{CompareError, compare};
use connectsim::report::write_report;
use connectsim::results::{RunData, read_run_dir, strategy_totals};
use connectsim::stats::mean_ci;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn read_fixture(name: &str) -> RunData {
    read_run_dir(&fixture(name)).unwrap()
}

/// A copy of a fixture run directory in a temporary directory, under the name `name`.
fn copy_fixture(from: &str, parent: &Path, name: &str) -> PathBuf {
    let dir = parent.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(fixture(from)).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    dir
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap()
}

/// Decodes a PNG file: (width, height, distinct pixel values, share of pixels that are
/// not the background).
fn decode_png(path: &Path) -> (u32, u32, usize, f64) {
    let decoder = png::Decoder::new(std::fs::File::open(path).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let samples = info.color_type.samples() * usize::from(info.bit_depth as u8).div_ceil(8);
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(samples).collect();
    let distinct: HashSet<&[u8]> = pixels.iter().copied().collect();
    let background = pixels[0];
    let drawn = pixels.iter().filter(|p| **p != background).count();
    (
        info.width,
        info.height,
        distinct.len(),
        drawn as f64 / pixels.len() as f64,
    )
}

/// Checks that `text` is well-formed XML of an `<svg>` root: every tag closed in order,
/// attribute quotes balanced, nothing after the root. Returns the root's attributes.
fn check_svg(text: &str) -> String {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = text.trim_start();
    if rest.starts_with("<?xml") {
        rest = &rest[rest.find("?>").expect("unterminated XML declaration") + 2..];
    }
    let mut root = None;
    let mut closed_root = false;
    while let Some(start) = rest.find('<') {
        assert!(
            !closed_root || rest[..start].trim().is_empty(),
            "content after the root"
        );
        let end = start + rest[start..].find('>').expect("unterminated tag");
        let tag = &rest[start + 1..end];
        assert_eq!(
            tag.matches('"').count() % 2,
            0,
            "unbalanced quotes in <{tag}>"
        );
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(
                stack.pop().as_deref(),
                Some(name.trim()),
                "mismatched </{name}>"
            );
            closed_root = stack.is_empty();
        } else if !tag.starts_with('!') {
            let name: String = tag
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '/')
                .collect();
            assert!(!name.is_empty(), "empty tag");
            if root.is_none() {
                assert_eq!(name, "svg", "root element");
                root = Some(tag.to_string());
            }
            if !tag.ends_with('/') {
                stack.push(name);
            }
        }
        rest = &rest[end + 1..];
    }
    assert!(stack.is_empty(), "unclosed tags: {stack:?}");
    root.expect("no <svg> element")
}

/// Every chart of `CHARTS` written as a valid, non-blank PNG of `size` and a well-formed
/// SVG of the same size.
fn assert_charts(written: &[PathBuf], dir: &Path) {
    let expected: Vec<PathBuf> = CHARTS
        .iter()
        .flat_map(|c| [dir.join(format!("{c}.png")), dir.join(format!("{c}.svg"))])
        .collect();
    assert_eq!(written, expected);
    for chart in CHARTS {
        let (w, h, distinct, drawn) = decode_png(&dir.join(format!("{chart}.png")));
        assert_eq!((w, h), (1600, 1000), "{chart}.png size");
        assert!(distinct > 1, "{chart}.png is blank");
        assert!(
            drawn > 0.005,
            "{chart}.png has almost nothing drawn ({drawn})"
        );
        let svg = std::fs::read_to_string(dir.join(format!("{chart}.svg"))).unwrap();
        let root = check_svg(&svg);
        assert!(
            root.contains("width=\"1600\" height=\"1000\""),
            "{chart}.svg: {root}"
        );
    }
    // Nothing but the charts: no temporary file left behind.
    let names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(names.is_empty(), "temporary files left: {names:?}");
}

#[test]
fn every_chart_renders_from_a_fixture_run() {
    let out = tempfile::tempdir().unwrap();
    let written = draw_all(&read_fixture("run_a"), out.path()).unwrap();
    assert_charts(&written, out.path());
}

#[test]
fn plot_redraws_every_chart_and_the_report_from_the_csv_files() {
    // What `connectsim plot RUN_DIR` does: read the directory, draw into it, write the report.
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_fixture("run_a", tmp.path(), "run");
    let data = read_run_dir(&dir).unwrap();
    let written = draw_all(&data, &dir).unwrap();
    let report = write_report(&data, &manifest(&dir), &dir).unwrap();
    assert_eq!(report, dir.join("report.html"));
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("the scenario <i>fixture-a</i></h1>"));
    let sha = manifest(&dir)["scenario"]["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(html.contains(&sha));
    for chart in CHARTS {
        assert!(
            html.contains(&format!("<figure id=\"chart-{chart}\">\n<svg")),
            "{chart} not inlined"
        );
        assert!(html.contains(&format!("href=\"{chart}.png\"")));
    }
    assert_eq!(html.matches("<svg").count(), CHARTS.len());
    // Nothing fetched from elsewhere: the page opens offline.
    for fetch in ["<script", "<link", "<img", "src=", "url("] {
        assert!(
            !html.contains(fetch),
            "the report fetches something: {fetch}"
        );
    }
    // The summary table and the market summary, metrics named in words and linked to
    // their definitions.
    assert!(html.contains("href=\"#strategy-cost_per_hire_usd\""));
    assert!(html.contains(">Cost per hire</a>"));
    assert!(html.contains(">Proposals per post</a>"));
    // Drawing again over existing charts works and gives the same files.
    let again = draw_all(&data, &dir).unwrap();
    assert_eq!(written, again);
    // The report grew no extra files.
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files.len(), 9 + 2 * CHARTS.len() + 1, "{files:?}");
}

#[test]
fn the_report_of_a_run_without_charts_says_how_to_draw_them() {
    let out = tempfile::tempdir().unwrap();
    let data = read_fixture("run_a");
    let html = std::fs::read_to_string(
        write_report(&data, &manifest(&fixture("run_a")), out.path()).unwrap(),
    )
    .unwrap();
    assert!(!html.contains("<svg"));
    assert_eq!(html.matches("not drawn").count(), CHARTS.len());
}

#[test]
fn charts_of_a_run_without_boost_wins_or_without_rows_still_render() {
    let mut data = read_fixture("run_a");
    data.boost_bids.clear();
    let out = tempfile::tempdir().unwrap();
    let written = draw_all(&data, out.path()).unwrap();
    assert_charts(&written, out.path());

    let empty = RunData {
        strategy_monthly: Vec::new(),
        market_monthly: Vec::new(),
        agent_roi: Vec::new(),
        boost_bids: Vec::new(),
        summary: Vec::new(),
        ..data
    };
    let out = tempfile::tempdir().unwrap();
    let written = draw_all(&empty, out.path()).unwrap();
    assert_charts(&written, out.path());
}

#[test]
fn a_run_directory_missing_a_csv_file_is_named_in_the_error() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_fixture("run_a", tmp.path(), "run");
    std::fs::remove_file(dir.join("strategy_monthly.csv")).unwrap();
    let err = read_run_dir(&dir).unwrap_err();
    assert_eq!(err.path, dir.join("strategy_monthly.csv"));
    assert!(err.to_string().contains("strategy_monthly.csv"), "{err}");
}

/// `comparison.csv` read back as records.
fn comparison_rows(dir: &Path) -> Vec<csv::StringRecord> {
    let mut reader = csv::Reader::from_path(dir.join("comparison.csv")).unwrap();
    assert_eq!(
        reader.headers().unwrap(),
        vec![
            "run",
            "baseline",
            "strategy",
            "metric",
            "mean",
            "ci_low",
            "ci_high",
            "replications",
            "paired"
        ]
    );
    reader.records().map(Result::unwrap).collect()
}

#[test]
fn compare_writes_the_chart_the_tables_and_the_paired_differences() {
    let (a, b) = (read_fixture("run_a"), read_fixture("run_b"));
    let out = tempfile::tempdir().unwrap();
    let written = compare(&[a.clone(), b.clone()], out.path()).unwrap();
    let names = [
        "comparison.png",
        "comparison.svg",
        "comparison_paired.png",
        "comparison_paired.svg",
        "comparison.csv",
        "comparison.md",
    ];
    assert_eq!(written, names.map(|n| out.path().join(n)));

    for chart in ["comparison", "comparison_paired"] {
        let (w, h, distinct, drawn) = decode_png(&out.path().join(format!("{chart}.png")));
        assert!(w >= 1600 && h >= 1000, "{chart}: {w}×{h}");
        assert!(distinct > 1 && drawn > 0.005, "{chart}");
        check_svg(&std::fs::read_to_string(out.path().join(format!("{chart}.svg"))).unwrap());
    }

    let rows = comparison_rows(out.path());
    // 2 runs × (2 strategies × 2 metrics + 4 market metrics), then the same paired.
    assert_eq!(rows.len(), 16 + 8);
    let own: Vec<_> = rows.iter().filter(|r| r[1].is_empty()).collect();
    let paired: Vec<_> = rows.iter().filter(|r| !r[1].is_empty()).collect();
    assert_eq!((own.len(), paired.len()), (16, 8));
    let mut market: Vec<&str> = rows
        .iter()
        .filter(|r| r[2].is_empty())
        .map(|r| &r[3])
        .collect();
    market.sort_unstable();
    market.dedup();
    assert_eq!(
        market,
        [
            "hire_share_of_posts",
            "platform_connects_usd_per_month",
            "platform_usd_per_month",
            "proposals_per_post"
        ]
    );
    assert!(own.iter().all(|r| &r[7] == "3"));
    assert!(
        paired.iter().all(|r| &r[0] == "fixture-b"
            && &r[1] == "fixture-a"
            && &r[7] == "3"
            && &r[8] == "true")
    );

    // The paired ROI difference is the mean of the per-replication differences.
    let (ta, tb) = (
        strategy_totals(&a.strategy_monthly),
        strategy_totals(&b.strategy_monthly),
    );
    let diffs: Vec<f64> = (0..3)
        .map(|rep| {
            let key = (rep, "spray".to_string());
            tb[&key].roi(0.15).unwrap() - ta[&key].roi(0.15).unwrap()
        })
        .collect();
    let expected = mean_ci(&diffs).unwrap();
    let row = paired
        .iter()
        .find(|r| &r[2] == "spray" && &r[3] == "roi")
        .unwrap();
    let value = |i: usize| row[i].parse::<f64>().unwrap();
    assert!((value(4) - expected.mean).abs() < 1e-12);
    assert!((value(5) - expected.low.unwrap()).abs() < 1e-12);
    assert!((value(6) - expected.high.unwrap()).abs() < 1e-12);
    // A run's own ROI is the one of summary.csv.
    let own_roi = own
        .iter()
        .find(|r| &r[0] == "fixture-a" && &r[2] == "spray" && &r[3] == "roi")
        .unwrap();
    let summary = a
        .summary
        .iter()
        .find(|s| s.strategy == "spray" && s.metric == "roi")
        .unwrap();
    assert!((own_roi[4].parse::<f64>().unwrap() - summary.mean.unwrap()).abs() < 1e-12);

    let md = std::fs::read_to_string(out.path().join("comparison.md")).unwrap();
    assert!(md.starts_with("# Comparison: fixture-a vs fixture-b"));
    assert!(md.contains("| strategy | fixture-a | fixture-b |"));
    assert!(md.contains("### fixture-b − fixture-a"));
    assert!(md.contains("| spray | "));
}

/// Compares the fixture `run_a` with a copy of `run_b` whose manifest `edit` changed, and
/// returns the rows and `comparison.md`.
fn compare_edited(edit: impl FnOnce(&mut serde_json::Value)) -> (Vec<csv::StringRecord>, String) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_fixture("run_b", tmp.path(), "run_b");
    let mut m = manifest(&dir);
    edit(&mut m);
    std::fs::write(dir.join("manifest.json"), m.to_string()).unwrap();
    let out = tempfile::tempdir().unwrap();
    compare(
        &[read_fixture("run_a"), read_run_dir(&dir).unwrap()],
        out.path(),
    )
    .unwrap();
    let md = std::fs::read_to_string(out.path().join("comparison.md")).unwrap();
    (comparison_rows(out.path()), md)
}

#[test]
fn runs_of_different_seeds_are_not_paired() {
    let (rows, md) = compare_edited(|m| m["seed"] = serde_json::json!(7));
    // 16 rows of the runs' own, then 8 unpaired differences of the two means (4 of the
    // strategies, 4 of the market).
    assert_eq!(rows.len(), 24);
    let differences: Vec<_> = rows.iter().filter(|r| !r[1].is_empty()).collect();
    assert_eq!(differences.len(), 8);
    assert!(differences.iter().all(|r| &r[8] == "false" && &r[7] == "6"));
    assert!(
        md.contains("Not paired: the runs have different seeds (42 and 7), so"),
        "{md}"
    );
    assert!(md.contains("Welch 95% interval"));
}

#[test]
fn runs_sharing_a_name_are_told_apart_by_directory_and_pair_to_zero() {
    let tmp = tempfile::tempdir().unwrap();
    let copy = copy_fixture("run_a", tmp.path(), "again");
    let out = tempfile::tempdir().unwrap();
    compare(
        &[read_fixture("run_a"), read_run_dir(&copy).unwrap()],
        out.path(),
    )
    .unwrap();
    let rows = comparison_rows(out.path());
    let paired: Vec<_> = rows.iter().filter(|r| !r[1].is_empty()).collect();
    assert_eq!(paired.len(), 8);
    for row in paired {
        assert_eq!(
            (&row[0], &row[1]),
            ("fixture-a (again)", "fixture-a (run_a)")
        );
        assert_eq!(row[4].parse::<f64>().unwrap(), 0.0);
    }
}

#[test]
fn a_run_needs_the_connects_price_in_its_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_fixture("run_a", tmp.path(), "run");
    let mut m = manifest(&dir);
    m["scenario"].as_object_mut().unwrap().remove("price_usd");
    std::fs::write(dir.join("manifest.json"), m.to_string()).unwrap();
    let err = read_run_dir(&dir).unwrap_err();
    assert_eq!(err.path, dir.join("manifest.json"));
    assert!(err.to_string().contains("price_usd"), "{err}");
    // A run put together by hand without a manifest cannot be compared either.
    let data = RunData {
        dir: tmp.path().join("nowhere"),
        ..read_fixture("run_a")
    };
    let out = tempfile::tempdir().unwrap();
    let err = compare(&[data], out.path()).unwrap_err();
    assert!(matches!(err, CompareError::Manifest { .. }));
    assert!(err.to_string().contains("manifest.json"), "{err}");
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}
