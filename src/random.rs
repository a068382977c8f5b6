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
//! | [`Stream::Attention`] | post, notice group | who of one group notices one post, which of them are late, and the late ones' delays |
//! | [`Stream::Delay`] | agent, post | the delay of an agent that is not late to a post (one uniform, [`Streams::uniform`]) |
//! | [`Stream::Invitation`] | post | the invitees of one post and their delays |
//! | [`Stream::Review`] | post | the client's intent to hire, then the cancel |
//! | [`Stream::Review`] | post, 1 + agent | the client's examination, interview and ranking noise of one proposal |
//! | [`Stream::Agent`] | agent, post | the agent's own draws on one post (fit, `apply_prob`, quality, an invitee's answer, the learner's sample) |
//!
//! A stream is a SplitMix64 generator ([`StreamRng`]) started at a hash of (replication key,
//! stream, indices); the replication key is ChaCha8 stream `replication` of the master seed.
//! Output therefore depends on (seed, replication) alone, never on the thread count or
//! sharding. SplitMix64 costs nothing to start, which matters: the engine starts a stream
//! for every agent on every post it gets to, and draws a handful of values from each.

use std::convert::Infallible;

use rand::rngs::ChaCha8Rng;
use rand::{Rng, RngExt, SeedableRng, TryRng};
use serde::Serialize;

use crate::scenario::Delay;

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
    Delay = 8,
}

/// The streams of one replication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Streams {
    /// Per stream kind (by its number), the hash of the replication's key with it: the
    /// first half of every stream's hash, computed once.
    keys: [u64; 9],
}

impl Streams {
    /// The streams of replication `replication` under master `seed`.
    pub fn new(seed: u64, replication: u32) -> Streams {
        let mut chacha = ChaCha8Rng::seed_from_u64(seed);
        chacha.set_stream(u64::from(replication));
        let key = chacha.next_u64();
        Streams {
            keys: std::array::from_fn(|stream| splitmix64(key ^ splitmix64(stream as u64))),
        }
    }

    /// The generator of `stream` number `index`.
    #[inline]
    pub fn rng(self, stream: Stream, index: u64) -> StreamRng {
        self.rng2(stream, index, 0)
    }

    /// The generator of `stream` numbered by two indices (a post and a notice group).
    #[inline]
    pub fn rng2(self, stream: Stream, a: u64, b: u64) -> StreamRng {
        StreamRng {
            state: self.hash(stream, a, b),
        }
    }

