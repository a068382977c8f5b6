//! The commands: each turns the raw command line into validated objects, runs, and reports.
//!
//! Errors carry their exit code: 2 for bad input (a flag, a scenario, an output directory
//! that cannot be written, a run directory that cannot be read), 1 for a run that failed.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use indicatif::{ProgressBar, ProgressStyle};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::flag;

use crate::atomic::{StagedDir, WriteError};
use crate::bench;
use crate::calibration::{
    CalibrationRow, TARGETS, calibration_rows, experiment_files, interval_text, range_text,
};
use crate::charts::{CHARTS, SWEEP_CHARTS};
use crate::checkpoint::{CheckpointError, Identity, Partial, Resumed};
use crate::cli::{CalibrateArgs, Cli, Command, RunArgs, TuneArgs};
use crate::estimate::{Estimate, MIB, machine_memory_bytes, peak_memory_mib};
use crate::export::{
    Manifest, OutError, Resources, ScenarioInfo, csv_bytes, data_files, ensure_writable,
    replaceable, seal, stage_run_dir, summary_files, write_files,
};
use crate::present::{ROI_NOTE, Unit, format_difference, format_interval, format_option};
use crate::report::REPORT;
use crate::results::{
    CheckedRun, Rows, RunData, baseline_of, files, ranked_by_roi, read_checked, read_run_dir,
    summarize, summarize_market,
};
use crate::runner::{Job, Ran, Shard, run_interruptible, run_replications};
use crate::scenario::{self, Design, EMBEDDED, Model, Scenario, ScenarioFile, Sweep};
use crate::sim::Watch;
use crate::sweep::{
    self, PointData, PointInfo, SweepData, SweepInfo, paired_differences, point_dir,
    with_point_columns,
};
use crate::tune::{self, KNOBS};

/// The commit this binary was built from (see `build.rs`).
pub const COMMIT: &str = env!("CONNECTSIM_COMMIT");

/// The time now, UTC, as `2026-12-02T17:55:03Z`.
fn utc_now() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    utc_text(seconds)
}

/// `seconds` since the Unix epoch as an ISO 8601 UTC time (the civil calendar from days, by
/// Howard Hinnant's algorithm).
fn utc_text(seconds: u64) -> String {
    let (days, rest) = ((seconds / 86_400) as i64, seconds % 86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// A failed command and its exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: i32,
    pub error: anyhow::Error,
}

impl Failure {
    fn bad_input(error: impl Into<anyhow::Error>) -> Failure {
        Failure {
            code: 2,
            error: error.into(),
        }
    }

    fn failed(error: impl Into<anyhow::Error>) -> Failure {
        Failure {
            code: 1,
            error: error.into(),
        }
    }
}

type Outcome = Result<(), Failure>;

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Outcome {
    match cli.command {
        Command::Run(args) => run_command(args),
        Command::Calibrate(args) => calibrate_command(args),
        Command::Tune(args) => tune_command(args),
        Command::Validate { scenarios } => validate_command(&scenarios),
        Command::Plot { run_dir } => plot_command(&run_dir),
        Command::Compare { run_dirs, out } => compare_command(&run_dirs, out),
        Command::Merge {
            shard_dirs,
            out,
            no_plots,
        } => merge_command(&shard_dirs, &out, no_plots),
        Command::Bench {
            scenario,
            threads,
            replications,
            min_seconds,
            json,
        } => bench_command(
            scenario.as_deref(),
            threads,
            replications,
            min_seconds,
            json,
        ),
        Command::Scenarios => {
            let width = EMBEDDED.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
            for (name, text) in EMBEDDED {
                let description = scenario::load(name)
                    .map(|l| l.file.description)
                    .unwrap_or_else(|_| text.lines().next().unwrap_or("").to_string());
                println!("{name:<width$}  {description}");
            }
            Ok(())
        }
    }
}

/// Loads a scenario and applies the command line's overrides, then validates.
/// The scenario `arg` with the flags that override its values.
#[derive(Debug, Clone, Copy, Default)]
struct Overrides {
    months: Option<u32>,
    replications: Option<u32>,
    seed: Option<u64>,
    agents: Option<u32>,
}

fn scenario_with_overrides(arg: &str, flags: Overrides) -> Result<Scenario, Failure> {
    let Overrides {
        months,
        replications,
        seed,
        agents,
    } = flags;
    let mut loaded = scenario::load(arg).map_err(Failure::bad_input)?;
    let run = &mut loaded.file.run;
    run.months = months.unwrap_or(run.months);
    run.replications = replications.unwrap_or(run.replications);
    run.seed = seed.unwrap_or(run.seed);
    if let Some(agents) = agents {
        let strategies = loaded.file.strategies.len();
        if (agents as usize) < strategies {
            return Err(Failure::bad_input(anyhow!(
                "--agents: {agents} is fewer than the scenario's {strategies} strategies (allowed: {strategies} or more, an agent a strategy at least)"
            )));
        }
        loaded.file.resize(agents);
    }
    Scenario::new(loaded).map_err(|e| {
        // A value set by a flag is the flag's fault, not the file's line.
        let flag = match e.path.as_deref() {
            Some("run.months") if months.is_some() => Some("--months"),
            Some("run.replications") if replications.is_some() => Some("--replications"),
            Some(path)
                if agents.is_some()
                    && (path == "population.agents" || path.ends_with(".share")) =>
            {
                Some("--agents")
            }
            _ => None,
        };
        match flag {
            Some(flag) => Failure::bad_input(anyhow!("{flag}: {}", e.message)),
            None => Failure::bad_input(e),
        }
    })
}

fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn run_command(args: RunArgs) -> Outcome {
    let scenario = scenario_with_overrides(
        args.scenario.as_deref().unwrap_or("default"),
        Overrides {
            months: args.months,
            replications: args.replications,
            seed: args.seed,
            agents: args.agents,
        },
    )?;
    let model = &scenario.model;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(&scenario.file.name));
    let threads = args.threads.map_or_else(default_threads, |t| t as usize);
    let replications: Vec<u32> = match args.shard {
        Some(shard) => shard.replications(model.replications),
        None => (0..model.replications).collect(),
    };
    let run = Run {
        scenario: &scenario,
        replications,
        threads,
        shard: args.shard,
        agents_csv: args.agents_csv,
    };
    // Nothing is written, nor simulated, past the size limits.
    run.estimate()
        .check(machine_memory_bytes(), args.allow_large)
        .map_err(|e| Failure::bad_input(anyhow!("{}: {e}", scenario.origin)))?;
    let staged = stage_out(&out, &out_flag(&out))?;
    let jobs = run.jobs();
    let identity = Identity {
        connectsim_version: env!("CARGO_PKG_VERSION").to_string(),
        // A csv design's points are in a file of their own: they are part of the run too.
        scenario: match &scenario.sweep {
            Some(sweep) => format!(
                "{}\n# points\n{}",
                scenario.resolved_text(),
                String::from_utf8_lossy(&sweep.design.to_csv())
            ),
            None => scenario.resolved_text(),
        },
        seed: model.seed,
        replications: model.replications,
        months: model.months,
        shard: args.shard.map(|s| s.to_string()),
        agents_csv: args.agents_csv,
        no_plots: args.no_plots,
    };
    let (partial, resumed) =
        Partial::open(&out, &identity, &jobs, args.resume).map_err(Failure::bad_input)?;
    let what = match &scenario.sweep {
        Some(_) => "replications of the sweep's points",
        None => "replications",
    };
    if !args.quiet && !resumed.jobs.is_empty() {
        eprintln!(
            "Resuming: {} of {} {what} were finished in {}; simulating the other {}",
            resumed.jobs.len(),
            jobs.len(),
            partial.path().display(),
            jobs.len() - resumed.jobs.len()
        );
    }
    let stop = Stop::on_signals()?;
    let progress = Progress::new(jobs.len() as u64, model.months, args.quiet);
    let simulated = run.simulate(resumed, Some(&partial), &stop, &progress)?;
    progress.finish();
    let Some(simulated) = simulated else {
        return Err(stop.interrupted(format!(
            "{} of {} {what} are kept in {}: run the same command with --resume to finish the rest",
            partial.kept(),
            jobs.len(),
            partial.path().display()
        )));
    };
    match &scenario.sweep {
        None => {
            let (rows, manifest) = &simulated[0];
            write_run(
                staged.path(),
                rows,
                manifest,
                args.agents_csv,
                args.no_plots,
            )?;
            commit(staged, &out_flag(&out))?;
            partial.finish().map_err(Failure::failed)?;
            if !args.quiet {
                print_closing_summary(&out, rows, manifest);
            }
        }
        Some(sweep) => {
            let top = run.sweep_manifest(sweep, &simulated);
            write_sweep(
                staged.path(),
                &simulated,
                &top,
                args.agents_csv,
                args.no_plots,
            )?;
            commit(staged, &out_flag(&out))?;
            partial.finish().map_err(Failure::failed)?;
            if !args.quiet {
                print_sweep_summary(&out, &simulated, &top);
            }
        }
    }
    Ok(())
}

