//! The marketplace's history as embedded scenarios (issue 10, item 5): each era validates,
//! runs on a reduced market with finite numbers, and shows its distinguishing rule.

use std::path::Path;

mod common;

use common::{connectsim, run, tempdir};

/// The totals of `column` in a CSV file of `dir`.
fn total(dir: &Path, file: &str, column: &str) -> f64 {
    let mut reader = csv::Reader::from_path(dir.join(file)).unwrap();
    let i = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == column)
        .unwrap_or_else(|| panic!("{file} has no {column}"));
    reader
        .records()
        .map(|r| r.unwrap()[i].parse::<f64>().unwrap_or(0.0))
        .sum()
}

/// Runs `scenario` on 600 agents for 2 months and 1 replication.
fn small_run(scenario: &str, out: &Path) {
    run(
        scenario,
        out,
        &["--months", "2", "--replications", "1", "--agents", "600"],
    );
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert!(
        !summary.contains("NaN") && !summary.contains("inf"),
        "{scenario}"
    );
}

#[test]
fn every_era_is_listed_with_a_description() {
    let listed = connectsim().arg("scenarios").output().unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout);
    for era in ["upwork-2015", "upwork-2019", "upwork-2021", "upwork-2023"] {
        let line = listed
            .lines()
            .find(|l| l.starts_with(era))
            .unwrap_or_else(|| panic!("{era} is not listed"));
        assert!(line.len() > era.len() + 20, "{line}");
    }
}

#[test]
fn before_2019_no_connect_was_sold_and_nothing_was_boosted() {
    let tmp = tempdir();
    let out = tmp.path().join("2015");
    small_run("upwork-2015", &out);
    assert_eq!(total(&out, "strategy_monthly.csv", "connects_bought"), 0.0);
    assert_eq!(total(&out, "market_monthly.csv", "boost_bids"), 0.0);
    // Every paid proposal cost 2 Connects: what was spent is twice what was not refunded
    // away, at most.
    let spent = total(&out, "strategy_monthly.csv", "connects_spent");
    let proposals = total(&out, "strategy_monthly.csv", "proposals");
    let invited = total(&out, "strategy_monthly.csv", "invites_answered");
    assert_eq!(spent, 2.0 * (proposals - invited));
}

#[test]
fn in_2019_connects_were_bought_but_nothing_was_boosted() {
    let tmp = tempdir();
    let out = tmp.path().join("2019");
    small_run("upwork-2019", &out);
    assert!(total(&out, "strategy_monthly.csv", "connects_bought") > 0.0);
    assert_eq!(total(&out, "market_monthly.csv", "boost_bids"), 0.0);
}

#[test]
fn from_2021_boosts_were_bid_for() {
    let tmp = tempdir();
    for era in ["upwork-2021", "upwork-2023"] {
        let out = tmp.path().join(era);
        small_run(era, &out);
        assert!(
            total(&out, "market_monthly.csv", "boost_bids") > 0.0,
            "{era}"
        );
    }
}

#[test]
fn a_directory_named_like_an_embedded_scenario_does_not_hide_it() {
    let tmp = tempdir();
    std::fs::create_dir(tmp.path().join("default")).unwrap();
    for scenario in ["default", "upwork-2015"] {
        connectsim()
            .current_dir(tmp.path())
            .args(["validate", scenario])
            .assert()
            .success();
    }
}
