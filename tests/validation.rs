//! End-to-end tests of scenario validation: each broken scenario is a valid one with one
//! thing broken, and `connectsim validate` must answer with exit code 2 and one line that
//! names the file, the line (where the parser knows it) and the field's full path, never a
//! panic. `run` on a bad scenario must write nothing.

use std::fs;
use std::path::{Path, PathBuf};

use predicates::prelude::*;

mod common;

use common::{connectsim, tempdir};

/// A valid scenario that lists the tiers and the strategies (`replace_strategies = true`:
/// they replace the default's whole), so that each case can break one of them in this file.
const VALID: &str = r#"extends = "default"
name = "one-thing-broken"
description = "A valid scenario; each test case breaks one thing"
replace_strategies = true

[run]
months = 1
replications = 2

[jobs]
per_day = 12.0

[population]
agents = 20

[[tiers]]
name = "small"
min_usd = 0.0
max_usd = 250.0
connects = { min = 2, max = 6 }
contract_days = { lognormal = { median = 5.0, sigma = 0.8 } }

[[tiers]]
name = "medium"
min_usd = 250.0
max_usd = 1000.0
connects = { min = 6, max = 12 }
contract_days = { lognormal = { median = 14.0, sigma = 0.8 } }

[[tiers]]
name = "large"
min_usd = 1000.0
connects = { min = 12, max = 16 }
contract_days = { lognormal = { median = 45.0, sigma = 0.8 } }

[[strategies]]
name = "spray"
agents = 10
plan = "basic"
posts_per_day = 1.5
apply_prob = 1.0
response_delay_hours = { lognormal = { median = 1.0, sigma = 1.0 } }
quality = { normal = { mean = 0.45, sd = 0.1 } }
bundle_budget_usd = 50.0

[[strategies]]
name = "boost-large"
agents = 10
plan = "basic"
posts_per_day = 1.5
apply_prob = 0.8
response_delay_hours = { lognormal = { median = 4.0, sigma = 1.0 } }
quality = { normal = { mean = 0.65, sd = 0.1 } }
boost = { value = { share = 0.002, max = 40, tiers = ["large"] } }
"#;

/// `VALID` with its only occurrence of `from` replaced by `to`.
fn broken(from: &str, to: &str) -> String {
    assert_eq!(
        VALID.matches(from).count(),
        1,
        "{from:?} is not unique in VALID"
    );
    VALID.replace(from, to)
}

/// The 1-based line of the last occurrence of `needle` in `text`.
fn line_of(text: &str, needle: &str) -> usize {
    let at = text
        .rfind(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in the case"));
    text[..at].matches('\n').count() + 1
}

/// A broken scenario and what its message must say.
struct Case {
    what: &'static str,
    text: String,
    /// The field's full path, as the message must name it.
    path: Option<&'static str>,
    /// The message names the line holding this text (`file:LINE:`).
    line_of: Option<&'static str>,
    /// Further words the message must contain.
    mentions: &'static [&'static str],
}

