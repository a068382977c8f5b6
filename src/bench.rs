//! `connectsim bench`: simulation throughput and thread scaling, told truthfully.
//!
//! Each row (a thread count) runs the same replications again and again, until it has at
//! least [`MIN_RUNS`] runs and [`MIN_SECONDS`] of them (or `--min-seconds`), as hyperfine does, and reports the
//! minimum, median and maximum wall time. Rates are computed from the median. Peak memory
//! is the process's resident high-water mark during the row (Linux: reset through
//! `/proc/self/clear_refs` before the row, read from `/proc/self/status` after). The floor
//! is the time of a loop that makes the run's random draws, of the same kinds, and nothing
//! else ([`Draws`]); the engine's distance from it says how much of a run is
//! bookkeeping rather than randomness.

use std::time::Instant;

use serde::Serialize;

use crate::estimate::peak_memory_mib;
use crate::random::Draws;
use crate::runner::run_replications;
use crate::scenario::Model;

/// Every row has at least this many runs ...
pub const MIN_RUNS: usize = 3;
/// ... and at least this many seconds of them, unless told otherwise (`--min-seconds`).
pub const MIN_SECONDS: f64 = 10.0;
/// A row whose (max − min) / median exceeds this says the machine was noisy.
pub const NOISY_SPREAD: f64 = 0.10;

/// One thread count's measurement.
#[derive(Debug, Clone, Serialize)]
pub struct BenchRow {
    pub threads: usize,
    pub runs: usize,
    pub wall_min_s: f64,
    pub wall_median_s: f64,
    pub wall_max_s: f64,
    pub replications_per_s: f64,
    pub proposals_per_s: f64,
    pub posts_per_s: f64,
    pub agent_months_per_s: f64,
    /// Peak resident memory during the row, if the system tells it.
    pub peak_mib: Option<f64>,
    /// Replications per second over the 1-thread row's (none without a 1-thread row).
    pub speedup: Option<f64>,
    /// Speed-up over the thread count.
    pub efficiency: Option<f64>,
}

/// The whole measurement.
#[derive(Debug, Clone, Serialize)]
pub struct Bench {
    pub scenario: String,
    pub agents: u32,
    pub months: u32,
    pub replications_per_run: u32,
    pub cores: usize,
    pub min_seconds: f64,
    /// What one replication does, on average.
    pub proposals_per_replication: f64,
    pub posts_per_replication: f64,
    pub rows: Vec<BenchRow>,
    /// The floor: one thread making one replication's random draws and nothing else.
    pub floor_s_per_replication: f64,
    /// One thread's median seconds per replication over the floor (none without a
    /// 1-thread row).
    pub engine_over_floor: Option<f64>,
    /// Rows whose spread says the machine was noisy.
    pub noisy_rows: Vec<usize>,
}

/// Measures `replications` replications of `model` at each thread count.
pub fn measure(
    model: &Model,
    scenario: &str,
    threads: &[usize],
    replications: u32,
    cores: usize,
    min_seconds: f64,
) -> Result<Bench, rayon::ThreadPoolBuildError> {
    let ids: Vec<u32> = (0..replications).collect();
    let reps = f64::from(replications);
    let agent_months = f64::from(model.population.agents) * f64::from(model.months) * reps;
    let mut rows: Vec<BenchRow> = Vec::new();
    let mut work = None;
    for &t in threads {
        reset_peak_memory();
        let mut walls = Vec::new();
        while walls.len() < MIN_RUNS || walls.iter().sum::<f64>() < min_seconds {
            let started = Instant::now();
            let out = run_replications(model, &ids, t, false)?;
            walls.push(started.elapsed().as_secs_f64().max(1e-9));
            let posts: u64 = out.market_monthly.iter().map(|m| m.jobs_posted).sum();
            work.get_or_insert((out.proposals as f64, posts as f64, out.draws));
        }
        walls.sort_by(f64::total_cmp);
        let median = crate::stats::quantile_sorted(&walls, 0.5).unwrap_or(walls[0]);
        let (proposals, posts, _) = work.expect("a row ran");
        let rate = reps / median;
        let base = if t == 1 {
            Some(rate)
        } else {
            rows.iter()
                .find(|r| r.threads == 1)
                .map(|r| r.replications_per_s)
        };
        rows.push(BenchRow {
            threads: t,
            runs: walls.len(),
            wall_min_s: walls[0],
            wall_median_s: median,
            wall_max_s: walls[walls.len() - 1],
            replications_per_s: rate,
            proposals_per_s: proposals / median,
            posts_per_s: posts / median,
            agent_months_per_s: agent_months / median,
            peak_mib: peak_memory_mib(),
            speedup: base.map(|b| rate / b),
            efficiency: base.map(|b| rate / b / t as f64),
        });
    }
    let (proposals, posts, draws) = work.unwrap_or_default();
    let floor = floor_seconds(&draws) / reps;
    let single = rows
        .iter()
        .find(|r| r.threads == 1)
        .map(|r| r.wall_median_s * r.threads as f64 / reps);
    let noisy_rows = rows
        .iter()
        .filter(|r| (r.wall_max_s - r.wall_min_s) / r.wall_median_s > NOISY_SPREAD)
        .map(|r| r.threads)
        .collect();
    Ok(Bench {
        scenario: scenario.to_string(),
        agents: model.population.agents,
        months: model.months,
        replications_per_run: replications,
        cores,
        min_seconds,
        proposals_per_replication: proposals / reps,
        posts_per_replication: posts / reps,
        floor_s_per_replication: floor,
        engine_over_floor: single.map(|s| s / floor.max(1e-12)),
        rows,
        noisy_rows,
    })
}

