//! Helpers shared by the end-to-end tests that drive the binary (`cli.rs`, `crn.rs`,
//! `validation.rs`); each test crate uses the ones it needs.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::Path;

use assert_cmd::Command;
use tempfile::TempDir;

/// The `connectsim` binary built by cargo.
pub fn connectsim() -> Command {
    Command::cargo_bin("connectsim").expect("the connectsim binary is built")
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