fn cases() -> Vec<Case> {
    let no_strategies = {
        let cut = VALID.find("[[strategies]]").unwrap();
        VALID[..cut].replacen("description =", "strategies = []\ndescription =", 1)
    };
    vec![
        Case {
            what: "a probability above 1",
            text: broken("apply_prob = 1.0", "apply_prob = 1.5"),
            path: Some("strategies[0].apply_prob"),
            line_of: Some("apply_prob = 1.5"),
            mentions: &["1.5"],
        },
        Case {
            what: "a negative rate",
            text: broken("per_day = 12.0", "per_day = -3.0"),
            path: Some("jobs.per_day"),
            line_of: Some("per_day = -3.0"),
            mentions: &["-3"],
        },
        Case {
            what: "an unknown key",
            text: broken("per_day = 12.0", "per_day = 12.0\nper_dya = 3.0"),
            path: Some("jobs.per_dya"),
            line_of: Some("per_dya = 3.0"),
            mentions: &["per_day"],
        },
        Case {
            what: "a wrong type",
            text: broken("agents = 20", "agents = \"twenty\""),
            path: Some("population.agents"),
            line_of: Some("agents = \"twenty\""),
            mentions: &[],
        },
        Case {
            what: "an unknown plan",
            text: VALID.replacen("plan = \"basic\"", "plan = \"gold\"", 1),
            path: Some("strategies[0].plan"),
            line_of: Some("plan = \"gold\""),
            mentions: &["gold", "basic", "plus"],
        },
        Case {
            what: "duplicate strategy names",
            text: broken("name = \"boost-large\"", "name = \"spray\""),
            path: Some("strategies[1].name"),
            line_of: Some("name = \"spray\""),
            mentions: &["spray"],
        },
        Case {
            what: "agent counts that do not add up",
            text: broken("agents = 20", "agents = 25"),
            path: Some("population.agents"),
            line_of: Some("agents = 25"),
            mentions: &["25", "20"],
        },
        Case {
            what: "overlapping tiers",
            text: broken("min_usd = 250.0", "min_usd = 200.0"),
            path: Some("tiers[1].min_usd"),
            line_of: Some("min_usd = 200.0"),
            mentions: &["overlap"],
        },
        Case {
            what: "a gap between tiers",
            text: broken("min_usd = 1000.0", "min_usd = 1200.0"),
            path: Some("tiers[2].min_usd"),
            line_of: Some("min_usd = 1200.0"),
            mentions: &["gap"],
        },
        Case {
            what: "a min above its max",
            text: broken(
                "connects = { min = 6, max = 12 }",
                "connects = { min = 13, max = 12 }",
            ),
            path: Some("tiers[1].connects.min"),
            line_of: Some("connects = { min = 13, max = 12 }"),
            mentions: &["13"],
        },
        Case {
            what: "a boost policy naming a missing tier",
            text: broken("tiers = [\"large\"]", "tiers = [\"huge\"]"),
            path: Some("strategies[1].boost.value.tiers[0]"),
            line_of: Some("tiers = [\"huge\"]"),
            mentions: &["huge", "large"],
        },
        Case {
            what: "a distribution with the wrong support",
            text: broken(
                "[population]",
                "[clients]\nquality = { normal = { mean = 0.5, sd = 0.2 } }\n\n[population]",
            ),
            path: Some("clients.quality"),
            line_of: Some("quality = { normal = { mean = 0.5, sd = 0.2 } }"),
            // Not yet "normal" and "beta": the table merges with the default's
            // `{ beta = … }` into two kinds (see `a_distribution_overrides_its_base_whole`).
            mentions: &[],
        },
        Case {
            what: "a delay distribution that can draw negative values",
            text: broken(
                "response_delay_hours = { lognormal = { median = 1.0, sigma = 1.0 } }",
                "response_delay_hours = { normal = { mean = 1.0, sd = 1.0 } }",
            ),
            path: Some("strategies[0].response_delay_hours"),
            line_of: Some("response_delay_hours = { normal"),
            mentions: &["normal", "non-negative"],
        },
        Case {
            what: "a delay distribution without a closed-form quantile",
            text: broken(
                "response_delay_hours = { lognormal = { median = 1.0, sigma = 1.0 } }",
                "response_delay_hours = { poisson = { mean = 3.0 } }",
            ),
            path: Some("strategies[0].response_delay_hours"),
            line_of: Some("response_delay_hours = { poisson"),
            mentions: &["poisson", "not allowed for a delay"],
        },
        Case {
            what: "invalid TOML syntax",
            text: broken("per_day = 12.0", "per_day = = 12.0"),
            path: None,
            line_of: Some("per_day = = 12.0"),
            mentions: &["TOML"],
        },
        Case {
            what: "an empty strategies list",
            text: no_strategies,
            path: Some("strategies"),
            line_of: Some("strategies = []"),
            mentions: &[],
        },
        Case {
            what: "zero months",
            text: broken("months = 1", "months = 0"),
            path: Some("run.months"),
            line_of: Some("months = 0"),
            mentions: &[],
        },
        Case {
            what: "a post lifetime of zero days (model version 2)",
            text: broken("per_day = 12.0", "per_day = 12.0\npost_lifetime_days = 0.0"),
            path: Some("jobs.post_lifetime_days"),
            line_of: Some("post_lifetime_days = 0.0"),
            mentions: &["0", "> 0"],
        },
        Case {
            what: "a negative appeal sigma",
            text: broken("per_day = 12.0", "per_day = 12.0\nappeal_sigma = -0.5"),
            path: Some("jobs.appeal_sigma"),
            line_of: Some("appeal_sigma = -0.5"),
            mentions: &["-0.5"],
        },
        Case {
            what: "an appeal sigma too large to draw from",
            text: broken("per_day = 12.0", "per_day = 12.0\nappeal_sigma = 1e9"),
            path: Some("jobs.appeal_sigma"),
            line_of: Some("appeal_sigma = 1e9"),
            mentions: &["0 to 10"],
        },
        Case {
            what: "a cap share above 1",
            text: broken("per_day = 12.0", "per_day = 12.0\ncap_share = 1.2"),
            path: Some("jobs.cap_share"),
            line_of: Some("cap_share = 1.2"),
            mentions: &["1.2", "probability"],
        },
        Case {
            what: "a response delay with a negative sigma",
            text: broken(
                "response_delay_hours = { lognormal = { median = 4.0, sigma = 1.0 } }",
                "response_delay_hours = { lognormal = { median = 4.0, sigma = -1.0 } }",
            ),
            path: Some("strategies[1].response_delay_hours"),
            line_of: Some("sigma = -1.0"),
            mentions: &["sigma"],
        },
        Case {
            what: "a calibration experiment capping at zero applicants",
            text: format!("{VALID}\n[calibration]\nmax_applicants = 0\n"),
            path: Some("calibration.max_applicants"),
            line_of: Some("max_applicants = 0"),
            mentions: &["1 or more"],
        },
        Case {
            what: "a strategy named like the rows over all agents",
            text: broken("name = \"spray\"", "name = \"all\""),
            path: Some("strategies[0].name"),
            line_of: Some("name = \"all\""),
            mentions: &["reserved"],
        },
        // Values that once validated and then wrote `inf` or `NaN`, or ran into the working
        // directory (issue 9's list of accepted scenarios that failed when run).
        Case {
            what: "a Connect price so small that every ROI is infinite",
            text: format!("{VALID}\n[connects]\nprice_usd = 1e-320\n"),
            path: Some("connects.price_usd"),
            line_of: Some("price_usd = 1e-320"),
            mentions: &["1e-320", "1e-6 to 1e6"],
        },
        Case {
            what: "a Connect price so large that every cost is infinite",
            text: format!("{VALID}\n[connects]\nprice_usd = 1e308\n"),
            path: Some("connects.price_usd"),
            line_of: Some("price_usd = 1e308"),
            mentions: &["1e308"],
        },
        Case {
            what: "budgets so large that sums of dollars overflow",
            text: broken("per_day = 12.0", "per_day = 12.0\nbudget_max_usd = 1e308"),
            path: Some("jobs.budget_max_usd"),
            line_of: Some("budget_max_usd = 1e308"),
            mentions: &["1e9"],
        },
        Case {
            what: "a bundle budget so large that sums of dollars overflow",
            text: broken("bundle_budget_usd = 50.0", "bundle_budget_usd = 1e300"),
            path: Some("strategies[0].bundle_budget_usd"),
            line_of: Some("bundle_budget_usd = 1e300"),
            mentions: &["1e9"],
        },
        Case {
            what: "a scenario named .. (its run would go to the working directory's parent)",
            text: broken("name = \"one-thing-broken\"", "name = \"..\""),
            path: Some("name"),
            line_of: Some("name = \"..\""),
            mentions: &["not starting with '.'"],
        },
        Case {
            what: "a scenario named . (its run would go to the working directory)",
            text: broken("name = \"one-thing-broken\"", "name = \".\""),
            path: Some("name"),
            line_of: Some("name = \".\""),
            mentions: &["not starting with '.'"],
        },
        Case {
            what: "a Poisson mean whose draws do not fit a count",
            text: format!(
                "{VALID}\n[invitations]\nextra_invitees = {{ poisson = {{ mean = 1e308 }} }}\n"
            ),
            path: Some("invitations.extra_invitees"),
            line_of: Some("extra_invitees = "),
            mentions: &["at most 1e9"],
        },
        Case {
            what: "a baseline strategy that is not one of the strategies",
            text: broken(
                "name = \"one-thing-broken\"",
                "name = \"one-thing-broken\"\nbaseline_strategy = \"selectiv\"",
            ),
            path: Some("baseline_strategy"),
            line_of: Some("baseline_strategy = "),
            mentions: &["no strategy is named \"selectiv\"", "allowed:"],
        },
        Case {
            what: "a strategy with both a count and a share",
            text: broken(
                "name = \"spray\"\nagents = 10",
                "name = \"spray\"\nagents = 10\nshare = 0.5",
            ),
            path: Some("strategies[0].share"),
            line_of: Some("share = 0.5"),
            mentions: &["both agents and share"],
        },
        Case {
            what: "shares mixed with counts",
            text: broken(
                "name = \"spray\"\nagents = 10",
                "name = \"spray\"\nshare = 0.5",
            ),
            path: Some("strategies[0].share"),
            line_of: Some("share = 0.5"),
            mentions: &["mixes shares and counts", "boost-large gives agents"],
        },
        Case {
            what: "shares that do not add up to 1",
            text: broken(
                "name = \"spray\"\nagents = 10",
                "name = \"spray\"\nshare = 0.5",
            )
            .replace(
                "name = \"boost-large\"\nagents = 10",
                "name = \"boost-large\"\nshare = 0.6",
            ),
            path: Some("strategies"),
            line_of: None,
            mentions: &["add up to 1.1", "not 1"],
        },
        Case {
            what: "a share too small for one agent",
            text: broken(
                "name = \"spray\"\nagents = 10",
                "name = \"spray\"\nshare = 0.001",
            )
            .replace(
                "name = \"boost-large\"\nagents = 10",
                "name = \"boost-large\"\nshare = 0.999",
            ),
            path: Some("strategies[0].share"),
            line_of: Some("share = 0.001"),
            mentions: &["rounds to no agent"],
        },
        Case {
            what: "a missing base scenario",
            text: broken("extends = \"default\"", "extends = \"no-such-base\""),
            path: Some("extends"),
            line_of: None,
            mentions: &["no-such-base"],
        },
    ]
}