/// Refuses a scenario with a `[sweep]` in a command that runs one scenario.
fn one_scenario(scenario: &Scenario, command: &str) -> Outcome {
    match scenario.sweep {
        Some(_) => Err(Failure::bad_input(anyhow!(
            "{}: sweep: {command} runs one scenario, and this one sweeps {} points (allowed: a scenario without [sweep]; run the sweep with connectsim run)",
            scenario.origin,
            scenario.sweep.as_ref().map_or(0, |s| s.points.len())
        ))),
        None => Ok(()),
    }
}

/// What stops a run: `SIGINT` (Ctrl-C) or `SIGTERM`. The first one sets a flag that the
/// runner and the engine read (so the run stops within a post's worth of work and keeps
/// what finished); a second one ends the process at once.
struct Stop {
    flag: Arc<AtomicBool>,
    signal: Arc<AtomicUsize>,
}

impl Stop {
    fn on_signals() -> Result<Stop, Failure> {
        let stop = Stop {
            flag: Arc::new(AtomicBool::new(false)),
            signal: Arc::new(AtomicUsize::new(0)),
        };
        for signal in [SIGINT, SIGTERM] {
            // In this order: a second signal finds the flag set and exits.
            let exit_code = 128 + signal;
            flag::register_conditional_shutdown(signal, exit_code, Arc::clone(&stop.flag))
                .and_then(|_| flag::register(signal, Arc::clone(&stop.flag)))
                .and_then(|_| {
                    flag::register_usize(signal, Arc::clone(&stop.signal), signal as usize)
                })
                .map_err(Failure::failed)?;
        }
        Ok(stop)
    }

    /// The failure of a stopped run: exit code 128 + the signal (130 for `SIGINT`, 143 for
    /// `SIGTERM`), and what became of the work.
    fn interrupted(&self, what_is_kept: String) -> Failure {
        let signal = self.signal.load(Ordering::SeqCst) as i32;
        let name = if signal == SIGTERM {
            "SIGTERM"
        } else {
            "SIGINT"
        };
        Failure {
            code: 128 + signal,
            error: anyhow!("interrupted by {name}: {what_is_kept}"),
        }
    }
}

/// A run to simulate: the scenario's `replications` (all of the run, or of its shard), at
/// each of its points (the scenario itself without a sweep).
struct Run<'a> {
    scenario: &'a Scenario,
    replications: Vec<u32>,
    threads: usize,
    shard: Option<Shard>,
    agents_csv: bool,
}

/// A simulated run: each point's rows and manifest (one point without a sweep).
type Simulated = Vec<(Rows, Manifest)>;

