//! What a run will cost, estimated from the scenario's size before anything is simulated:
//! its peak memory and its work. `run` refuses a run past its limits (see
//! [`Estimate::check`]) so that a scenario of 10⁷ agents does not take 6 GB and hours
//! silently.
//!
//! The figures are fitted to runs measured on this project's machine kind (2 cores), with
//! `/usr/bin/time -f %M connectsim run SCENARIO --months M --replications 1 --threads 1`
//! on the default market at 1, 4 and 20 times its size (5 000, 20 000 and 100 000 agents,
//! the same jobs per agent) over 1 to 24 months, at 4 and 0.1 times its posts a day, with
//! 10⁶ agents and the default's posts, and on two threads with `--agents-csv`. Memory and
//! time are within 2× of those measures (the tests check memory at three sizes); machines
//! differ, so time is a guide.

use crate::scenario::model::{DAYS_PER_MONTH, HOURS_PER_DAY, Model};

/// The process before any replication: the binary, the model, the thread pool.
const BASE_BYTES: f64 = 7.0 * MIB;
/// An agent's state in a running replication, in bytes: `a + b · ln(1 + months)` (its
/// ledger's lots, deferred arrivals and contracts grow over the first year, then slowly).
const AGENT_BYTES: f64 = 0.9 * KIB;
const AGENT_BYTES_PER_LN_MONTH: f64 = 1.35 * KIB;
/// The posts open at once, their proposals and pending events, per post a day.
const POST_PER_DAY_BYTES: f64 = 11.0 * KIB;
/// A row of `agents.csv`, kept until the run is written.
const AGENT_ROW_BYTES: f64 = 400.0;
/// A monthly row (a strategy's or the market's), kept until the run is written.
const MONTH_ROW_BYTES: f64 = 300.0;
/// Seconds of one replication on one core per post an agent reads, and per agent-month
/// (the month's end, billing days): most of the work is the posts read.
const SECONDS_PER_READ: f64 = 150e-9;
const SECONDS_PER_AGENT_MONTH: f64 = 10e-6;

const KIB: f64 = 1024.0;
pub const MIB: f64 = 1024.0 * KIB;
const GIB: f64 = 1024.0 * MIB;

/// The limits past which `run` refuses without `--allow-large`: half the machine's memory,
/// and an hour of work.
const MEMORY_SHARE: f64 = 0.5;
const MAX_SECONDS: f64 = 3600.0;

/// What a run is estimated to cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Peak resident memory, bytes.
    pub peak_bytes: f64,
    /// Agents × months × replications.
    pub agent_months: f64,
    /// Wall time on this machine kind, seconds.
    pub seconds: f64,
}

/// Why a run is refused before it starts.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TooLarge {
    #[error(
        "this run would need about {} of memory, more than this machine's {} (allowed: fewer agents, months or threads; or shards on several machines)",
        gib(*.peak_bytes), gib(*.machine_bytes)
    )]
    BeyondMachine { peak_bytes: f64, machine_bytes: f64 },
    #[error(
        "this run would need about {} of memory and {} ({:.3e} agent-months), past the limits of half the machine's memory and an hour (allowed: --allow-large to run it anyway)",
        gib(estimate.peak_bytes), duration(estimate.seconds), estimate.agent_months
    )]
    PastLimits { estimate: Estimate },
}

impl Estimate {
    /// The cost of running `replications` replications of `model` on `threads` threads,
    /// with `agents.csv` or without.
    pub fn new(model: &Model, replications: u32, threads: usize, agents_csv: bool) -> Estimate {
        let agents = f64::from(model.population.agents);
        let months = f64::from(model.months);
        let reps = f64::from(replications);
        let concurrent = reps.min(threads.max(1) as f64);
        let per_day = model.jobs.per_hour * HOURS_PER_DAY;
        let replication = agents * (AGENT_BYTES + AGENT_BYTES_PER_LN_MONTH * months.ln_1p())
            + per_day * POST_PER_DAY_BYTES;
        let rows = reps * months * (model.strategies.len() as f64 + 1.0) * MONTH_ROW_BYTES
            + if agents_csv {
                reps * agents * AGENT_ROW_BYTES
            } else {
                0.0
            };
        let per_replication =
            months * (reads_per_month(model) * SECONDS_PER_READ + agents * SECONDS_PER_AGENT_MONTH);
        Estimate {
            peak_bytes: BASE_BYTES + concurrent * replication + rows,
            agent_months: agents * months * reps,
            seconds: per_replication * reps / concurrent.max(1.0),
        }
    }

