//! The runner: replications in parallel, shards, and the reduction in replication order.
//!
//! Each replication is simulated from its own streams (`random::Streams`), and the
//! results are collected into a `Vec` in replication order before they are joined, so the
//! output is byte-identical for any thread count and any sharding.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::Ordering;

use rayon::prelude::*;

use crate::results::Rows;
use crate::rows::simulate_watched;
use crate::scenario::Model;
use crate::sim::Watch;

/// Shard `index` of `count`: the replications `r` with `r % count == index`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// The replications of `total` that belong to this shard.
    pub fn replications(self, total: u32) -> Vec<u32> {
        (0..total)
            .filter(|r| r % self.count == self.index)
            .collect()
    }
}

impl FromStr for Shard {
    type Err = String;

    /// Parses `K/N` with 0 ≤ K < N.
    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("{s:?} is not a shard (allowed: K/N with 0 ≤ K < N, for example 0/4)");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u32 = k.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// One replication of one point of a run: a run without a sweep has the one point 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Job {
    pub point: u32,
    pub replication: u32,
}

impl Job {
    /// Every replication of `replications` at every one of `points` points, point by point.
    pub fn all(points: u32, replications: &[u32]) -> Vec<Job> {
        (0..points)
            .flat_map(|point| {
                replications
                    .iter()
                    .map(move |&replication| Job { point, replication })
            })
            .collect()
    }
}

/// Simulates `replications` on a pool of `threads` workers and joins their rows in
/// replication order ([`run_interruptible`] with nothing to stop it).
pub fn run_replications(
    model: &Model,
    replications: &[u32],
    threads: usize,
    with_agents: bool,
) -> Result<Rows, rayon::ThreadPoolBuildError> {
    let ok = |_: Job, _: &Rows| Ok::<(), std::convert::Infallible>(());
    let jobs = Job::all(1, replications);
    match run_interruptible(
        &[model],
        &jobs,
        threads,
        with_agents,
        Watch::unwatched(),
        &ok,
    )? {
        Ran::Whole(per_job) => {
            let mut all = Rows::default();
            for rows in per_job {
                all.append(rows);
            }
            Ok(all)
        }
        Ran::Stopped => unreachable!("nothing stops it"),
        Ran::Failed(never) => match never {},
    }
}

/// How a batch of jobs ended.
#[derive(Debug)]
pub enum Ran<E> {
    /// Every job ran: their rows, in the order of the jobs.
    Whole(Vec<Rows>),
    /// `watch.stop` was set first: the jobs that finished were passed to `finished`, the
    /// others were dropped.
    Stopped,
    /// `finished` failed.
    Failed(E),
}

/// Simulates `jobs` (each a replication of the model of its point, `models[job.point]`)
/// on a pool of `threads` workers, all points' replications side by side, passing each
/// job's rows to `finished` as it ends (to record it, to tick a progress bar), and returns
/// the rows in the order of `jobs`. Once `watch.stop` is set, no job starts and those under
/// way stop at their next post; each job adds its months to `watch.months_done` as they
/// end.
pub fn run_interruptible<E: Send>(
    models: &[&Model],
    jobs: &[Job],
    threads: usize,
    with_agents: bool,
    watch: Watch,
    finished: &(dyn Fn(Job, &Rows) -> Result<(), E> + Sync),
) -> Result<Ran<E>, rayon::ThreadPoolBuildError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    let per_job: Result<Vec<Option<Rows>>, E> = pool.install(|| {
        jobs.par_iter()
            .map(|&job| {
                if watch.stop.load(Ordering::Relaxed) {
                    return Ok(None);
                }
                let model = models[job.point as usize];
                match simulate_watched(model, job.replication, with_agents, watch) {
                    Some(rows) => finished(job, &rows).map(|()| Some(rows)),
                    None => Ok(None),
                }
            })
            .collect()
    });
    match per_job {
        Ok(rows) => Ok(rows
            .into_iter()
            .collect::<Option<Vec<Rows>>>()
            .map_or(Ran::Stopped, Ran::Whole)),
        Err(e) => Ok(Ran::Failed(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_replications() {
        let shards: Vec<Shard> = (0..3).map(|k| format!("{k}/3").parse().unwrap()).collect();
        let mut all: Vec<u32> = shards.iter().flat_map(|s| s.replications(10)).collect();
        all.sort_unstable();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        assert!("3/3".parse::<Shard>().is_err());
        assert!("1/0".parse::<Shard>().is_err());
        assert!("x".parse::<Shard>().is_err());
    }
}