/// Checks the one-line message of a bad scenario, and returns it.
fn assert_bad_scenario(file: &Path, assert: assert_cmd::assert::Assert, what: &str) -> String {
    let output = assert.code(2).get_output().clone();
    let stderr = String::from_utf8(output.stderr).unwrap();
    let message = stderr.trim_end();
    assert_eq!(
        message.lines().count(),
        1,
        "{what}: not one line:\n{stderr}"
    );
    assert!(message.starts_with("Error: "), "{what}: {message}");
    assert!(
        message.contains(&file.display().to_string()),
        "{what}: the message does not name the file: {message}"
    );
    for bad in ["panicked", "RUST_BACKTRACE", "backtrace"] {
        assert!(!message.contains(bad), "{what}: {message}");
    }
    message.to_string()
}

#[test]
fn the_valid_template_is_valid() {
    // So that every case below fails for the one thing it breaks.
    let tmp = tempdir();
    let file = tmp.path().join("valid.toml");
    fs::write(&file, VALID).unwrap();
    connectsim()
        .arg("validate")
        .arg(&file)
        .assert()
        .success()
        .stdout(predicate::str::starts_with("OK "));
}

#[test]
fn broken_scenarios_get_one_line_naming_the_file_line_and_field() {
    let tmp = tempdir();
    let cases = cases();
    assert!(cases.len() >= 12);
    for (i, case) in cases.iter().enumerate() {
        let file = tmp.path().join(format!("case{i}.toml"));
        fs::write(&file, &case.text).unwrap();
        let assert = connectsim().arg("validate").arg(&file).assert();
        let message = assert_bad_scenario(&file, assert, case.what);
        if let Some(path) = case.path {
            assert!(
                message.contains(&format!(": {path}:")),
                "{}: the message does not name the field {path}: {message}",
                case.what
            );
        }
        if let Some(needle) = case.line_of {
            let line = line_of(&case.text, needle);
            let at = format!("{}:{line}:", file.display());
            assert!(
                message.contains(&at),
                "{}: the message does not name line {line} ({at}): {message}",
                case.what
            );
        }
        for word in case.mentions {
            assert!(
                message.contains(word),
                "{}: the message does not mention {word:?}: {message}",
                case.what
            );
        }
    }
}

