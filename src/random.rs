//! Random streams: one generator per replication, derived from (master seed, replication
//! index) alone, so results never depend on the thread count or on sharding.

use rand::rngs::{ChaCha8Rng, Xoshiro256PlusPlus};
use rand::{Rng, RngExt, SeedableRng};

/// The generator of replication `replication` under master `seed`: ChaCha8 stream number
/// `replication` (independent of every other stream) seeds a fast Xoshiro256++.
pub fn replication_rng(seed: u64, replication: u32) -> Xoshiro256PlusPlus {
    let mut stream = ChaCha8Rng::seed_from_u64(seed);
    stream.set_stream(u64::from(replication));
    Xoshiro256PlusPlus::from_rng(&mut stream)
}

/// A Bernoulli draw: true with probability `p` (≤ 0: never, ≥ 1: always). Unlike
/// `random_bool` it cannot panic when rounding puts a probability a hair outside [0, 1].
#[inline]
pub fn chance<R: Rng + ?Sized>(rng: &mut R, p: f64) -> bool {
    rng.random::<f64>() < p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..4).map(|_| replication_rng(42, 3).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(
            replication_rng(42, 3).next_u64(),
            replication_rng(42, 4).next_u64()
        );
        assert_ne!(
            replication_rng(42, 3).next_u64(),
            replication_rng(43, 3).next_u64()
        );
    }
}
