//! Scenario composition (issue 11, item 2): a file that extends another changes, adds or
//! removes one strategy by name without restating the list, or replaces the list when it
//! says so; every bad composition exits with 2, one line naming the file, the line and the
//! field, and writes nothing; an error inherited from a base names the file that caused it.

use std::fs;

use connectsim::scenario::Scenario;
use serde_json::Value;

mod common;

use common::{connectsim, data, tempdir};

/// A fixture of `tests/data/compose/`.
fn fixture(name: &str) -> String {
    data(&format!("compose/{name}"))
}

/// The resolved scenario of a fixture (or an embedded name).
fn resolved(scenario: &str) -> Scenario {
    Scenario::load(scenario).unwrap_or_else(|e| panic!("{e}"))
}

/// The strategies of a resolved scenario, by name, as plain values.
fn strategies(s: &Scenario) -> Vec<(String, Value)> {
    s.file
        .strategies
        .iter()
        .map(|st| {
            let value = serde_json::to_value(st).expect("a strategy serializes");
            (st.name.clone(), value)
        })
        .collect()
}

fn names(s: &Scenario) -> Vec<String> {
    strategies(s).into_iter().map(|(name, _)| name).collect()
}

/// The 1-based line of the first line of `text` that contains `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} is not in the file"))
        + 1
}

/// `connectsim validate` on a fixture: exit code 2 and the one line of its message.
fn refused(name: &str) -> String {
    let out = connectsim()
        .args(["validate", &fixture(name)])
        .output()
        .expect("connectsim runs");
    assert_eq!(out.status.code(), Some(2), "{name}: {out:?}");
    let stderr = String::from_utf8(out.stderr).expect("UTF-8");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{name}: {stderr}");
    assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    stderr.trim_end().to_string()
}

/// The message of a fixture must start with `file:line:` of the line holding `needle`, then
/// name `path`, and contain each of `mentions`.
fn assert_refused(name: &str, needle: &str, path: &str, mentions: &[&str]) {
    let file = fixture(name);
    let text = fs::read_to_string(&file).expect("the fixture");
    let message = refused(name);
    let at = format!("Error: {file}:{}:", line_of(&text, needle));
    assert!(
        message.starts_with(&at),
        "{name}: expected {at}…, got {message}"
    );
    assert!(
        message.contains(&format!(": {path}: ")),
        "{name}: {message}"
    );
    for m in mentions {
        assert!(message.contains(m), "{name}: {m:?} not in {message}");
    }
}

#[test]
fn changing_one_strategy_by_name_leaves_the_others_as_the_base_has_them() {
    let base = strategies(&resolved("default"));
    let changed = strategies(&resolved(&fixture("change_one.toml")));
    assert_eq!(changed.len(), base.len());
    for ((name, b), (changed_name, c)) in base.iter().zip(&changed) {
        assert_eq!(name, changed_name, "the order is the base's");
        if name == "spray" {
            let mut expected = b.clone();
            expected["apply_prob"] = Value::from(0.5);
            assert_eq!(c, &expected, "only spray's apply_prob changes");
        } else {
            assert_eq!(c, b, "{name} is the base's");
        }
    }
}

#[test]
fn adding_one_strategy_appends_it_after_the_base_s() {
    let base = names(&resolved("default"));
    let added = resolved(&fixture("add_one.toml"));
    let mut expected = base.clone();
    expected.push("newcomer".into());
    assert_eq!(names(&added), expected);
    assert_eq!(added.model.strategies.len(), 8);
    assert_eq!(added.model.population.agents, 5100);
    assert_eq!(
        strategies(&added)[..7],
        strategies(&resolved("default"))[..],
        "the base's seven are untouched"
    );
}

#[test]
fn removing_one_strategy_keeps_the_other_six_in_order() {
    let removed = resolved(&fixture("remove_one.toml"));
    let expected: Vec<(String, Value)> = strategies(&resolved("default"))
        .into_iter()
        .filter(|(name, _)| name != "frugal")
        .collect();
    assert_eq!(strategies(&removed), expected);
    assert_eq!(removed.model.strategies.len(), 6);
}

#[test]
fn replace_strategies_keeps_only_the_file_s() {
    let replaced = resolved(&fixture("replace.toml"));
    assert_eq!(names(&replaced), ["spray", "careful"]);
    // spray is the file's alone: not merged with the default's spray.
    let spray = &strategies(&replaced)[0].1;
    assert_eq!(spray["agents"], Value::from(5));
    assert_eq!(spray["bundle_budget_usd"], Value::from(0.0));
}

#[test]
fn an_unknown_name_to_remove_is_refused_naming_the_base_s() {
    assert_refused(
        "unknown_remove.toml",
        "remove_strategies =",
        "remove_strategies[1]",
        &["\"frugl\"", "allowed: spray, selective", "frugal"],
    );
}