impl Run<'_> {
    /// Each point's file and model: the sweep's points, or the scenario itself.
    fn points(&self) -> Vec<(&ScenarioFile, &Model)> {
        match &self.scenario.sweep {
            Some(sweep) => sweep.points.iter().map(|(f, m)| (f, m)).collect(),
            None => vec![(&self.scenario.file, &self.scenario.model)],
        }
    }

    /// Every replication of every point.
    fn jobs(&self) -> Vec<Job> {
        Job::all(self.points().len() as u32, &self.replications)
    }

    /// What the run will cost: its largest point's cost per replication, for every job.
    fn estimate(&self) -> Estimate {
        let jobs = self.jobs().len() as u32;
        self.points()
            .iter()
            .map(|(_, model)| Estimate::new(model, jobs, self.threads, self.agents_csv))
            .max_by(|a, b| a.seconds.total_cmp(&b.seconds))
            .unwrap_or_else(|| {
                Estimate::new(&self.scenario.model, jobs, self.threads, self.agents_csv)
            })
    }

    /// Simulates the jobs that `resumed` does not hold, all points' side by side, recording
    /// each as it ends in `partial`, joins them with the resumed ones and describes each
    /// point in its manifest; `None` if `stop` stopped it first.
    fn simulate(
        &self,
        resumed: Resumed,
        partial: Option<&Partial>,
        stop: &Stop,
        progress: &Progress,
    ) -> Result<Option<Simulated>, Failure> {
        let points = self.points();
        let models: Vec<&Model> = points.iter().map(|(_, m)| *m).collect();
        let todo: Vec<Job> = self
            .jobs()
            .into_iter()
            .filter(|job| resumed.jobs.binary_search(job).is_err())
            .collect();
        progress.add_resumed(resumed.jobs.len() as u64);
        let started = Instant::now();
        let finished = |job: Job, rows: &Rows| {
            if let Some(partial) = partial {
                partial.record(job, rows)?;
            }
            progress.add_finished();
            Ok::<(), CheckpointError>(())
        };
        let ran = run_interruptible(
            &models,
            &todo,
            self.threads,
            self.agents_csv,
            progress.watch(&stop.flag),
            &finished,
        )
        .map_err(Failure::failed)?;
        let new = match ran {
            Ran::Whole(new) => new,
            Ran::Stopped => return Ok(None),
            Ran::Failed(e) => return Err(Failure::failed(e)),
        };
        let mut per_point = vec![Rows::default(); points.len()];
        let jobs = resumed.jobs.into_iter().zip(resumed.rows);
        for (job, rows) in jobs.chain(todo.into_iter().zip(new)) {
            per_point[job.point as usize].append(rows);
        }
        let wall_seconds = started.elapsed().as_secs_f64();
        let estimate = self.estimate();
        Ok(Some(
            per_point
                .into_iter()
                .zip(&points)
                .map(|(mut rows, (file, model))| {
                    rows.sort_by_replication();
                    let manifest = self.manifest(file, model, &rows, wall_seconds, &estimate);
                    (rows, manifest)
                })
                .collect(),
        ))
    }

    /// The manifest of a point (of the run, without a sweep) whose rows are `rows`;
    /// `wall_seconds` and `estimate` are the whole run's.
    fn manifest(
        &self,
        file: &ScenarioFile,
        model: &Model,
        rows: &Rows,
        wall_seconds: f64,
        estimate: &Estimate,
    ) -> Manifest {
        let scenario = self.scenario;
        Manifest {
            connectsim_version: env!("CARGO_PKG_VERSION").to_string(),
            commit: Some(COMMIT.to_string()),
            finished_utc: Some(utc_now()),
            scenario: ScenarioInfo {
                name: file.name.clone(),
                origin: scenario.origin.clone(),
                sha256: scenario.sha256.clone(),
                price_usd: model.connects.price_usd,
                resolved: toml::to_string(file).unwrap_or_default(),
                baseline: file.baseline_strategy.clone(),
            },
            seed: model.seed,
            replications: model.replications,
            months: model.months,
            shard: self.shard.map(|s| s.to_string()),
            replications_run: self.replications.clone(),
            threads: self.threads,
            wall_seconds,
            proposals_simulated: rows.proposals,
            proposals_per_second: rows.proposals as f64 / wall_seconds.max(1e-9),
            files: Vec::new(),
            resources: Some(Resources {
                estimated_peak_mib: estimate.peak_bytes / MIB,
                estimated_seconds: estimate.seconds,
                peak_mib: peak_memory_mib(),
            }),
            sweep: None,
        }
    }

    /// The manifest at the top of a sweep's directory: the scenario with its `[sweep]`, the
    /// points, and the whole run's proposals.
    fn sweep_manifest(&self, sweep: &Sweep, simulated: &Simulated) -> Manifest {
        let first = &simulated[0].1;
        let scenario = self.scenario;
        let proposals: u64 = simulated.iter().map(|(rows, _)| rows.proposals).sum();
        let mut manifest = self.manifest(
            &scenario.file,
            &scenario.model,
            &Rows::default(),
            first.wall_seconds,
            &self.estimate(),
        );
        manifest.scenario.resolved = scenario.resolved_text();
        manifest.proposals_simulated = proposals;
        manifest.proposals_per_second = proposals as f64 / first.wall_seconds.max(1e-9);
        manifest.sweep = Some(sweep_info(sweep));
        manifest
    }
}

/// What `manifest.json` says of a sweep's design.
fn sweep_info(sweep: &Sweep) -> SweepInfo {
    SweepInfo {
        parameters: sweep.design.parameters.clone(),
        baseline_point: sweep.baseline_point,
        points: sweep
            .design
            .points
            .iter()
            .enumerate()
            .map(|(i, values)| PointInfo {
                point: i as u32,
                values: values.clone(),
                dir: point_dir(i as u32),
            })
            .collect(),
    }
}

/// `connectsim calibrate`: the scenario and its paired counterfactuals (see
/// `calibration`), each written as a run directory (the counterfactuals nested in the
/// market run's, under `experiments/`), and the calibration table, printed and written as
/// `calibration.csv` beside the market run (whose report shows it). The whole directory is
/// one run, written whole.
fn calibrate_command(args: CalibrateArgs) -> Outcome {
    let base = scenario_with_overrides(
        args.scenario.as_deref().unwrap_or("default"),
        Overrides {
            replications: args.replications,
            seed: args.seed,
            ..Overrides::default()
        },
    )?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(format!("{}-calibration", base.file.name)));
    one_scenario(&base, "calibrate")?;
    let staged = stage_out(&out, &out_flag(&out))?;
    let threads = args.threads.map_or_else(default_threads, |t| t as usize);
    let replications: Vec<u32> = (0..base.model.replications).collect();
    let stop = Stop::on_signals()?;
    let progress = Progress::new(3 * replications.len() as u64, base.model.months, args.quiet);
    let mut runs = Vec::new();
    for (arm, scenario) in experiment_scenarios(&base, &base.file)? {
        let run = Run {
            scenario: &scenario,
            replications: replications.clone(),
            threads,
            shard: None,
            agents_csv: false,
        };
        let Some((rows, manifest)) = run
            .simulate(Resumed::default(), None, &stop, &progress)?
            .and_then(|points| points.into_iter().next())
        else {
            progress.finish();
            return Err(stop.interrupted("nothing was written".to_string()));
        };
        runs.push((arm, rows, manifest));
    }
    progress.finish();
    let table = calibration_rows(&runs[0].1, &runs[1].1, &runs[2].1);
    let csv = csv_bytes(&table).map_err(Failure::failed)?;
    let dir = staged.path();
    for (arm, rows, manifest) in &runs[1..] {
        write_run(
            &dir.join("experiments").join(arm),
            rows,
            manifest,
            false,
            true,
        )?;
    }
    write_files(dir, &[(files::CALIBRATION, csv)])
        .with_context(|| format!("cannot write the results to {}", dir.display()))
        .map_err(Failure::failed)?;
    let (_, rows, manifest) = &runs[0];
    write_run(dir, rows, manifest, false, args.no_plots)?;
    commit(staged, &out_flag(&out))?;
    if !args.quiet {
        print_calibration(&base, &table, &out);
    }
    Ok(())
}

