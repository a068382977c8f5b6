//! Distributions: the one notation the scenario uses for every random quantity, and the
//! validated samplers the engine draws from.
//!
//! In a file a distribution is a one-key table: `{ lognormal = { median = 400, sigma = 1.1 } }`,
//! `{ beta = { a = 2, b = 2.5 } }`, `{ exponential = { mean = 36 } }`, `{ normal = { mean = 0,
//! sd = 0.15 } }`, `{ poisson = { mean = 6 } }`, `{ uniform = { min = 0, max = 1 } }` or
//! `{ constant = 3 }`. Each field says which support it needs ([`Support`]); validation
//! refuses a distribution that can draw outside it.

use rand::{Rng, RngExt};
use rand_distr::{Beta, Distribution, Exp, LogNormal, Normal, Poisson, Uniform};
use serde::{Deserialize, Serialize};

/// The largest Poisson mean: its draws stay far below `u32::MAX`.
const MAX_POISSON_MEAN: f64 = 1e9;

/// A distribution as written in a scenario file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Dist {
    /// Always the same value.
    Constant(f64),
    /// Uniform on `[min, max)`.
    Uniform { min: f64, max: f64 },
    /// Normal with mean and standard deviation.
    Normal { mean: f64, sd: f64 },
    /// Log-normal given by its median (`exp(mu)`) and the sigma of its log.
    #[serde(rename = "lognormal")]
    LogNormal { median: f64, sigma: f64 },
    /// Exponential given by its mean.
    Exponential { mean: f64 },
    /// Beta(a, b) on [0, 1].
    Beta { a: f64, b: f64 },
    /// Poisson given by its mean: whole numbers.
    Poisson { mean: f64 },
}

/// The names of the distribution kinds, as written in a file.
pub const KINDS: &[&str] = &[
    "constant",
    "uniform",
    "normal",
    "lognormal",
    "exponential",
    "beta",
    "poisson",
];

/// The values a field accepts, checked against the distribution's support.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// Any real number (the engine clips where the model says so).
    Real,
    /// Non-negative reals: delays, lengths, amounts.
    NonNegative,
    /// Reals in [0, 1]: probabilities and scores.
    Unit,
    /// Whole numbers ≥ 0: counts.
    Count,
}

impl Support {
    fn describe(self) -> &'static str {
        match self {
            Support::Real => "any distribution",
            Support::NonNegative => {
                "a distribution of non-negative values: constant ≥ 0, uniform with min ≥ 0, lognormal, exponential, beta or poisson"
            }
            Support::Unit => {
                "a distribution on [0, 1]: beta, uniform within [0, 1], or constant in [0, 1]"
            }
            Support::Count => "a distribution of whole numbers: poisson, or a whole constant ≥ 0",
        }
    }
}

/// A validated distribution, ready to draw from.
#[derive(Debug, Clone, Copy)]
pub enum Sampler {
    Constant(f64),
    Uniform(Uniform<f64>),
    Normal(Normal<f64>),
    LogNormal(LogNormal<f64>),
    Exponential(Exp<f64>),
    Beta(Beta<f64>),
    Poisson(Poisson<f64>),
}

impl Sampler {
    /// Draws one value.
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Sampler::Constant(v) => *v,
            Sampler::Uniform(d) => d.sample(rng),
            Sampler::Normal(d) => d.sample(rng),
            Sampler::LogNormal(d) => d.sample(rng),
            Sampler::Exponential(d) => d.sample(rng),
            Sampler::Beta(d) => d.sample(rng),
            Sampler::Poisson(d) => d.sample(rng),
        }
    }

    /// Draws a count (for [`Support::Count`] fields).
    #[inline]
    pub fn sample_count<R: Rng + ?Sized>(&self, rng: &mut R) -> u32 {
        // Counts are whole and non-negative by validation; the cast saturates.
        self.sample(rng) as u32
    }
}

/// A validated delay distribution, drawn by its quantile function, so that one uniform gives
/// one delay and a delay can be drawn given which side of a quantile it falls on (the
/// engine's late noticers, `sim::posting::LATE_SHARE`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Delay {
    Constant(f64),
    Uniform {
        min: f64,
        max: f64,
    },
    /// `exp(mu + sigma · Φ⁻¹(u))`.
    LogNormal {
        mu: f64,
        sigma: f64,
    },
    Exponential {
        mean: f64,
    },
}

