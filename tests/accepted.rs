//! Every scenario that `validate` accepts runs to the end, with finite numbers and Connects
//! conserved. Each test is a scenario that once validated and then hung, wrapped a count or
//! wrote `inf`, named after what it guards.

use std::fs;
use std::path::Path;
use std::time::Duration;

mod common;

use common::{connectsim, tempdir};

/// The smoke market for one month and one replication, with `patch` (top-level keys, then
/// tables) after its name.
fn scenario(patch: &str) -> String {
    format!(
        "extends = \"smoke\"\nname = \"accepted\"\n{patch}\n[run]\nmonths = 1\nreplications = 1\n"
    )
}

/// Validates and runs the scenario (within a minute), checks that every CSV cell is
/// finite and that each strategy's Connects are conserved, and returns the
/// `strategy_monthly.csv` records.
fn runs_to_the_end(patch: &str) -> Vec<csv::StringRecord> {
    let tmp = tempdir();
    let file = tmp.path().join("accepted.toml");
    fs::write(&file, scenario(patch)).unwrap();
    connectsim().arg("validate").arg(&file).assert().success();
    let out = tmp.path().join("run");
    connectsim()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .args(["--no-plots", "--quiet"])
        .timeout(Duration::from_secs(60))
        .assert()
        .success();
    for entry in fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "csv") {
            assert_finite(&path);
        }
    }
    let records = records(&out.join("strategy_monthly.csv"));
    assert_conserved(&records);
    records
}

fn records(path: &Path) -> Vec<csv::StringRecord> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader.headers().unwrap().clone();
    let mut all = vec![header];
    all.extend(reader.records().map(Result::unwrap));
    all
}

fn assert_finite(path: &Path) {
    for record in records(path) {
        for cell in &record {
            let lower = cell.to_ascii_lowercase();
            assert!(
                !matches!(
                    lower.as_str(),
                    "nan" | "inf" | "-inf" | "infinity" | "-infinity"
                ),
                "{}: a non-finite value in {record:?}",
                path.display()
            );
        }
    }
}

/// The value of `column` in `record`, by the header in `records[0]`.
fn value(records: &[csv::StringRecord], record: &csv::StringRecord, column: &str) -> u64 {
    let at = records[0].iter().position(|c| c == column).unwrap();
    record[at].parse().unwrap()
}

/// `granted + bought + refunded = balance + spent + expired`, per strategy, over the run's
/// one month.
fn assert_conserved(records: &[csv::StringRecord]) {
    for r in &records[1..] {
        let v = |c: &str| value(records, r, c);
        assert_eq!(
            v("connects_granted") + v("connects_bought") + v("connects_refunded"),
            v("connects_balance") + v("connects_spent") + v("connects_expired"),
            "Connects not conserved: {r:?}"
        );
    }
}

fn total(records: &[csv::StringRecord], column: &str) -> u64 {
    records[1..].iter().map(|r| value(records, r, column)).sum()
}

#[test]
fn a_tiny_notice_rate_notices_nothing_and_ends() {
    // posts_per_day = 1e-17 once panicked in the geometric skip.
    let records = runs_to_the_end(
        "replace_strategies = true\n[[strategies]]\nname = \"rare\"\nagents = 300\nplan = \"basic\"\nposts_per_day = 1e-17\n\
         apply_prob = 1.0\nresponse_delay_hours = { constant = 1.0 }\nquality = { constant = 0.5 }\n\
         [invitations]\nprob = 0.0\n",
    );
    assert_eq!(total(&records, "proposals"), 0);
}

#[test]
fn a_huge_invitation_weight_ends() {
    // exp(710 · reputation) overflows: rejection sampling of invitees never ended.
    let records = runs_to_the_end("[invitations]\nprob = 1.0\nreputation_weight = 710.0\n");
    assert!(total(&records, "invites_answered") > 0);
}

#[test]
fn a_hugely_negative_invitation_weight_ends() {
    // exp(-710 · reputation) underflows to 0 for every agent with a reputation: rejection
    // sampling never ended once only those were left to invite.
    let records = runs_to_the_end("[invitations]\nprob = 1.0\nreputation_weight = -710.0\n");
    assert!(total(&records, "invites_answered") > 0);
}

#[test]
fn the_largest_invitee_count_invites_rather_than_wrapping_to_none() {
    // 1 + u32::MAX invitees wrapped to 0: no invitation at all.
    let records =
        runs_to_the_end("[invitations]\nprob = 1.0\nextra_invitees = { constant = 4294967295 }\n");
    assert!(total(&records, "invites_answered") > 0);
}

#[test]
fn an_interview_bonus_with_a_tiny_window_conserves_connects() {
    // Every interview grants the whole amount: balances grow by a million a time.
    let records = runs_to_the_end(
        "[connects.interview_bonus]\nenabled = true\namount = 1000000\ncap = 1000000\n\
         window_days = 1e-300\n",
    );
    assert!(total(&records, "connects_granted") > 1_000_000);
}