    /// Refuses a run that cannot fit the machine's memory (`machine_bytes`, when known),
    /// or, unless `allow_large`, that is past half of it or an hour of work.
    pub fn check(&self, machine_bytes: Option<f64>, allow_large: bool) -> Result<(), TooLarge> {
        if let Some(machine_bytes) = machine_bytes {
            if self.peak_bytes > machine_bytes {
                return Err(TooLarge::BeyondMachine {
                    peak_bytes: self.peak_bytes,
                    machine_bytes,
                });
            }
            if !allow_large && self.peak_bytes > MEMORY_SHARE * machine_bytes {
                return Err(TooLarge::PastLimits { estimate: *self });
            }
        }
        if !allow_large && self.seconds > MAX_SECONDS {
            return Err(TooLarge::PastLimits { estimate: *self });
        }
        Ok(())
    }
}

/// The posts the agents read in a month: each agent reads `posts_per_day` a day, or every
/// post of its categories if there are fewer (an agent of the mean number of categories).
fn reads_per_month(model: &Model) -> f64 {
    let p = &model.population;
    let categories = model.jobs.category_names.len().max(1) as f64;
    let share = (f64::from(p.categories_min) + f64::from(p.categories_max)) / 2.0 / categories;
    let in_categories = model.jobs.per_hour * HOURS_PER_DAY * share.min(1.0);
    let per_day: f64 = model
        .strategies
        .iter()
        .map(|s| f64::from(s.agents) * s.posts_per_day.min(in_categories))
        .sum();
    per_day * DAYS_PER_MONTH
}

/// This machine's memory (Linux's `MemTotal`), if the system tells it.
pub fn machine_memory_bytes() -> Option<f64> {
    Some(proc_kib("/proc/meminfo", "MemTotal:")? * KIB)
}

/// The process's resident-memory high-water mark in MiB (Linux's `VmHWM`), if the system
/// tells it.
pub fn peak_memory_mib() -> Option<f64> {
    Some(proc_kib("/proc/self/status", "VmHWM:")? * KIB / MIB)
}

/// The value, in kB, of the line of a `/proc` file that starts with `key`.
fn proc_kib(file: &str, key: &str) -> Option<f64> {
    let text = std::fs::read_to_string(file).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Bytes as GiB (or MiB below one GiB), for messages.
pub fn gib(bytes: f64) -> String {
    if bytes >= GIB {
        format!("{:.1} GiB", bytes / GIB)
    } else {
        format!("{:.0} MiB", bytes / MIB)
    }
}

/// Seconds as a duration a person reads.
pub fn duration(seconds: f64) -> String {
    if seconds >= 3600.0 {
        format!("{:.1} hours", seconds / 3600.0)
    } else if seconds >= 60.0 {
        format!("{:.0} minutes", seconds / 60.0)
    } else {
        format!("{seconds:.0} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    fn default_model() -> Model {
        Scenario::load("default").unwrap().model
    }

    #[test]
    fn the_default_is_estimated_as_measured() {
        // Measured: 35 MB peak for one 24-month replication of the default on one thread.
        let e = Estimate::new(&default_model(), 1, 1, false);
        assert!(
            (17.5 * MIB..70.0 * MIB).contains(&e.peak_bytes),
            "{}",
            gib(e.peak_bytes)
        );
        assert_eq!(e.agent_months, 5000.0 * 24.0);
        // Measured: about 4 s.
        assert!((2.0..8.0).contains(&e.seconds), "{}", e.seconds);
        assert_eq!(e.check(Some(24.0 * GIB), false), Ok(()));
    }

    #[test]
    fn threads_run_replications_side_by_side() {
        let m = default_model();
        let one = Estimate::new(&m, 32, 1, false);
        let two = Estimate::new(&m, 32, 2, false);
        assert!(two.peak_bytes > one.peak_bytes);
        assert!((one.seconds / two.seconds - 2.0).abs() < 1e-9);
        assert_eq!(one.agent_months, two.agent_months);
        // More threads than replications run no more at once.
        assert_eq!(
            Estimate::new(&m, 1, 8, false),
            Estimate::new(&m, 1, 1, false)
        );
        assert!(
            Estimate::new(&m, 4, 2, true).peak_bytes > Estimate::new(&m, 4, 2, false).peak_bytes
        );
    }

    #[test]
    fn a_run_past_the_limits_is_refused_unless_allowed_and_never_past_the_machine() {
        let huge = Estimate {
            peak_bytes: 6.0 * GIB,
            agent_months: 2.4e8,
            seconds: 5280.0,
        };
        let machine = Some(8.0 * GIB);
        assert!(matches!(
            huge.check(machine, false),
            Err(TooLarge::PastLimits { .. })
        ));
        assert_eq!(huge.check(machine, true), Ok(()));
        assert!(matches!(
            huge.check(Some(4.0 * GIB), true),
            Err(TooLarge::BeyondMachine { .. })
        ));
        // Without knowing the machine's memory, only the work is limited.
        assert!(huge.check(None, false).is_err());
        assert_eq!(huge.check(None, true), Ok(()));
        let message = huge.check(machine, false).unwrap_err().to_string();
        assert!(
            message.contains("6.0 GiB") && message.contains("1.5 hours"),
            "{message}"
        );
        assert!(message.contains("--allow-large"), "{message}");
    }
}
