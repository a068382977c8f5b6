//! Statistics across replications: means with t-based 95% confidence intervals, and
//! quantiles.
//!
//! Replications are independent, so a metric's replication values are an i.i.d. sample and
//! its mean has the interval `mean ± t(0.975, n-1) · sd / √n`. With one replication the
//! interval is undefined (empty in the CSV files), never a made-up zero width.

/// A mean with its 95% confidence interval and the sample size behind it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanCi {
    pub mean: f64,
    /// `None` when n < 2.
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// Number of values (replications) behind the mean.
    pub n: usize,
}

/// The mean of `values` with a t-based 95% interval; `None` for no values. Non-finite
/// values (an undefined ratio in some replication) must be filtered out by the caller.
pub fn mean_ci(values: &[f64]) -> Option<MeanCi> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return Some(MeanCi {
            mean,
            low: None,
            high: None,
            n,
        });
    }
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let half = t_975(n - 1) * (var / n as f64).sqrt();
    Some(MeanCi {
        mean,
        low: Some(mean - half),
        high: Some(mean + half),
        n,
    })
}

/// The 0.975 quantile of Student's t with `df` degrees of freedom (df ≥ 1): exact table
/// values up to 30, then the Cornish-Fisher expansion around the normal quantile (error
/// below 1e-5 for df > 30).
pub fn t_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706_204_736,
        4.302_652_730,
        3.182_446_305,
        2.776_445_105,
        2.570_581_836,
        2.446_911_851,
        2.364_624_252,
        2.306_004_135,
        2.262_157_163,
        2.228_138_852,
        2.200_985_160,
        2.178_812_830,
        2.160_368_656,
        2.144_786_688,
        2.131_449_546,
        2.119_905_299,
        2.109_815_578,
        2.100_922_040,
        2.093_024_054,
        2.085_963_447,
        2.079_613_845,
        2.073_873_068,
        2.068_657_610,
        2.063_898_562,
        2.059_538_553,
        2.055_529_439,
        2.051_830_516,
        2.048_407_142,
        2.045_229_642,
        2.042_272_456,
    ];
    assert!(df >= 1, "t quantile needs at least one degree of freedom");
    if df <= TABLE.len() {
        return TABLE[df - 1];
    }
    let z: f64 = 1.959_963_984_540_054;
    let n = df as f64;
    let z3 = z.powi(3);
    let z5 = z.powi(5);
    let z7 = z.powi(7);
    let z9 = z.powi(9);
    z + (z3 + z) / (4.0 * n)
        + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * n * n)
        + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * n.powi(3))
        + (79.0 * z9 + 776.0 * z7 + 1482.0 * z5 - 1920.0 * z3 - 945.0 * z) / (92160.0 * n.powi(4))
}

/// The difference `mean(a) − mean(b)` of two independent samples with its 95% Welch
/// interval (`t(0.975, ν) · √(s²a/na + s²b/nb)`, ν by Welch–Satterthwaite, rounded down);
/// `None` if either is empty, no interval unless both have two values.
pub fn welch_difference(a: &[f64], b: &[f64]) -> Option<MeanCi> {
    let (x, y) = (mean_ci(a)?, mean_ci(b)?);
    let mean = x.mean - y.mean;
    let n = a.len() + b.len();
    if a.len() < 2 || b.len() < 2 {
        return Some(MeanCi {
            mean,
            low: None,
            high: None,
            n,
        });
    }
    let variance = |v: &[f64], m: f64| {
        v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64 / v.len() as f64
    };
    let (va, vb) = (variance(a, x.mean), variance(b, y.mean));
    let se = (va + vb).sqrt();
    let df = if va + vb == 0.0 {
        n - 2
    } else {
        let denominator = va * va / (a.len() - 1) as f64 + vb * vb / (b.len() - 1) as f64;
        // Rounded down, but not below a whole number a rounding error missed.
        ((va + vb).powi(2) / denominator + 1e-9).floor().max(1.0) as usize
    };
    let half = t_975(df) * se;
    Some(MeanCi {
        mean,
        low: Some(mean - half),
        high: Some(mean + half),
        n,
    })
}

/// The share `successes / n` with its 95% Wilson score interval, which stays within [0, 1]
/// and keeps a width at 0 or n successes (unlike a t interval on 0/1 values); `None` for
/// n = 0.
pub fn wilson(successes: usize, n: usize) -> Option<MeanCi> {
    if n == 0 {
        return None;
    }
    let (k, n_f) = (successes as f64, n as f64);
    let z = 1.959_963_984_540_054;
    let p = k / n_f;
    let denominator = 1.0 + z * z / n_f;
    let centre = (p + z * z / (2.0 * n_f)) / denominator;
    let half = z * (p * (1.0 - p) / n_f + z * z / (4.0 * n_f * n_f)).sqrt() / denominator;
    Some(MeanCi {
        mean: p,
        low: Some((centre - half).max(0.0)),
        high: Some((centre + half).min(1.0)),
        n,
    })
}