/// The three calibration runs of `file` (market, placebo, capped), validated, as
/// scenarios of `base`'s origin.
fn experiment_scenarios(
    base: &Scenario,
    file: &ScenarioFile,
) -> Result<Vec<(&'static str, Scenario)>, Failure> {
    experiment_files(file)
        .into_iter()
        .map(|(arm, file)| {
            let model = scenario::validate(&file).map_err(|e| {
                Failure::bad_input(anyhow!("the {arm} experiment: {}: {}", e.path, e.message))
            })?;
            Ok((
                arm,
                Scenario {
                    file,
                    model,
                    ..base.clone()
                },
            ))
        })
        .collect()
}

/// The calibration table of a scenario file: its three calibration runs on `replications`.
fn calibration_table(
    base: &Scenario,
    file: &ScenarioFile,
    replications: &[u32],
    threads: usize,
) -> Result<Vec<CalibrationRow>, Failure> {
    let mut rows = Vec::new();
    for (_, scenario) in experiment_scenarios(base, file)? {
        rows.push(
            run_replications(&scenario.model, replications, threads, false)
                .map_err(Failure::failed)?,
        );
    }
    Ok(calibration_rows(&rows[0], &rows[1], &rows[2]))
}

/// `connectsim tune`: the Nelder–Mead calibration search (see `tune`) on shortened
/// calibration runs of the scenario; every evaluation is logged in `tune.csv`, and the
/// best knobs are printed as the lines to put in the scenario.
fn tune_command(args: TuneArgs) -> Outcome {
    let base = scenario_with_overrides(
        args.scenario.as_deref().unwrap_or("default"),
        Overrides {
            months: Some(args.months),
            replications: Some(args.replications),
            seed: args.seed,
            agents: None,
        },
    )?;
    one_scenario(&base, "tune")?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(format!("{}-tune", base.file.name)));
    ensure_writable(&out).map_err(|e| out_failure(&out_flag(&out), e))?;
    let knobs = tune::select(args.knobs.as_deref()).map_err(|bad| {
        let known: Vec<&str> = KNOBS.iter().map(|k| k.key).collect();
        Failure::bad_input(anyhow!(
            "--knobs: no knob is named {bad:?} (allowed: {})",
            known.join(", ")
        ))
    })?;
    let threads = args.threads.map_or_else(default_threads, |t| t as usize);
    let replications: Vec<u32> = (0..base.model.replications).collect();
    let mut log = String::from("evaluation,objective");
    for k in &knobs {
        log.push_str(&format!(",{}", k.name.replace(',', ";")));
    }
    for t in &TARGETS {
        log.push_str(&format!(",{}", t.name.replace(',', ";")));
    }
    log.push('\n');
    let mut failure = None;
    println!(
        "connectsim tune: {} ({} months × {} replications per run, seed {}), at most {} evaluations",
        base.file.name,
        base.model.months,
        base.model.replications,
        base.model.seed,
        args.evaluations
    );
    let (best, value) = tune::nelder_mead(
        &tune::start_point(&knobs, &base.file),
        args.step,
        args.evaluations,
        |x| {
            let file = tune::with_knobs(&knobs, &base.file, x);
            match calibration_table(&base, &file, &replications, threads) {
                Ok(table) => {
                    let v = tune::objective(&table);
                    let means: Vec<String> = TARGETS
                        .iter()
                        .map(|t| {
                            table
                                .iter()
                                .find(|r| r.target == t.name)
                                .and_then(|r| r.mean)
                                .map_or(String::new(), |m| m.to_string())
                        })
                        .collect();
                    let knobs: Vec<String> = tune::knob_values(&knobs, x)
                        .iter()
                        .map(|v| v.to_string())
                        .collect();
                    log.push_str(&format!(",{v},{},{}\n", knobs.join(","), means.join(",")));
                    v
                }
                Err(e) => {
                    failure.get_or_insert(e);
                    f64::INFINITY
                }
            }
        },
        |count, x, v| {
            if !args.quiet {
                let values: Vec<String> = tune::knob_values(&knobs, x)
                    .iter()
                    .map(|v| format!("{v:.3}"))
                    .collect();
                println!("{count:>4}  objective {v:.5}  knobs {}", values.join(" "));
            }
        },
    );
    if let Some(e) = failure {
        return Err(e);
    }
    let log: String = log
        .lines()
        .enumerate()
        .map(|(i, line)| {
            if i == 0 {
                format!("{line}\n")
            } else {
                format!("{i}{line}\n")
            }
        })
        .collect();
    write_files(&out, &[("tune.csv", log.into_bytes())])
        .with_context(|| format!("cannot write the results to {}", out.display()))
        .map_err(Failure::failed)?;
    println!();
    println!("best objective {value:.5}; the knobs:");
    for (k, v) in knobs.iter().zip(tune::knob_values(&knobs, &best)) {
        println!("  {} = {v:.4}", k.name);
    }
    println!("Every evaluation in {}", out.join("tune.csv").display());
    Ok(())
}

fn print_calibration(scenario: &Scenario, table: &[CalibrationRow], out: &Path) {
    println!(
        "connectsim calibrate: {} ({} replications, seed {}), MODEL.md's calibration targets",
        scenario.file.name, scenario.model.replications, scenario.model.seed
    );
    println!();
    let width = table
        .iter()
        .map(|r| r.target.chars().count())
        .max()
        .unwrap_or(0);
    println!(
        "{:<width$}  {:>17}  {:>9}  {:>21}  {:>4}  {:<9}  source",
        "target", "range", "simulated", "95% interval", "n", "verdict"
    );
    for r in table {
        let (range, interval) = (range_text(r), interval_text(r));
        let target = format!("{:<width$}", r.target);
        println!(
            "{target}  {range:>17}  {:>9}  {interval:>21}  {:>4}  {:<9}  {}",
            format_option(r.unit, r.mean),
            r.replications,
            if r.verdict.is_empty() {
                "-"
            } else {
                &r.verdict
            },
            r.source
        );
    }
    println!();
    println!(
        "inside: the whole 95% interval is in the range; outside: none of it; straddles: in between."
    );
    println!("Table in {}", out.join(files::CALIBRATION).display());
}

/// A run's progress on a terminal, hidden off one or with `--quiet`. It is drawn at once
/// and redrawn ten times a second from the months the replications have closed, so it
/// moves within replications; its message counts the whole replications done. It fits in
/// 80 columns.
struct Progress {
    bar: ProgressBar,
    months: u64,
    months_done: Arc<AtomicU64>,
    replications: u64,
    replications_done: AtomicU64,
}

