//! CI guards the calibration (issue 7): the default scenario, reduced to half of its agents
//! and of its posts (the same posts per agent) and to fewer replications,
//! runs its three calibration runs (`connectsim calibrate`'s market, placebo and capped
//! runs) and every MODEL.md target must not be `outside`: the 95% interval of its mean
//! across replications, whose width comes from the sample, must reach the target's range. A
//! change that moves the model away from the published figures fails here.

use connectsim::calibration::{CalibrationRow, TARGETS, calibration_rows, experiment_files};
use connectsim::runner::run_replications;
use connectsim::scenario::{Scenario, ScenarioFile, validate};

/// The default scenario at `1 / divisor` of its agents and posts.
fn reduced_default(divisor: u32, replications: u32) -> ScenarioFile {
    let mut file = Scenario::load("default").unwrap().file;
    file.run.replications = replications;
    file.jobs.per_day /= f64::from(divisor);
    file.resize(file.population.agents / divisor);
    file
}

fn calibration(file: &ScenarioFile) -> Vec<CalibrationRow> {
    let replications: Vec<u32> = (0..file.run.replications).collect();
    let rows: Vec<_> = experiment_files(file)
        .into_iter()
        .map(|(arm, f)| {
            let model = validate(&f).unwrap_or_else(|e| panic!("{arm}: {e:?}"));
            run_replications(&model, &replications, 2, false).unwrap()
        })
        .collect();
    calibration_rows(&rows[0], &rows[1], &rows[2])
}

#[test]
fn a_reduced_default_meets_every_calibration_target() {
    let replications = 4;
    let table = calibration(&reduced_default(2, replications));
    let mut report = String::new();
    for t in &TARGETS {
        let row = table.iter().find(|r| r.target == t.name).unwrap();
        report.push_str(&format!(
            "{}: {:?} [{:?}, {:?}] n = {} ({} to {}): {}\n",
            row.target,
            row.mean,
            row.ci_low,
            row.ci_high,
            row.replications,
            t.low,
            t.high,
            row.verdict
        ));
    }
    println!("{report}");
    for t in &TARGETS {
        let row = table.iter().find(|r| r.target == t.name).unwrap();
        assert_eq!(row.replications, replications, "{report}");
        assert_ne!(row.verdict, "outside", "{report}");
        assert_ne!(row.verdict, "", "no interval: {report}");
    }
}
