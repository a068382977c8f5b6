//! Distributions: the one notation the scenario uses for every random quantity, and the
//! validated samplers the engine draws from.
//!
//! In a file a distribution is a one-key table: `{ lognormal = { median = 400, sigma = 1.1 } }`,
//! `{ beta = { a = 2, b = 2.5 } }`, `{ exponential = { mean = 36 } }`, `{ normal = { mean = 0,
//! sd = 0.15 } }`, `{ poisson = { mean = 6 } }`, `{ uniform = { min = 0, max = 1 } }` or
//! `{ constant = 3 }`. Each field says which support it needs ([`Support`]); validation
//! refuses a distribution that can draw outside it.

use rand::Rng;
use rand_distr::{Beta, Distribution, Exp, LogNormal, Normal, Poisson, Uniform};
use serde::{Deserialize, Serialize};

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

impl Dist {
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