impl Progress {
    fn new(replications: u64, months: u32, quiet: bool) -> Progress {
        let months = u64::from(months);
        let months_done = Arc::new(AtomicU64::new(0));
        let bar = if quiet || !std::io::stderr().is_terminal() {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(replications.saturating_mul(months).max(1))
        };
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {msg:<24} [{bar:25}] {percent:>3}% · {eta} left",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        let progress = Progress {
            bar,
            months,
            months_done,
            replications,
            replications_done: AtomicU64::new(0),
        };
        progress.show_replications();
        if !progress.bar.is_hidden() {
            progress.bar.enable_steady_tick(Duration::from_millis(100));
            let (bar, done) = (progress.bar.clone(), Arc::clone(&progress.months_done));
            std::thread::spawn(move || {
                while !bar.is_finished() {
                    bar.set_position(done.load(Ordering::Relaxed));
                    std::thread::sleep(Duration::from_millis(100));
                }
            });
        }
        progress
    }

    /// What the engine reads and tells: `stop`, and the months it closes.
    fn watch<'a>(&'a self, stop: &'a AtomicBool) -> Watch<'a> {
        Watch {
            stop,
            months_done: &self.months_done,
        }
    }

    /// Counts `n` replications found finished (resumed), with all their months.
    fn add_resumed(&self, n: u64) {
        self.months_done
            .fetch_add(n.saturating_mul(self.months), Ordering::Relaxed);
        self.replications_done.fetch_add(n, Ordering::Relaxed);
        self.show_replications();
    }

    /// Counts a replication that has just finished.
    fn add_finished(&self) {
        self.replications_done.fetch_add(1, Ordering::Relaxed);
        self.show_replications();
    }

    fn show_replications(&self) {
        let done = self.replications_done.load(Ordering::Relaxed);
        self.bar
            .set_message(format!("{done}/{} replications", self.replications));
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// Checks that `out` may be written as a run directory and opens its staging directory,
/// before any simulation; `label` names `out` in a message (`--out DIR`, or the
/// directory `plot` redraws).
fn stage_out(out: &Path, label: &str) -> Result<StagedDir, Failure> {
    stage_run_dir(out).map_err(|e| out_failure(label, e))
}

/// Swaps the staged run directory in for its target (the run written whole).
fn commit(staged: StagedDir, label: &str) -> Outcome {
    staged.commit(replaceable).map_err(|e| match e {
        OutError::Write(_) => Failure::failed(anyhow!("{label}: {e}")),
        e => out_failure(label, e),
    })
}

/// An output directory that cannot be written, as bad input naming it.
fn out_failure(label: &str, e: OutError) -> Failure {
    Failure::bad_input(anyhow!("{label}: {e}"))
}

/// `--out DIR`, as messages name an output directory.
fn out_flag(out: &Path) -> String {
    format!("--out {}", out.display())
}

/// Writes a run into `dir` (a staging directory): the per-replication CSV files, then
/// what is computed from them ([`write_derived`]), the manifest last.
fn write_run(
    dir: &Path,
    rows: &Rows,
    manifest: &Manifest,
    agents: bool,
    no_plots: bool,
) -> Outcome {
    let data = data_files(rows, agents).map_err(Failure::failed)?;
    write_files(dir, &data)
        .with_context(|| format!("cannot write the results to {}", dir.display()))
        .map_err(Failure::failed)?;
    write_derived(dir, rows, manifest, no_plots)
}

/// Writes into `dir` what is computed from a run's rows: the summaries, the charts and the
/// report (unless `no_plots`); then seals it with the manifest, which lists every file.
fn write_derived(dir: &Path, rows: &Rows, manifest: &Manifest, no_plots: bool) -> Outcome {
    let summaries = summary_files(rows, &manifest.scenario).map_err(Failure::failed)?;
    write_files(dir, &summaries)
        .with_context(|| format!("cannot write the results to {}", dir.display()))
        .map_err(Failure::failed)?;
    if !no_plots {
        let data = RunData::new(dir, &manifest.scenario, rows);
        crate::charts::draw_all(&data, dir)
            .with_context(|| format!("cannot draw the charts in {}", dir.display()))
            .map_err(Failure::failed)?;
        let value = serde_json::to_value(manifest).map_err(Failure::failed)?;
        crate::report::write_report(&data, &value, dir)
            .with_context(|| format!("cannot write the report in {}", dir.display()))
            .map_err(Failure::failed)?;
    }
    seal(dir, manifest)
        .with_context(|| format!("cannot write the manifest in {}", dir.display()))
        .map_err(Failure::failed)?;
    Ok(())
}

/// Writes a sweep into `dir` (a staging directory): each point as a run directory of its
/// own (`points/p0000/`, without charts), then at the top the points side by side: every
/// per-replication file and summary with the point columns, the design, the paired
/// differences from the baseline point ([`write_sweep_top`]).
fn write_sweep(
    dir: &Path,
    simulated: &Simulated,
    top: &Manifest,
    agents: bool,
    no_plots: bool,
) -> Outcome {
    let info = top
        .sweep
        .as_ref()
        .ok_or_else(|| Failure::failed(anyhow!("not a sweep")))?;
    for ((rows, manifest), point) in simulated.iter().zip(&info.points) {
        write_run(&dir.join(&point.dir), rows, manifest, agents, true)?;
    }
    write_sweep_top(dir, simulated, top, agents, no_plots)
}

/// Writes the top of a sweep's directory from its points' rows and manifests (the charts
/// and the report too, unless `no_plots`), and seals it with the sweep's manifest.
fn write_sweep_top(
    dir: &Path,
    simulated: &Simulated,
    top: &Manifest,
    agents: bool,
    no_plots: bool,
) -> Outcome {
    let info = top
        .sweep
        .as_ref()
        .ok_or_else(|| Failure::failed(anyhow!("not a sweep")))?;
    let data = sweep_data(simulated, top, info);
    let files = sweep_files(simulated, &data, agents).map_err(Failure::failed)?;
    write_files(dir, &files)
        .with_context(|| format!("cannot write the results to {}", dir.display()))
        .map_err(Failure::failed)?;
    if !no_plots {
        crate::charts::draw_sweep(&data, dir)
            .with_context(|| format!("cannot draw the charts in {}", dir.display()))
            .map_err(Failure::failed)?;
        let value = serde_json::to_value(top).map_err(Failure::failed)?;
        crate::report::write_sweep_report(&data, &value, dir)
            .with_context(|| format!("cannot write the report in {}", dir.display()))
            .map_err(Failure::failed)?;
    }
    seal(dir, top)
        .with_context(|| format!("cannot write the manifest in {}", dir.display()))
        .map_err(Failure::failed)?;
    Ok(())
}

/// Each point's summaries and paired differences from the baseline point.
fn sweep_data(simulated: &Simulated, top: &Manifest, info: &SweepInfo) -> SweepData {
    let (base_rows, base_manifest) = &simulated[info.baseline_point as usize];
    let points = simulated
        .iter()
        .map(|(rows, manifest)| {
            let scenario = &manifest.scenario;
            let (paired, market_paired) = paired_differences(
                (&rows.strategy_monthly, &rows.market_monthly),
                (&base_rows.strategy_monthly, &base_rows.market_monthly),
                info.baseline_point,
                (scenario.price_usd, base_manifest.scenario.price_usd),
            );
            PointData {
                summary: summarize(
                    &rows.strategy_monthly,
                    scenario.price_usd,
                    scenario.baseline.as_deref(),
                ),
                market: summarize_market(&rows.market_monthly),
                paired,
                market_paired,
            }
        })
        .collect();
    SweepData {
        name: top.scenario.name.clone(),
        info: info.clone(),
        replications: top.replications_run.len() as u32,
        points,
    }
}

/// The files at the top of a sweep's directory, as (name, bytes).
fn sweep_files(
    simulated: &Simulated,
    data: &SweepData,
    agents: bool,
) -> Result<Vec<(&'static str, Vec<u8>)>, csv::Error> {
    let info = &data.info;
    let mut per_point: Vec<Vec<(&'static str, Vec<u8>)>> = Vec::new();
    for ((rows, _), point) in simulated.iter().zip(&data.points) {
        let mut files = data_files(rows, agents)?;
        files.push((sweep::files::SUMMARY, csv_bytes(&point.summary)?));
        files.push((sweep::files::MARKET_SUMMARY, csv_bytes(&point.market)?));
        files.push((sweep::files::PAIRED, csv_bytes(&point.paired)?));
        files.push((
            sweep::files::MARKET_PAIRED,
            csv_bytes(&point.market_paired)?,
        ));
        per_point.push(files);
    }
    let mut out = Vec::new();
    for (k, (name, _)) in per_point[0].iter().enumerate() {
        let parts: Vec<(&PointInfo, &[u8])> = info
            .points
            .iter()
            .zip(&per_point)
            .map(|(point, files)| (point, files[k].1.as_slice()))
            .collect();
        out.push((*name, with_point_columns(&info.parameters, &parts)?));
    }
    let design = Design {
        parameters: info.parameters.clone(),
        points: info.points.iter().map(|p| p.values.clone()).collect(),
    };
    out.push((sweep::files::DESIGN, design.to_csv()));
    Ok(out)
}

/// Whether `plot` redraws the run directory's file `path` (the summaries, the charts and
/// the report) rather than keeping it as it is.
fn redrawn(path: &str) -> bool {
    path == files::SUMMARY
        || path == files::MARKET_SUMMARY
        || path == REPORT
        || CHARTS.iter().chain(&SWEEP_CHARTS).any(|c| {
            path.strip_prefix(c)
                .is_some_and(|ext| ext == ".png" || ext == ".svg")
        })
}

/// Writes into `dir`, byte for byte as read, the files of `run` that `plot` does not
/// redraw, and its nested runs whole.
fn carry_over(dir: &Path, run: &CheckedRun) -> Result<(), WriteError> {
    let kept: Vec<(&str, &[u8])> = run
        .files
        .iter()
        .filter(|(path, _)| !redrawn(path))
        .map(|(path, bytes)| (path.as_str(), bytes.as_slice()))
        .collect();
    write_files(dir, &kept)?;
    run.nested
        .iter()
        .try_for_each(|(path, nested)| copy_run(&dir.join(path), nested))
}

/// Writes the checked run `run` into `dir` as it was read: its files, its nested runs,
/// its manifest last.
fn copy_run(dir: &Path, run: &CheckedRun) -> Result<(), WriteError> {
    let files: Vec<(&str, &[u8])> = run
        .files
        .iter()
        .map(|(path, bytes)| (path.as_str(), bytes.as_slice()))
        .collect();
    write_files(dir, &files)?;
    for (path, nested) in &run.nested {
        copy_run(&dir.join(path), nested)?;
    }
    write_files(dir, &[(files::MANIFEST, &run.manifest_bytes)])
}

fn print_closing_summary(out: &Path, rows: &Rows, manifest: &Manifest) {
    let chosen = manifest.scenario.baseline.as_deref();
    let summary = summarize(&rows.strategy_monthly, manifest.scenario.price_usd, chosen);
    let n = manifest.replications_run.len();
    println!(
        "{}: {} replications × {} months, seed {}",
        manifest.scenario.name, n, manifest.months, manifest.seed
    );
    println!();
    let ranked = ranked_by_roi(&summary);
    let Some(baseline) = baseline_of(&summary, chosen) else {
        return;
    };
    let width = ranked
        .iter()
        .map(|s| s.chars().count())
        .max()
        .unwrap_or(8)
        .max(8);
    let vs = format!("vs {baseline}");
    println!(
        "{:<width$} {:>7} {:>18} {:>13} {:>9} {:>11}",
        "strategy", "ROI", "95% CI", vs, "cash ROI", "$/agent-mo"
    );
    let get = |strategy: &str, metric: &str| {
        summary
            .iter()
            .find(|r| r.strategy == strategy && r.metric == metric)
    };
    for name in &ranked {
        let roi = get(name, "roi");
        let ci = roi
            .and_then(|r| format_interval(Unit::Roi, r.ci_low, r.ci_high))
            .unwrap_or_else(|| "–".to_string());
        let difference = get(name, "roi_minus_baseline")
            .and_then(|r| r.mean)
            .map_or_else(|| "–".to_string(), |d| format_difference(Unit::Roi, d));
        println!(
            "{:<width$} {:>7} {:>18} {:>13} {:>9} {:>11}",
            name,
            format_option(Unit::Roi, roi.and_then(|r| r.mean)),
            ci,
            difference,
            format_option(Unit::Roi, get(name, "cash_roi").and_then(|r| r.mean)),
            format_option(
                Unit::Usd,
                get(name, "earned_per_agent_month").and_then(|r| r.mean)
            ),
        );
    }
    println!();
    for line in wrap(
        &format!(
            "Ranked by ROI: the mean with its t-based 95% CI across {n} replications. {ROI_NOTE} \
             {vs}: ROI minus {baseline}'s in the same replications, in percentage points. \
             $/agent-mo: earned per agent and month."
        ),
        80,
    ) {
        println!("{line}");
    }
    println!();
    if out.join(REPORT).exists() {
        println!(
            "Results in {}; open {} to read them.",
            out.display(),
            out.join(REPORT).display()
        );
    } else {
        println!("Results in {}", out.display());
    }
    println!(
        "{} proposals in {:.1} s on {} thread{}: {:.0} proposals/s",
        manifest.proposals_simulated,
        manifest.wall_seconds,
        manifest.threads,
        if manifest.threads == 1 { "" } else { "s" },
        manifest.proposals_per_second
    );
}

/// The closing lines of a sweep: a line a point, with its values, the best strategy's ROI
/// and the baseline strategy's.
fn print_sweep_summary(out: &Path, simulated: &Simulated, top: &Manifest) {
    let Some(info) = &top.sweep else {
        return;
    };
    println!(
        "{}: {} points × {} replications × {} months, seed {}",
        top.scenario.name,
        info.points.len(),
        top.replications_run.len(),
        top.months,
        top.seed
    );
    println!();
    for ((rows, manifest), point) in simulated.iter().zip(&info.points) {
        let chosen = manifest.scenario.baseline.as_deref();
        let summary = summarize(&rows.strategy_monthly, manifest.scenario.price_usd, chosen);
        let roi = |name: &str| {
            summary
                .iter()
                .find(|r| r.strategy == name && r.metric == "roi")
                .and_then(|r| r.mean)
        };
        let values: Vec<String> = info
            .parameters
            .iter()
            .zip(&point.values)
            .map(|(p, v)| format!("{p} = {v}"))
            .collect();
        println!("point {}: {}", point.point, values.join(", "));
        let ranked = ranked_by_roi(&summary);
        if let (Some(best), Some(baseline)) = (ranked.first(), baseline_of(&summary, chosen)) {
            println!(
                "  best {best} {}, baseline {baseline} {}",
                format_option(Unit::Roi, roi(best)),
                format_option(Unit::Roi, roi(baseline))
            );
        }
    }
    println!();
    println!(
        "Results in {}: each point in {}/, side by side in {} and {}",
        out.display(),
        out.join(sweep::files::POINTS_DIR).display(),
        sweep::files::SUMMARY,
        sweep::files::PAIRED
    );
    println!(
        "{} proposals in {:.1} s on {} thread{}: {:.0} proposals/s",
        top.proposals_simulated,
        top.wall_seconds,
        top.threads,
        if top.threads == 1 { "" } else { "s" },
        top.proposals_per_second
    );
}

/// `text` broken into lines of at most `width` characters, at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let line = lines.last_mut().expect("never empty");
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(word.to_string());
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines
}

fn validate_command(scenarios: &[String]) -> Outcome {
    for arg in scenarios {
        let s = Scenario::load(arg).map_err(Failure::bad_input)?;
        let m = &s.model;
        let points = match &s.sweep {
            Some(sweep) => format!(
                ", a sweep of {} points over {}",
                sweep.points.len(),
                sweep.design.parameters.join(", ")
            ),
            None => String::new(),
        };
        println!(
            "OK {} ({}: {} strategies, {} agents, {} months × {} replications{points})",
            s.origin,
            s.file.name,
            m.strategies.len(),
            m.population.agents,
            m.months,
            m.replications
        );
    }
    Ok(())
}

/// Redraws a run directory's summaries, charts and report from its per-replication files,
/// once they check against its manifest, and writes the directory whole again.
/// A sweep's top is redrawn from its points' rows.
fn plot_command(run_dir: &Path) -> Outcome {
    let run = read_checked(run_dir).map_err(Failure::bad_input)?;
    let label = run_dir.display().to_string();
    let staged = stage_out(run_dir, &label)?;
    carry_over(staged.path(), &run)
        .with_context(|| format!("cannot write the results to {}", staged.path().display()))
        .map_err(Failure::failed)?;
    match &run.manifest.sweep {
        None => {
            let rows = run.rows(false).map_err(Failure::bad_input)?;
            write_derived(staged.path(), &rows, &run.manifest, false)?;
        }
        Some(info) => {
            let agents = run.has(files::AGENTS);
            let simulated = info
                .points
                .iter()
                .map(|point| {
                    let nested = run
                        .nested
                        .iter()
                        .find(|(dir, _)| *dir == point.dir)
                        .map(|(_, nested)| nested)
                        .ok_or_else(|| {
                            Failure::bad_input(anyhow!(
                                "{}: point {} is missing: not a whole sweep",
                                run_dir.join(&point.dir).display(),
                                point.point
                            ))
                        })?;
                    let rows = nested.rows(agents).map_err(Failure::bad_input)?;
                    Ok((rows, nested.manifest.clone()))
                })
                .collect::<Result<Simulated, Failure>>()?;
            write_sweep_top(staged.path(), &simulated, &run.manifest, agents, false)?;
        }
    }
    commit(staged, &label)?;
    println!("Charts and report redrawn in {}", run_dir.display());
    Ok(())
}

fn compare_command(run_dirs: &[PathBuf], out: Option<PathBuf>) -> Outcome {
    let runs = run_dirs
        .iter()
        .map(|d| read_run_dir(d))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Failure::bad_input)?;
    let out = out.unwrap_or_else(|| Path::new("output").join("compare"));
    ensure_writable(&out).map_err(|e| out_failure(&out_flag(&out), e))?;
    let written = crate::compare::compare(&runs, &out)
        .with_context(|| format!("cannot write the comparison in {}", out.display()))
        .map_err(Failure::failed)?;
    for path in written {
        println!("{}", path.display());
    }
    Ok(())
}