#[test]
fn removing_every_strategy_is_refused() {
    assert_refused(
        "remove_all.toml",
        "remove_strategies =",
        "remove_strategies",
        &["every strategy", "at least one"],
    );
}

#[test]
fn a_name_added_twice_is_refused() {
    let text = fs::read_to_string(fixture("duplicate_added.toml")).expect("the fixture");
    let second = text.rfind("name = \"newcomer\"").expect("the second table");
    let line = text[..second].matches('\n').count() + 1;
    let message = refused("duplicate_added.toml");
    assert!(
        message.starts_with(&format!(
            "Error: {}:{line}:",
            fixture("duplicate_added.toml")
        )),
        "{message}"
    );
    assert!(message.contains(": strategies[1].name: "), "{message}");
    assert!(message.contains("\"newcomer\" is given twice"), "{message}");
}

#[test]
fn replace_strategies_of_the_wrong_type_is_refused() {
    assert_refused(
        "replace_wrong_type.toml",
        "replace_strategies =",
        "replace_strategies",
        &["\"yes\"", "true or false"],
    );
}

#[test]
fn replacing_and_removing_at_once_is_refused() {
    assert_refused(
        "replace_and_remove.toml",
        "remove_strategies =",
        "remove_strategies",
        &["replace_strategies = true", "one of the two"],
    );
}

#[test]
fn a_strategy_table_without_a_name_is_refused() {
    assert_refused(
        "nameless.toml",
        "[[strategies]]",
        "strategies[0]",
        &["has no name", "spray"],
    );
}

#[test]
fn an_added_strategy_without_a_raised_population_says_the_sum() {
    // The default's population.agents is not in this file: the error is at the added
    // strategy's agents, says the sum and where population.agents is set.
    assert_refused(
        "added_without_population.toml",
        "agents = 100",
        "population.agents",
        &[
            "5000 does not match the agents of the 8 strategies, which add up to 5100",
            "newcomer 100",
            "population.agents = 5100",
            "population.agents is set at embedded:default:",
        ],
    );
}

#[test]
fn a_removal_that_breaks_the_count_points_at_the_removal() {
    let file = tempdir();
    let path = file.path().join("remove.toml");
    fs::write(
        &path,
        "extends = \"default\"\nname = \"r\"\ndescription = \"d\"\nremove_strategies = [\"frugal\"]\n",
    )
    .expect("written");
    let out = connectsim()
        .args(["validate", path.to_str().expect("UTF-8")])
        .output()
        .expect("connectsim runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).expect("UTF-8");
    assert!(
        stderr.starts_with(&format!(
            "Error: {}:4:1: population.agents: 5000 does not match",
            path.display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("population.agents = 3000"), "{stderr}");
}

#[test]
fn an_inherited_bid_below_the_file_s_min_bid_is_reported_at_the_min_bid() {
    // boost-large's max = 40 is the default's; min_bid is this file's.
    assert_refused(
        "min_bid.toml",
        "min_bid = 1000000",
        "strategies[2].boost.value.max",
        &[
            "40 is below boost.min_bid = 1000000",
            "allowed: boost.min_bid or more",
            "strategies[2].boost.value.max is set at embedded:default:",
        ],
    );
}

#[test]
fn an_error_in_a_base_names_the_file_that_extends_it() {
    let base = fixture("broken_base.toml");
    let base_text = fs::read_to_string(&base).expect("the base");
    let message = refused("extends_broken_base.toml");
    let expected = format!(
        "Error: {base}:{}:1 (extended by {}:1:1): strategies[0].apply_prob: 1.5 is not a probability",
        line_of(&base_text, "apply_prob = 1.5"),
        fixture("extends_broken_base.toml"),
    );
    assert!(message.starts_with(&expected), "{message}");
}

#[test]
fn a_bad_composition_writes_nothing() {
    let tmp = tempdir();
    for name in [
        "unknown_remove.toml",
        "remove_all.toml",
        "duplicate_added.toml",
        "replace_wrong_type.toml",
        "replace_and_remove.toml",
        "nameless.toml",
        "added_without_population.toml",
        "min_bid.toml",
        "extends_broken_base.toml",
    ] {
        let out = tmp.path().join(name);
        let result = connectsim()
            .args(["run", &fixture(name), "--quiet", "--no-plots", "--out"])
            .arg(&out)
            .output()
            .expect("connectsim runs");
        assert_eq!(result.status.code(), Some(2), "{name}: {result:?}");
        assert!(!out.exists(), "{name}: {} was written", out.display());
    }
    assert_eq!(fs::read_dir(tmp.path()).expect("the directory").count(), 0);
}
