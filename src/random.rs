//! Random streams (MODEL.md "Randomness and common random numbers").
//!
//! Each replication of a master seed has its own streams, split by what they drive, so that
//! two scenarios that differ only in a rule see the same world:
//!
//! | stream | index | drives |
//! | --- | --- | --- |
//! | [`Stream::Arrivals`] | 0 | the posting times |
//! | [`Stream::Post`] | post | every attribute of one post and its client |
//! | [`Stream::Population`] | 0 | every attribute of the agents |
//! | [`Stream::Attention`] | post, notice group | who of one group notices one post, and their delays |
//! | [`Stream::Invitation`] | post | the invitees of one post and their delays |
//! | [`Stream::Review`] | post | the client's review of one post |
//! | [`Stream::Agent`] | agent, post | the agent's own draws on one post (fit, `apply_prob`, quality, an invitee's answer, the learner's sample) |
//!
//! A stream is a Xoshiro256++ generator seeded from a hash of (replication key, stream,
//! indices); the replication key is ChaCha8 stream `replication` of the master seed. Output
//! therefore depends on (seed, replication) alone, never on the thread count or sharding.

use rand::rngs::{ChaCha8Rng, Xoshiro256PlusPlus};
use rand::{Rng, RngExt, SeedableRng};

/// What a stream drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Arrivals = 1,
    Post = 2,
    Population = 3,
    Attention = 4,
    Invitation = 5,
    Review = 6,
    Agent = 7,
}

/// The streams of one replication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Streams {
    key: u64,
}

impl Streams {
    /// The streams of replication `replication` under master `seed`.
    pub fn new(seed: u64, replication: u32) -> Streams {
        let mut chacha = ChaCha8Rng::seed_from_u64(seed);
        chacha.set_stream(u64::from(replication));
        Streams {
            key: chacha.next_u64(),
        }
    }

    /// The generator of `stream` number `index`.
    #[inline]
    pub fn rng(self, stream: Stream, index: u64) -> Xoshiro256PlusPlus {
        self.rng2(stream, index, 0)
    }

    /// The generator of `stream` numbered by two indices (a post and a notice group).
    #[inline]
    pub fn rng2(self, stream: Stream, a: u64, b: u64) -> Xoshiro256PlusPlus {
        let h = splitmix64(self.key ^ splitmix64(stream as u64));
        let h = splitmix64(h ^ a);
        Xoshiro256PlusPlus::seed_from_u64(splitmix64(h ^ b.wrapping_mul(0x9E37_79B9_7F4A_7C15)))
    }
}

/// SplitMix64's finalizer: a bijective 64-bit mix.
#[inline]
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A Bernoulli draw: true with probability `p` (≤ 0: never, ≥ 1: always). Unlike
/// `random_bool` it cannot panic when rounding puts a probability a hair outside [0, 1],
/// and it always takes one draw, so that a probability of 0 or 1 leaves the stream where a
/// probability in between would.
#[inline]
pub fn chance<R: Rng + ?Sized>(rng: &mut R, p: f64) -> bool {
    rng.random::<f64>() < p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let s = Streams::new(42, 3);
        let a: Vec<u64> = (0..4).map(|_| s.rng(Stream::Post, 7).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        let first = |s: Streams, stream, a, b| s.rng2(stream, a, b).next_u64();
        let base = first(s, Stream::Attention, 7, 1);
        assert_ne!(base, first(s, Stream::Attention, 7, 2));
        assert_ne!(base, first(s, Stream::Attention, 8, 1));
        assert_ne!(base, first(s, Stream::Review, 7, 1));
        assert_ne!(base, first(Streams::new(42, 4), Stream::Attention, 7, 1));
        assert_ne!(base, first(Streams::new(43, 3), Stream::Attention, 7, 1));
        // (a, b) and (b, a) are different streams.
        assert_ne!(
            first(s, Stream::Attention, 1, 2),
            first(s, Stream::Attention, 2, 1)
        );
    }

    #[test]
    fn substreams_look_uniform() {
        // The first draw of 20 000 consecutive post streams: mean 0.5, sd 1/sqrt(12 n).
        let s = Streams::new(1, 0);
        let n = 20_000;
        let mean = (0..n)
            .map(|i| s.rng(Stream::Post, i).random::<f64>())
            .sum::<f64>()
            / n as f64;
        let sd = (1.0 / (12.0 * n as f64)).sqrt();
        assert!((mean - 0.5).abs() < 4.0 * sd, "{mean}");
    }
}
