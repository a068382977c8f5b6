//! Helpers shared by the end-to-end tests that drive the binary (`cli.rs`, `crn.rs`,
//! `rundir.rs`, `validation.rs`); each test crate uses the ones it needs.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::Path;

use assert_cmd::Command;
use tempfile::TempDir;

/// The `connectsim` binary built by cargo.
pub fn connectsim() -> Command {
    Command::cargo_bin("connectsim").expect("the connectsim binary is built")
}

/// A scenario file of `tests/data/`.
pub fn data(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
        .display()
        .to_string()
}

/// A run directory's `manifest.json`.
pub fn manifest(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("manifest.json")).expect("manifest.json");
    serde_json::from_str(&text).expect("manifest.json is JSON")
}

pub fn tempdir() -> TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

/// `connectsim run SCENARIO --out OUT --no-plots --quiet EXTRA...`, which must succeed.
pub fn run(scenario: impl AsRef<OsStr>, out: &Path, extra: &[&str]) {
    connectsim()
        .arg("run")
        .arg(scenario)
        .arg("--out")
        .arg(out)
        .args(["--no-plots", "--quiet"])
        .args(extra)
        .assert()
        .success();
}
