//! The runner: replications in parallel, shards, and the reduction in replication order.
//!
//! Each replication is simulated from its own streams (`random::Streams`), and the
//! results are collected into a `Vec` in replication order before they are joined, so the
//! output is byte-identical for any thread count and any sharding.

use std::fmt;
use std::str::FromStr;

use rayon::prelude::*;

use crate::results::Rows;
use crate::rows::simulate;
use crate::scenario::Model;

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

/// Simulates `replications` on a pool of `threads` workers, calling `progress` after each
/// replication, and joins the rows in replication order.
pub fn run_replications(
    model: &Model,
    replications: &[u32],
    threads: usize,
    with_agents: bool,
    progress: &(dyn Fn() + Sync),
) -> Result<Rows, rayon::ThreadPoolBuildError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    let per_replication: Vec<Rows> = pool.install(|| {
        replications
            .par_iter()
            .map(|&r| {
                let rows = simulate(model, r, with_agents);
                progress();
                rows
            })
            .collect()
    });
    let mut all = Rows::default();
    for rows in per_replication {
        all.append(rows);
    }
    Ok(all)
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