impl Delay {
    /// The `u` quantile (0 ≤ u < 1) of the delay.
    #[inline]
    pub fn quantile(&self, u: f64) -> f64 {
        match *self {
            Delay::Constant(v) => v,
            Delay::Uniform { min, max } => min + (max - min) * u,
            Delay::LogNormal { mu, sigma } => (mu + sigma * inverse_normal_cdf(u)).exp(),
            Delay::Exponential { mean } => -mean * (-u).ln_1p(),
        }
    }

    /// Draws one delay: the quantile of one uniform draw.
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        self.quantile(rng.random::<f64>())
    }
}

/// Φ⁻¹, the standard normal quantile: Wichura's algorithm AS 241 (PPND16), accurate to
/// about 1 part in 10¹⁶. `u` = 0 gives −∞. The coefficients are the published ones, digit
/// for digit.
#[allow(clippy::excessive_precision)]
pub fn inverse_normal_cdf(u: f64) -> f64 {
    const A: [f64; 8] = [
        3.387_132_872_796_366_608,
        1.331_416_678_917_843_774_5e2,
        1.971_590_950_306_551_442_7e3,
        1.373_169_376_550_946_112_5e4,
        4.592_195_393_154_987_145_7e4,
        6.726_577_092_700_870_085_3e4,
        3.343_057_558_358_812_810_5e4,
        2.509_080_928_730_122_672_7e3,
    ];
    const B: [f64; 8] = [
        1.0,
        4.231_333_070_160_091_125_2e1,
        6.871_870_074_920_579_083e2,
        5.394_196_021_424_751_107_7e3,
        2.121_379_430_158_659_586_7e4,
        3.930_789_580_009_271_061e4,
        2.872_908_573_572_194_267_4e4,
        5.226_495_278_852_854_561e3,
    ];
    const C: [f64; 8] = [
        1.423_437_110_749_683_577_34,
        4.630_337_846_156_545_295_9,
        5.769_497_221_460_691_405_5,
        3.647_848_324_763_204_605_04,
        1.270_458_252_452_368_382_58,
        2.417_807_251_774_506_117_7e-1,
        2.272_384_498_926_918_458_33e-2,
        7.745_450_142_783_414_076_4e-4,
    ];
    const D: [f64; 8] = [
        1.0,
        2.053_191_626_637_758_821_87,
        1.676_384_830_183_803_849_4,
        6.897_673_349_851_000_045_5e-1,
        1.481_039_764_274_800_745_9e-1,
        1.519_866_656_361_645_719_66e-2,
        5.475_938_084_995_344_946e-4,
        1.050_750_071_644_416_843_24e-9,
    ];
    const E: [f64; 8] = [
        6.657_904_643_501_103_777_2,
        5.463_784_911_164_114_369_9,
        1.784_826_539_917_291_335_8,
        2.965_605_718_285_048_912_3e-1,
        2.653_218_952_657_612_309_3e-2,
        1.242_660_947_388_078_438_6e-3,
        2.711_555_568_743_487_578_15e-5,
        2.010_334_399_292_288_132_65e-7,
    ];
    const F: [f64; 8] = [
        1.0,
        5.998_322_065_558_879_376_9e-1,
        1.369_298_809_227_358_053_1e-1,
        1.487_536_129_085_061_485_25e-2,
        7.868_691_311_456_132_591e-4,
        1.846_318_317_510_054_681_8e-5,
        1.421_511_758_316_445_888_7e-7,
        2.044_263_103_389_939_785_64e-15,
    ];
    fn poly(c: &[f64; 8], x: f64) -> f64 {
        c.iter().rev().fold(0.0, |acc, &k| acc * x + k)
    }
    let q = u - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180_625 - q * q;
        return q * poly(&A, r) / poly(&B, r);
    }
    let tail = if q < 0.0 { u } else { 1.0 - u };
    if tail <= 0.0 {
        return if q < 0.0 {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
    }
    let r = (-tail.ln()).sqrt();
    let x = if r <= 5.0 {
        let r = r - 1.6;
        poly(&C, r) / poly(&D, r)
    } else {
        let r = r - 5.0;
        poly(&E, r) / poly(&F, r)
    };
    if q < 0.0 { -x } else { x }
}