#[test]
fn a_distribution_overrides_its_base_whole() {
    // A distribution is a one-key table (`{ beta = { … } }`); a scenario that extends
    // another and names a distribution of another kind replaces the base's distribution.
    let tmp = tempdir();
    let uniform = broken(
        "[population]",
        "[clients]\nquality = { uniform = { min = 0.0, max = 1.0 } }\n\n[population]",
    );
    let file = tmp.path().join("uniform.toml");
    fs::write(&file, uniform).unwrap();
    connectsim().arg("validate").arg(&file).assert().success();

    // And a distribution of the wrong support is reported as such.
    let normal = broken(
        "[population]",
        "[clients]\nquality = { normal = { mean = 0.5, sd = 0.2 } }\n\n[population]",
    );
    let file = tmp.path().join("normal.toml");
    fs::write(&file, normal).unwrap();
    let assert = connectsim().arg("validate").arg(&file).assert();
    let message = assert_bad_scenario(&file, assert, "clients.quality normal");
    assert!(
        message.contains("normal") && message.contains("beta"),
        "{message}"
    );
}

#[test]
#[cfg(unix)]
fn a_base_that_is_a_fifo_is_refused_instead_of_blocking() {
    // Reading a FIFO blocks until a writer comes; nothing but a regular file is read.
    let tmp = tempdir();
    let fifo = tmp.path().join("base.toml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let file = tmp.path().join("extends-fifo.toml");
    fs::write(
        &file,
        broken("extends = \"default\"", "extends = \"base.toml\""),
    )
    .unwrap();
    let assert = connectsim()
        .arg("validate")
        .arg(&file)
        .timeout(std::time::Duration::from_secs(20))
        .assert();
    let message = assert_bad_scenario(&file, assert, "a base that is a FIFO");
    assert!(message.contains("not a regular file"), "{message}");
}

#[test]
fn a_missing_file_is_named() {
    let tmp = tempdir();
    let file = tmp.path().join("no-such-scenario.toml");
    let assert = connectsim().arg("validate").arg(&file).assert();
    let message = assert_bad_scenario(&file, assert, "a missing file");
    assert!(message.contains("cannot read"), "{message}");
}

#[test]
fn validate_prints_one_ok_line_per_valid_file() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let files: Vec<PathBuf> = [
        "tiny.toml",
        "no_jobs.toml",
        "frugal.toml",
        "refunds.toml",
        "no_cancel.toml",
        "no_refund_on_cancel.toml",
        "removals_only.toml",
    ]
    .iter()
    .map(|f| data.join(f))
    .collect();
    let assert = connectsim()
        .arg("validate")
        .args(&files)
        .arg("smoke")
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), files.len() + 1, "{stdout}");
    for (line, file) in lines.iter().zip(&files) {
        assert!(line.starts_with("OK "), "{line}");
        assert!(line.contains(&file.display().to_string()), "{line}");
    }
    assert!(
        lines[files.len()].starts_with("OK embedded:smoke"),
        "{stdout}"
    );

    // A valid file, then an invalid one: exit 2, naming the invalid one.
    let tmp = tempdir();
    let bad = tmp.path().join("bad.toml");
    fs::write(&bad, broken("apply_prob = 1.0", "apply_prob = 2.0")).unwrap();
    let assert = connectsim()
        .arg("validate")
        .arg(&files[0])
        .arg(&bad)
        .assert();
    let message = assert_bad_scenario(&bad, assert, "valid then invalid");
    assert!(message.contains("strategies[0].apply_prob"), "{message}");
}

#[test]
fn run_on_a_bad_scenario_exits_2_and_writes_nothing() {
    let tmp = tempdir();
    for (i, case) in cases().iter().enumerate().take(4) {
        let file = tmp.path().join(format!("case{i}.toml"));
        fs::write(&file, &case.text).unwrap();
        let out = tmp.path().join(format!("out{i}"));
        let assert = connectsim()
            .arg("run")
            .arg(&file)
            .arg("--out")
            .arg(&out)
            .args(["--no-plots", "--quiet"])
            .assert();
        assert_bad_scenario(&file, assert, case.what);
        assert!(
            !out.exists(),
            "{}: run created {}",
            case.what,
            out.display()
        );
    }
    // Nor does it fall back to the default directory.
    let file = tmp.path().join("case0.toml");
    connectsim()
        .current_dir(tmp.path())
        .arg("run")
        .arg(&file)
        .args(["--no-plots", "--quiet"])
        .assert()
        .code(2);
    assert!(!tmp.path().join("output").exists());
}