/// Reads the shard directories (each checked against its manifest), checks they are
/// shards of one run of this connectsim that hold each replication exactly once, and writes
/// the run directory the unsharded run would have written (the manifest's timings aside).
/// Shards of a sweep are merged point by point.
fn merge_command(shard_dirs: &[PathBuf], out: &Path, no_plots: bool) -> Outcome {
    let shards = shard_dirs
        .iter()
        .map(|dir| read_checked(dir))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Failure::bad_input)?;
    let tops: Vec<&CheckedRun> = shards.iter().collect();
    let staged = stage_out(out, &out_flag(out))?;
    let agents = shards.iter().all(|s| {
        s.has(files::AGENTS)
            || s.nested
                .first()
                .is_some_and(|(_, point)| point.has(files::AGENTS))
    });
    let manifest = match &shards[0].manifest.sweep {
        None => {
            let (rows, manifest) = join_shards(&tops, agents)?;
            write_run(staged.path(), &rows, &manifest, agents, no_plots)?;
            manifest
        }
        Some(info) => {
            let held = check_shards(&tops)?;
            let mut simulated = Vec::with_capacity(info.points.len());
            for point in &info.points {
                let parts = tops
                    .iter()
                    .map(|s| {
                        s.nested
                            .iter()
                            .find(|(dir, _)| *dir == point.dir)
                            .map(|(_, run)| run)
                            .ok_or_else(|| {
                                Failure::bad_input(anyhow!(
                                    "{}: point {} is missing ({} is not there): not a whole shard of the sweep",
                                    s.dir.display(),
                                    point.point,
                                    point.dir
                                ))
                            })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                simulated.push(join_shards(&parts, agents)?);
            }
            let proposals = simulated.iter().map(|(rows, _)| rows.proposals).sum();
            let top = merged_manifest(&tops, held, proposals);
            write_sweep(staged.path(), &simulated, &top, agents, no_plots)?;
            top
        }
    };
    commit(staged, &out_flag(out))?;
    println!(
        "Merged {} shards ({} replications) into {}",
        shard_dirs.len(),
        manifest.replications,
        out.display()
    );
    Ok(())
}

/// Checks that `shards` are shards of one run of this connectsim holding each replication
/// exactly once; returns the replications, in order.
fn check_shards(shards: &[&CheckedRun]) -> Result<Vec<u32>, Failure> {
    let ours = env!("CARGO_PKG_VERSION");
    if let Some(s) = shards
        .iter()
        .find(|s| s.manifest.connectsim_version != ours)
    {
        return Err(Failure::bad_input(anyhow!(
            "{}: written by connectsim {}, not this connectsim {ours}: merge shards with the connectsim that ran them",
            s.dir.display(),
            s.manifest.connectsim_version
        )));
    }
    let first = &shards[0].manifest;
    for s in &shards[1..] {
        let m = &s.manifest;
        if m.scenario.resolved != first.scenario.resolved
            || m.seed != first.seed
            || (m.replications, m.months) != (first.replications, first.months)
            || m.sweep != first.sweep
        {
            return Err(Failure::bad_input(anyhow!(
                "{}: not a shard of the same run as {} (the scenario, the seed, the replications, the months or the sweep differ)",
                s.dir.display(),
                shards[0].dir.display()
            )));
        }
    }
    // Each shard's replications are checked against its rows and its shard; together they
    // must be 0..replications, each once (bounded by what the manifests list).
    let mut held: Vec<(u32, &Path)> = shards
        .iter()
        .flat_map(|s| {
            s.manifest
                .replications_run
                .iter()
                .map(|&r| (r, s.dir.as_path()))
        })
        .collect();
    held.sort_unstable_by_key(|&(r, _)| r);
    if let Some(w) = held.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(Failure::bad_input(anyhow!(
            "replication {} is in both {} and {}: shards must not overlap",
            w[0].0,
            w[0].1.display(),
            w[1].1.display()
        )));
    }
    if held.len() as u64 != u64::from(first.replications) {
        return Err(Failure::bad_input(anyhow!(
            "the shards hold {} replications, but the run has {} (each exactly once)",
            held.len(),
            first.replications
        )));
    }
    Ok(held.into_iter().map(|(r, _)| r).collect())
}