impl Dist {
    /// Validates a delay: a distribution of non-negative values with a closed-form
    /// quantile (constant, uniform, lognormal or exponential).
    pub fn delay(&self) -> Result<Delay, String> {
        self.sampler(Support::NonNegative)?;
        match *self {
            Dist::Constant(v) => Ok(Delay::Constant(v)),
            Dist::Uniform { min, max } => Ok(Delay::Uniform { min, max }),
            Dist::LogNormal { median, sigma } => Ok(Delay::LogNormal {
                mu: median.ln(),
                sigma,
            }),
            Dist::Exponential { mean } => Ok(Delay::Exponential { mean }),
            _ => Err(format!(
                "{} is not allowed for a delay (allowed: constant ≥ 0, uniform with min ≥ 0, lognormal or exponential)",
                self.kind()
            )),
        }
    }

    /// Validates the parameters and the support, returning the sampler or a message
    /// saying what is wrong and what is allowed.
    pub fn sampler(&self, support: Support) -> Result<Sampler, String> {
        let finite = |name: &str, v: f64| {
            if v.is_finite() {
                Ok(v)
            } else {
                Err(format!("{name} = {v} is not a finite number"))
            }
        };
        let positive = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(v)
            } else {
                Err(format!("{name} = {v} must be a number > 0"))
            }
        };
        let wrong_support = || {
            Err(format!(
                "{} can draw values this field does not allow (allowed: {})",
                self.kind(),
                support.describe()
            ))
        };
        let sampler = match *self {
            Dist::Constant(v) => {
                finite("constant", v)?;
                let ok = match support {
                    Support::Real => true,
                    Support::NonNegative => v >= 0.0,
                    Support::Unit => (0.0..=1.0).contains(&v),
                    Support::Count => v >= 0.0 && v.fract() == 0.0 && v <= u32::MAX as f64,
                };
                if !ok {
                    return Err(format!(
                        "constant = {v} is not allowed here (allowed: {})",
                        support.describe()
                    ));
                }
                Sampler::Constant(v)
            }
            Dist::Uniform { min, max } => {
                finite("min", min)?;
                finite("max", max)?;
                if min >= max {
                    return Err(format!("min = {min} must be below max = {max}"));
                }
                let ok = match support {
                    Support::Real => true,
                    Support::NonNegative => min >= 0.0,
                    Support::Unit => min >= 0.0 && max <= 1.0,
                    Support::Count => false,
                };
                if !ok {
                    return wrong_support();
                }
                Sampler::Uniform(Uniform::new(min, max).map_err(|e| e.to_string())?)
            }
            Dist::Normal { mean, sd } => {
                finite("mean", mean)?;
                if !(sd.is_finite() && sd >= 0.0) {
                    return Err(format!("sd = {sd} must be a number ≥ 0"));
                }
                if support != Support::Real {
                    return wrong_support();
                }
                Sampler::Normal(Normal::new(mean, sd).map_err(|e| e.to_string())?)
            }
            Dist::LogNormal { median, sigma } => {
                positive("median", median)?;
                if !(sigma.is_finite() && sigma >= 0.0) {
                    return Err(format!("sigma = {sigma} must be a number ≥ 0"));
                }
                if matches!(support, Support::Unit | Support::Count) {
                    return wrong_support();
                }
                Sampler::LogNormal(LogNormal::new(median.ln(), sigma).map_err(|e| e.to_string())?)
            }
            Dist::Exponential { mean } => {
                positive("mean", mean)?;
                if matches!(support, Support::Unit | Support::Count) {
                    return wrong_support();
                }
                Sampler::Exponential(Exp::new(1.0 / mean).map_err(|e| e.to_string())?)
            }
            Dist::Beta { a, b } => {
                positive("a", a)?;
                positive("b", b)?;
                if support == Support::Count {
                    return wrong_support();
                }
                Sampler::Beta(Beta::new(a, b).map_err(|e| e.to_string())?)
            }
            Dist::Poisson { mean } => {
                positive("mean", mean)?;
                // Its draws are counts of 32 bits.
                if mean > MAX_POISSON_MEAN {
                    return Err(format!(
                        "mean = {mean:e} is too large (allowed: at most {MAX_POISSON_MEAN:e})"
                    ));
                }
                if support == Support::Unit {
                    return wrong_support();
                }
                Sampler::Poisson(Poisson::new(mean).map_err(|e| e.to_string())?)
            }
        };
        Ok(sampler)
    }

    fn kind(&self) -> &'static str {
        match self {
            Dist::Constant(_) => "constant",
            Dist::Uniform { .. } => "uniform",
            Dist::Normal { .. } => "normal",
            Dist::LogNormal { .. } => "lognormal",
            Dist::Exponential { .. } => "exponential",
            Dist::Beta { .. } => "beta",
            Dist::Poisson { .. } => "poisson",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn the_normal_quantile_matches_tables() {
        // Φ(x) to 16 digits, from tables of the normal distribution.
        for (p, x) in [
            (0.5, 0.0),
            (0.841_344_746_068_542_9, 1.0),
            (0.977_249_868_051_820_8, 2.0),
            (0.998_650_101_968_369_9, 3.0),
            (0.999_968_328_758_166_9, 4.0),
            (0.539_827_837_277_029, 0.1),
        ] {
            assert!((inverse_normal_cdf(p) - x).abs() < 1e-13, "{p}");
            assert!((inverse_normal_cdf(1.0 - p) + x).abs() < 1e-12, "{p}");
        }
        // The far tail (Φ(-10) = 7.6198530241605e-24) and the ends.
        assert!((inverse_normal_cdf(7.619_853_024_160_5e-24) + 10.0).abs() < 1e-9);
        assert_eq!(inverse_normal_cdf(0.0), f64::NEG_INFINITY);
    }

    #[test]
    fn delays_drawn_by_their_quantile_have_their_distribution() {
        let d = Dist::LogNormal {
            median: 2.0,
            sigma: 1.0,
        }
        .delay()
        .unwrap();
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(9);
        let n = 100_000;
        let mut v: Vec<f64> = (0..n).map(|_| d.sample(&mut rng)).collect();
        v.sort_by(f64::total_cmp);
        // Median 2 and mean 2·e^0.5 = 3.2974 (sd of the mean ≈ 4.3/√n = 0.0136).
        assert!((v[n / 2] - 2.0).abs() < 0.03, "{}", v[n / 2]);
        let mean = v.iter().sum::<f64>() / n as f64;
        assert!((mean - 3.2974).abs() < 0.06, "{mean}");
        let e = Dist::Exponential { mean: 5.0 }.delay().unwrap();
        assert!((e.quantile(0.5) - 5.0 * 2f64.ln()).abs() < 1e-12);
        assert!(Dist::Beta { a: 1.0, b: 1.0 }.delay().is_err());
    }
    use rand::rngs::Xoshiro256PlusPlus;

    #[test]
    fn lognormal_is_given_by_its_median() {
        let s = Dist::LogNormal {
            median: 400.0,
            sigma: 1.1,
        }
        .sampler(Support::NonNegative)
        .unwrap();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let n = 20_000;
        let below = (0..n).filter(|_| s.sample(&mut rng) < 400.0).count();
        // Binomial(n, 0.5): sd = sqrt(n)/2 ≈ 71; allow 4 sd.
        assert!((below as f64 - n as f64 / 2.0).abs() < 4.0 * (n as f64).sqrt() / 2.0);
    }

    #[test]
    fn exponential_is_given_by_its_mean() {
        let s = Dist::Exponential { mean: 36.0 }
            .sampler(Support::NonNegative)
            .unwrap();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(2);
        let n = 20_000;
        let mean = (0..n).map(|_| s.sample(&mut rng)).sum::<f64>() / n as f64;
        // sd of the mean = 36 / sqrt(n) ≈ 0.25; allow 4 sd.
        assert!((mean - 36.0).abs() < 4.0 * 36.0 / (n as f64).sqrt());
    }

    #[test]
    fn support_is_enforced() {
        let normal = Dist::Normal { mean: 0.5, sd: 0.1 };
        assert!(normal.sampler(Support::Real).is_ok());
        let err = normal.sampler(Support::Unit).unwrap_err();
        assert!(err.contains("allowed: a distribution on [0, 1]"), "{err}");
        assert!(Dist::Poisson { mean: 2.0 }.sampler(Support::Count).is_ok());
        assert!(Dist::Constant(1.5).sampler(Support::Count).is_err());
        assert!(Dist::Constant(-1.0).sampler(Support::NonNegative).is_err());
        assert!(
            Dist::Uniform { min: 0.2, max: 0.1 }
                .sampler(Support::Real)
                .is_err()
        );
        assert!(
            Dist::Beta { a: 0.0, b: 1.0 }
                .sampler(Support::Unit)
                .is_err()
        );
        assert!(
            Dist::LogNormal {
                median: f64::NAN,
                sigma: 1.0
            }
            .sampler(Support::NonNegative)
            .is_err()
        );
    }
}