    /// The one uniform draw in [0, 1) of `stream` numbered by two indices: a hash, cheaper
    /// than a generator, for a stream that needs a single value.
    #[inline]
    pub fn uniform(self, stream: Stream, a: u64, b: u64) -> f64 {
        (splitmix64(self.hash(stream, a, b)) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    #[inline]
    fn hash(self, stream: Stream, a: u64, b: u64) -> u64 {
        let h = splitmix64(self.keys[stream as usize] ^ a);
        splitmix64(h ^ b.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }
}

/// The generator of a stream: SplitMix64 (Steele, Lea and Flood, "Fast splittable
/// pseudorandom number generators", 2014), which passes BigCrush.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamRng {
    state: u64,
}

impl TryRng for StreamRng {
    type Error = Infallible;

    #[inline]
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok((self.try_next_u64()? >> 32) as u32)
    }

    #[inline]
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        Ok(mix(self.state))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(8) {
            let bytes = self.try_next_u64()?.to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
        Ok(())
    }
}

/// SplitMix64's output function: a bijective 64-bit mix.
#[inline]
fn mix(x: u64) -> u64 {
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// SplitMix64's finalizer: a bijective 64-bit mix.
#[inline]
fn splitmix64(x: u64) -> u64 {
    mix(x.wrapping_add(0x9E37_79B9_7F4A_7C15))
}

/// How many random draws of each kind a run made, as the engine counts them at its draw
/// sites (`connectsim bench`'s floor replays them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Draws {
    /// Streams started.
    pub streams: u64,
    /// Uniform draws (Bernoulli draws, hashes, the late noticers' uniforms).
    pub uniforms: u64,
    /// Geometric skips (a uniform and a logarithm each).
    pub skips: u64,
    /// Delay quantiles (a normal quantile and an exponential for a log-normal delay).
    pub quantiles: u64,
    /// Draws of the scenario's distributions (fit noise, quality, a post's attributes).
    pub samples: u64,
    /// Beta draws (the learners' Thompson samples).
    pub betas: u64,
}

impl std::ops::AddAssign for Draws {
    fn add_assign(&mut self, o: Draws) {
        self.streams += o.streams;
        self.uniforms += o.uniforms;
        self.skips += o.skips;
        self.quantiles += o.quantiles;
        self.samples += o.samples;
        self.betas += o.betas;
    }
}

impl Draws {
    /// Makes as many draws of each kind, from one stream, and nothing else: a log-normal
    /// quantile for each delay, a normal for each sample, a Beta(1, 9) for each Beta draw.
    /// Returns their sum, for the caller to keep (so the loop is not optimised away).
    pub fn replay(&self) -> f64 {
        use rand_distr::{Distribution, StandardNormal};
        let streams = Streams::new(0, 0);
        let mut sum = 0.0;
        for i in 0..self.streams {
            sum += streams.rng2(Stream::Agent, i, i).random::<f64>();
        }
        let mut rng = streams.rng(Stream::Arrivals, 1);
        for _ in 0..self.uniforms {
            sum += rng.random::<f64>();
        }
        for _ in 0..self.skips {
            sum += (1.0 - rng.random::<f64>()).ln();
        }
        let delay = Delay::LogNormal {
            mu: 0.0,
            sigma: 1.0,
        };
        for _ in 0..self.quantiles {
            sum += delay.quantile(rng.random::<f64>());
        }
        for _ in 0..self.samples {
            let x: f64 = StandardNormal.sample(&mut rng);
            sum += x;
        }
        for _ in 0..self.betas {
            sum += beta(&mut rng, 1.0, 9.0);
        }
        sum
    }
}

/// A draw of Beta(a, b) (a, b > 0), as `X / (X + Y)` of two Gamma draws, X ~ Gamma(a) and
/// Y ~ Gamma(b), each by Marsaglia and Tsang's method ("A simple method for generating gamma
/// variables", 2000): exact, and about three times faster here than `rand_distr::Beta`.
/// A shape below 1 uses `Gamma(a) = Gamma(a + 1) · U^(1/a)`, in logarithms so that tiny
/// shapes cannot underflow both draws to 0.
pub fn beta<R: Rng + ?Sized>(rng: &mut R, a: f64, b: f64) -> f64 {
    if a >= 1.0 && b >= 1.0 {
        let x = gamma_at_least_one(rng, a);
        let y = gamma_at_least_one(rng, b);
        return x / (x + y);
    }
    let x = ln_gamma_draw(rng, a);
    let y = ln_gamma_draw(rng, b);
    1.0 / (1.0 + (y - x).exp())
}

/// `ln X` for X ~ Gamma(shape).
fn ln_gamma_draw<R: Rng + ?Sized>(rng: &mut R, shape: f64) -> f64 {
    if shape >= 1.0 {
        gamma_at_least_one(rng, shape).ln()
    } else {
        let u = 1.0 - rng.random::<f64>();
        gamma_at_least_one(rng, shape + 1.0).ln() + u.ln() / shape
    }
}

/// Marsaglia and Tsang's Gamma(shape, 1) for shape ≥ 1.
#[inline]
fn gamma_at_least_one<R: Rng + ?Sized>(rng: &mut R, shape: f64) -> f64 {
    use rand_distr::{Distribution, StandardNormal};
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x: f64 = StandardNormal.sample(rng);
        let v = 1.0 + c * x;
        if v <= 0.0 {
            continue;
        }
        let v = v * v * v;
        let u: f64 = rng.random();
        let x2 = x * x;
        // The squeeze accepts most draws without a logarithm.
        if u < 1.0 - 0.0331 * x2 * x2 || u.ln() < 0.5 * x2 + d * (1.0 - v + v.ln()) {
            return d * v;
        }
    }
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
    fn beta_draws_have_the_mean_and_variance_of_beta() {
        let s = Streams::new(7, 0);
        let mut rng = s.rng(Stream::Agent, 1);
        let n = 200_000;
        for (a, b) in [
            (1.0, 9.0),
            (3.0, 250.0),
            (0.5, 0.5),
            (0.2, 4.0),
            (40.0, 2.0),
        ] {
            let draws: Vec<f64> = (0..n).map(|_| beta(&mut rng, a, b)).collect();
            assert!(draws.iter().all(|&x| (0.0..=1.0).contains(&x)));
            let mean = draws.iter().sum::<f64>() / n as f64;
            let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
            let (m, v) = (a / (a + b), a * b / ((a + b).powi(2) * (a + b + 1.0)));
            // Four standard errors of the mean; the variance within 3%.
            assert!(
                (mean - m).abs() < 4.0 * (v / n as f64).sqrt(),
                "Beta({a}, {b}): mean {mean} against {m}"
            );
            assert!(
                (var / v - 1.0).abs() < 0.03,
                "Beta({a}, {b}): variance {var} against {v}"
            );
        }
        // Tiny shapes underflow neither draw to 0 over 0.
        assert!(beta(&mut rng, 1e-300, 1e-300).is_finite());
    }

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