/// The rows of `shards` (checked with [`check_shards`]) in the unsharded run's order, and
/// its manifest.
fn join_shards(shards: &[&CheckedRun], agents: bool) -> Result<(Rows, Manifest), Failure> {
    let held = check_shards(shards)?;
    let mut rows = Rows::default();
    for shard in shards {
        rows.append(shard.rows(agents).map_err(Failure::bad_input)?);
    }
    // Replications are disjoint: sorted by replication, they are in the unsharded order.
    rows.sort_by_replication();
    let manifest = merged_manifest(shards, held, rows.proposals);
    Ok((rows, manifest))
}

/// The manifest of the run that `shards` make together.
fn merged_manifest(shards: &[&CheckedRun], held: Vec<u32>, proposals: u64) -> Manifest {
    let wall_seconds: f64 = shards.iter().map(|s| s.manifest.wall_seconds).sum();
    Manifest {
        shard: None,
        replications_run: held,
        threads: shards.iter().map(|s| s.manifest.threads).max().unwrap_or(1),
        wall_seconds,
        proposals_simulated: proposals,
        proposals_per_second: proposals as f64 / wall_seconds.max(1e-9),
        files: Vec::new(),
        resources: None,
        commit: Some(COMMIT.to_string()),
        finished_utc: Some(utc_now()),
        ..shards[0].manifest.clone()
    }
}