/// The table `bench` prints.
pub fn table(b: &Bench) -> String {
    let mut out = format!(
        "connectsim bench: {} ({} agents, {} months), {} replications per run, {} cores\n\
         each row: at least {MIN_RUNS} runs and {} s of them; rates from the median run\n\n",
        b.scenario, b.agents, b.months, b.replications_per_run, b.cores, b.min_seconds
    );
    out.push_str(&format!(
        "{:>7} {:>5} {:>27} {:>9} {:>12} {:>10} {:>15} {:>9} {:>8} {:>10}\n",
        "threads",
        "runs",
        "wall s (min / median / max)",
        "reps/s",
        "proposals/s",
        "posts/s",
        "agent-months/s",
        "peak MiB",
        "speedup",
        "efficiency"
    ));
    for r in &b.rows {
        let peak = r.peak_mib.map_or("-".to_string(), |m| format!("{m:.0}"));
        out.push_str(&format!(
            "{:>7} {:>5} {:>27} {:>9.3} {:>12.0} {:>10.0} {:>15.0} {:>9} {:>8} {:>10}\n",
            r.threads,
            r.runs,
            format!(
                "{:.2} / {:.2} / {:.2}",
                r.wall_min_s, r.wall_median_s, r.wall_max_s
            ),
            r.replications_per_s,
            r.proposals_per_s,
            r.posts_per_s,
            r.agent_months_per_s,
            peak,
            r.speedup.map_or("–".to_string(), |x| format!("{x:.2}×")),
            r.efficiency
                .map_or("–".to_string(), |x| format!("{:.0}%", 100.0 * x)),
        ));
    }
    out.push_str(&format!(
        "\nper replication: {:.0} posts, {:.0} proposals\n",
        b.posts_per_replication, b.proposals_per_replication
    ));
    let distance = match b.engine_over_floor {
        Some(x) => format!("the engine takes {x:.1}× that (goal: within 3×)"),
        None => "the engine's distance from it needs a 1-thread row (--threads 1,2)".to_string(),
    };
    out.push_str(&format!(
        "floor: {:.3} s a replication (its random draws alone, one thread); {distance}\n",
        b.floor_s_per_replication
    ));
    if b.rows.iter().all(|r| r.speedup.is_none()) {
        out.push_str("speed-up and efficiency are against a 1-thread row: add 1 to --threads\n");
    }
    if !b.noisy_rows.is_empty() {
        let list: Vec<String> = b.noisy_rows.iter().map(|t| t.to_string()).collect();
        out.push_str(&format!(
            "warning: the runs of the row(s) with {} thread(s) spread over more than {:.0}% of their median: the machine was busy; trust the minimum, or rerun on a quiet machine\n",
            list.join(", "),
            100.0 * NOISY_SPREAD
        ));
    }
    out
}

/// Seconds for one thread to make `draws` and nothing else.
fn floor_seconds(draws: &Draws) -> f64 {
    let started = Instant::now();
    let sink = draws.replay();
    let secs = started.elapsed().as_secs_f64();
    std::hint::black_box(sink);
    secs
}

/// Resets the process's resident-memory high-water mark (Linux), so that a row's peak is its
/// own.
fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}