/// The `q` quantile (0 ≤ q ≤ 1) of sorted values, by linear interpolation between order
/// statistics (type 7, as R's default); `None` for no values.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let pos = q.clamp(0.0, 1.0) * last as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * frac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_tables() {
        assert!((t_975(1) - 12.7062).abs() < 1e-4);
        assert!((t_975(31) - 2.039_513).abs() < 1e-5);
        assert!((t_975(40) - 2.021_075).abs() < 1e-5);
        assert!((t_975(120) - 1.979_930).abs() < 1e-5);
        assert!((t_975(100_000) - 1.959_988).abs() < 1e-5);
    }

    #[test]
    fn interval_by_hand() {
        // mean 2, sd 1, n 3: half-width = 4.302653 / sqrt(3).
        let ci = mean_ci(&[1.0, 2.0, 3.0]).unwrap();
        assert_eq!(ci.mean, 2.0);
        let half = 4.302_652_730 / 3f64.sqrt();
        assert!((ci.high.unwrap() - (2.0 + half)).abs() < 1e-9);
        assert!((ci.low.unwrap() - (2.0 - half)).abs() < 1e-9);
        assert_eq!(ci.n, 3);
    }

    #[test]
    fn one_value_has_no_interval() {
        let ci = mean_ci(&[5.0]).unwrap();
        assert_eq!((ci.mean, ci.low, ci.high), (5.0, None, None));
        assert!(mean_ci(&[]).is_none());
    }

    #[test]
    fn welch_intervals_match_a_hand_computation() {
        // a: mean 2, s² 1 (n 3); b: mean 0.5, s² 1/3 (n 4). se² = 1/3 + 1/12 = 5/12;
        // ν = (5/12)² / ((1/3)²/2 + (1/12)²/3) = 0.17361 / 0.05787 = 3.0, t(3) = 3.182446.
        let ci = welch_difference(&[1.0, 2.0, 3.0], &[0.0, 0.0, 1.0, 1.0]).unwrap();
        assert_eq!(ci.mean, 1.5);
        let half = 3.182_446 * (5.0f64 / 12.0).sqrt();
        assert!((ci.high.unwrap() - (1.5 + half)).abs() < 1e-5, "{ci:?}");
        assert_eq!(ci.n, 7);
        assert_eq!(welch_difference(&[1.0], &[2.0, 3.0]).unwrap().low, None);
        assert!(welch_difference(&[], &[1.0]).is_none());
    }

    #[test]
    fn wilson_intervals_match_the_formula_and_stay_in_the_unit_interval() {
        // 8 of 10: centre (0.8 + 1.9208/10) / 1.38415 = 0.71674, half-width 0.22653.
        let ci = wilson(8, 10).unwrap();
        assert_eq!(ci.mean, 0.8);
        assert!((ci.low.unwrap() - 0.490_16).abs() < 1e-4, "{ci:?}");
        assert!((ci.high.unwrap() - 0.943_32).abs() < 1e-4, "{ci:?}");
        let all = wilson(16, 16).unwrap();
        assert_eq!(all.high, Some(1.0));
        assert!(all.low.unwrap() < 1.0 && all.low.unwrap() > 0.75);
        assert_eq!(wilson(0, 16).unwrap().low, Some(0.0));
        assert!(wilson(0, 0).is_none());
    }

    #[test]
    fn quantiles_interpolate() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_sorted(&v, 0.0), Some(1.0));
        assert_eq!(quantile_sorted(&v, 0.5), Some(2.5));
        assert_eq!(quantile_sorted(&v, 1.0), Some(4.0));
        assert_eq!(quantile_sorted(&[], 0.5), None);
    }

    #[test]
    fn coverage_of_the_interval_is_about_95_percent() {
        // Normal samples of n = 5 from a fixed-seed generator: the interval covers the
        // true mean in 95% of 4000 trials; binomial sd = sqrt(.95*.05/4000) = 0.0034.
        use rand::SeedableRng;
        use rand_distr::{Distribution, Normal};
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(7);
        let normal = Normal::new(10.0, 3.0).unwrap();
        let trials = 4000;
        let covered = (0..trials)
            .filter(|_| {
                let v: Vec<f64> = (0..5).map(|_| normal.sample(&mut rng)).collect();
                let ci = mean_ci(&v).unwrap();
                ci.low.unwrap() <= 10.0 && 10.0 <= ci.high.unwrap()
            })
            .count();
        let share = covered as f64 / trials as f64;
        assert!((share - 0.95).abs() < 4.0 * 0.0034, "coverage {share}");
    }
}