fn bench_command(
    arg: Option<&str>,
    threads: Option<Vec<usize>>,
    replications: Option<u32>,
    min_seconds: f64,
    json: bool,
) -> Outcome {
    let scenario = Scenario::load(arg.unwrap_or("default")).map_err(Failure::bad_input)?;
    let cores = default_threads();
    let mut list = threads.unwrap_or_else(|| if cores > 1 { vec![1, cores] } else { vec![1] });
    list.dedup();
    if let Some(&bad) = list.iter().find(|&&t| t == 0) {
        return Err(Failure::bad_input(anyhow!(
            "--threads {bad}: not a thread count (allowed: whole numbers ≥ 1)"
        )));
    }
    let max_threads = list.iter().copied().max().unwrap_or(1);
    let reps = replications.unwrap_or(2 * max_threads as u32).max(1);
    if !(min_seconds.is_finite() && min_seconds >= 0.0) {
        return Err(Failure::bad_input(anyhow!(
            "--min-seconds {min_seconds}: not a duration (allowed: a number of seconds ≥ 0)"
        )));
    }
    let model = &scenario.model;
    let name = &scenario.file.name;
    let measured =
        bench::measure(model, name, &list, reps, cores, min_seconds).map_err(Failure::failed)?;
    if json {
        let text = serde_json::to_string_pretty(&measured).map_err(Failure::failed)?;
        println!("{text}");
    } else {
        print!("{}", bench::table(&measured));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_times_follow_the_civil_calendar() {
        assert_eq!(utc_text(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_text(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_text(1_796_227_199), "2026-12-02T15:59:59Z");
    }

    #[test]
    fn text_wraps_at_spaces_within_the_width() {
        let lines = wrap("a bb ccc dddd", 6);
        assert_eq!(lines, ["a bb", "ccc", "dddd"]);
        assert!(wrap(ROI_NOTE, 80).iter().all(|l| l.chars().count() <= 80));
    }
}
