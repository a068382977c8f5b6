//! The calibration search behind `connectsim tune`: a Nelder–Mead search over the
//! behavioural knobs MODEL.md leaves to calibration, on the calibration runs of a scenario
//! (see `calibration`), every evaluation with the same seed (common random numbers, so the
//! objective is a smooth function of the knobs rather than noise).
//!
//! The objective adds, for each target, the squared distance of its mean from the middle
//! 80% of its range (the lower 90% for a ceiling such as "at most $5"), in units of the
//! range's width: 0 when every target sits well inside, where the search stops.
//! The knobs are searched in a unit cube, mapped to each knob's bounds (log-scaled for
//! delays); the search starts from the scenario's own values.

use crate::calibration::{CalibrationRow, TARGETS};
use crate::scenario::{Dist, ScenarioFile};

/// The strategies of the default scenario that write their proposals by hand (MODEL.md:
/// calibration tunes their response delays).
pub const HAND_WRITERS: [&str; 4] = ["selective", "boost-large", "plus-selective", "frugal"];

/// A knob the search turns: its name (the scenario path it sets), bounds, scale, and how
/// to read and write it.
#[derive(Debug)]
pub struct Knob {
    /// The short name `--knobs` takes.
    pub key: &'static str,
    /// The scenario path it sets.
    pub name: &'static str,
    pub low: f64,
    pub high: f64,
    /// Searched on a log scale.
    pub log: bool,
    /// Rounded to a whole number.
    pub whole: bool,
    pub get: fn(&ScenarioFile) -> Option<f64>,
    pub set: fn(&mut ScenarioFile, f64),
}

fn lognormal(d: &Dist) -> Option<(f64, f64)> {
    match *d {
        Dist::LogNormal { median, sigma } => Some((median, sigma)),
        _ => None,
    }
}

fn hand_writer_delay(f: &ScenarioFile) -> Option<(f64, f64)> {
    f.strategies
        .iter()
        .find(|s| HAND_WRITERS.contains(&s.name.as_str()))
        .and_then(|s| lognormal(&s.response_delay_hours))
}

fn set_hand_writer_delay(f: &mut ScenarioFile, median: Option<f64>, sigma: Option<f64>) {
    for s in f
        .strategies
        .iter_mut()
        .filter(|s| HAND_WRITERS.contains(&s.name.as_str()))
    {
        if let Some((m, sg)) = lognormal(&s.response_delay_hours) {
            s.response_delay_hours = Dist::LogNormal {
                median: median.unwrap_or(m),
                sigma: sigma.unwrap_or(sg),
            };
        }
    }
}

/// The clients' quality Beta(a, b) keeps `a + b`; the knob is its mean `a / (a + b)`.
fn quality(f: &ScenarioFile) -> Option<(f64, f64)> {
    match f.clients.quality {
        Dist::Beta { a, b } => Some((a, b)),
        _ => None,
    }
}

/// The knobs, in the order of the search vector.
pub const KNOBS: [Knob; 9] = [
    Knob {
        key: "position_decay",
        name: "review.position_decay",
        low: 0.0,
        high: 1.0,
        log: false,
        whole: false,
        get: |f| Some(f.review.position_decay),
        set: |f, v| f.review.position_decay = v,
    },
    Knob {
        key: "max_interviews",
        name: "review.max_interviews",
        low: 1.0,
        high: 12.0,
        log: false,
        whole: true,
        get: |f| Some(f64::from(f.review.max_interviews)),
        set: |f, v| f.review.max_interviews = v.round() as u32,
    },
    Knob {
        key: "interview_intercept",
        name: "review.interview_logit.intercept",
        low: -6.0,
        high: 0.0,
        log: false,
        whole: false,
        get: |f| Some(f.review.interview_logit.intercept),
        set: |f, v| f.review.interview_logit.intercept = v,
    },
    Knob {
        key: "badge_lift",
        name: "review.boost_badge_lift",
        low: 1.0,
        high: 2.0,
        log: false,
        whole: false,
        get: |f| Some(f.review.boost_badge_lift),
        set: |f, v| f.review.boost_badge_lift = v,
    },
    Knob {
        key: "decision_delay",
        name: "review.delay_hours.lognormal.median",
        low: 6.0,
        high: 480.0,
        log: true,
        whole: false,
        get: |f| lognormal(&f.review.delay_hours).map(|d| d.0),
        set: |f, v| {
            if let Some((_, sigma)) = lognormal(&f.review.delay_hours) {
                f.review.delay_hours = Dist::LogNormal { median: v, sigma };
            }
        },
    },
    Knob {
        key: "hand_delay_median",
        name: "strategies[hand-written].response_delay_hours.lognormal.median",
        low: 0.5,
        high: 96.0,
        log: true,
        whole: false,
        get: |f| hand_writer_delay(f).map(|d| d.0),
        set: |f, v| set_hand_writer_delay(f, Some(v), None),
    },
    Knob {
        key: "hand_delay_sigma",
        name: "strategies[hand-written].response_delay_hours.lognormal.sigma",
        low: 0.3,
        high: 2.5,
        log: false,
        whole: false,
        get: |f| hand_writer_delay(f).map(|d| d.1),
        set: |f, v| set_hand_writer_delay(f, None, Some(v)),
    },
    Knob {
        key: "appeal_sigma",
        name: "jobs.appeal_sigma",
        low: 0.0,
        high: 2.0,
        log: false,
        whole: false,
        get: |f| Some(f.jobs.appeal_sigma),
        set: |f, v| f.jobs.appeal_sigma = v,
    },
    Knob {
        key: "client_quality",
        name: "clients.quality (Beta mean, a + b kept)",
        low: 0.2,
        high: 0.9,
        log: false,
        whole: false,
        get: |f| quality(f).map(|(a, b)| a / (a + b)),
        set: |f, v| {
            if let Some((a, b)) = quality(f) {
                let n = a + b;
                f.clients.quality = Dist::Beta {
                    a: v * n,
                    b: (1.0 - v) * n,
                };
            }
        },
    },
];

/// The knobs named by `keys` (every knob when `None`), in [`KNOBS`]' order, or the first
/// unknown key.
pub fn select(keys: Option<&[String]>) -> Result<Vec<&'static Knob>, String> {
    let Some(keys) = keys else {
        return Ok(KNOBS.iter().collect());
    };
    if let Some(bad) = keys
        .iter()
        .find(|k| !KNOBS.iter().any(|n| n.key == k.as_str()))
    {
        return Err(bad.clone());
    }
    Ok(KNOBS
        .iter()
        .filter(|n| keys.iter().any(|k| k == n.key))
        .collect())
}

/// A point of the unit cube as knob values.
pub fn knob_values(knobs: &[&Knob], x: &[f64]) -> Vec<f64> {
    knobs
        .iter()
        .zip(x)
        .map(|(k, &u)| {
            let u = u.clamp(0.0, 1.0);
            let v = if k.log {
                (k.low.ln() + u * (k.high.ln() - k.low.ln())).exp()
            } else {
                k.low + u * (k.high - k.low)
            };
            if k.whole { v.round() } else { v }
        })
        .collect()
}

/// The scenario's own knob values as a point of the unit cube (a knob it does not have in
/// the searched form starts in the middle).
pub fn start_point(knobs: &[&Knob], file: &ScenarioFile) -> Vec<f64> {
    knobs
        .iter()
        .map(|k| {
            (k.get)(file).map_or(0.5, |v| {
                let u = if k.log {
                    (v.ln() - k.low.ln()) / (k.high.ln() - k.low.ln())
                } else {
                    (v - k.low) / (k.high - k.low)
                };
                u.clamp(0.0, 1.0)
            })
        })
        .collect()
}

/// The scenario with the knobs set to the point `x` of the unit cube.
pub fn with_knobs(knobs: &[&Knob], file: &ScenarioFile, x: &[f64]) -> ScenarioFile {
    let mut f = file.clone();
    for (k, v) in knobs.iter().zip(knob_values(knobs, x)) {
        (k.set)(&mut f, v);
    }
    f
}

/// The search's objective on a calibration table: for each target, the squared distance
/// of its mean from the middle 80% of its range (of its lower 90% for a ceiling), over the
/// range's width (a target without a value counts 1).
pub fn objective(table: &[CalibrationRow]) -> f64 {
    TARGETS
        .iter()
        .map(|t| {
            let Some(mean) = table
                .iter()
                .find(|r| r.target == t.name)
                .and_then(|r| r.mean)
            else {
                return 1.0;
            };
            let width = t.high - t.low;
            let floor = if t.at_most {
                t.low
            } else {
                t.low + 0.1 * width
            };
            let (low, high) = (floor, t.high - 0.1 * width);
            let miss = (low - mean).max(mean - high).max(0.0);
            (miss / width).powi(2)
        })
        .sum()
}

/// Nelder–Mead on the unit cube (points clamped to it), from `start` with an initial step
/// of `step` along each axis, for at most `evaluations` evaluations of `f`. Calls `seen`
/// after each evaluation; returns the best point and its value.
pub fn nelder_mead(
    start: &[f64],
    step: f64,
    evaluations: usize,
    mut f: impl FnMut(&[f64]) -> f64,
    mut seen: impl FnMut(usize, &[f64], f64),
) -> (Vec<f64>, f64) {
    let n = start.len();
    let clamp = |x: Vec<f64>| -> Vec<f64> { x.into_iter().map(|v| v.clamp(0.0, 1.0)).collect() };
    let mut count = 0;
    let mut eval = |x: &[f64], count: &mut usize| {
        let v = f(x);
        *count += 1;
        seen(*count, x, v);
        v
    };
    let mut simplex: Vec<(Vec<f64>, f64)> = Vec::with_capacity(n + 1);
    let x0 = clamp(start.to_vec());
    let v0 = eval(&x0, &mut count);
    simplex.push((x0.clone(), v0));
    for i in 0..n.min(evaluations.saturating_sub(1)) {
        let mut x = x0.clone();
        x[i] = if x[i] + step <= 1.0 {
            x[i] + step
        } else {
            x[i] - step
        };
        let v = eval(&x, &mut count);
        simplex.push((x, v));
    }
    while count < evaluations && simplex.len() == n + 1 {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        if simplex[0].1 == 0.0 {
            break;
        }
        let worst = simplex[n].clone();
        let centroid: Vec<f64> = (0..n)
            .map(|j| simplex[..n].iter().map(|p| p.0[j]).sum::<f64>() / n as f64)
            .collect();
        let along = |t: f64| -> Vec<f64> {
            clamp(
                centroid
                    .iter()
                    .zip(&worst.0)
                    .map(|(c, w)| c + t * (c - w))
                    .collect(),
            )
        };
        let reflected = along(1.0);
        let vr = eval(&reflected, &mut count);
        if vr < simplex[0].1 {
            let expanded = along(2.0);
            let ve = eval(&expanded, &mut count);
            simplex[n] = if ve < vr {
                (expanded, ve)
            } else {
                (reflected, vr)
            };
        } else if vr < simplex[n - 1].1 {
            simplex[n] = (reflected, vr);
        } else {
            let contracted = along(if vr < worst.1 { 0.5 } else { -0.5 });
            let vc = eval(&contracted, &mut count);
            if vc < worst.1.min(vr) {
                simplex[n] = (contracted, vc);
            } else {
                // Shrink towards the best point.
                let best = simplex[0].0.clone();
                for p in simplex.iter_mut().skip(1) {
                    let x: Vec<f64> = best
                        .iter()
                        .zip(&p.0)
                        .map(|(b, v)| b + 0.5 * (v - b))
                        .collect();
                    let v = eval(&x, &mut count);
                    *p = (x, v);
                }
            }
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    simplex.swap_remove(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nelder_mead_finds_the_minimum_of_a_bowl_in_the_cube() {
        let target = [0.2, 0.7, 0.5];
        let (best, value) = nelder_mead(
            &[0.9, 0.1, 0.1],
            0.2,
            400,
            |x| x.iter().zip(&target).map(|(a, b)| (a - b).powi(2)).sum(),
            |_, _, _| {},
        );
        assert!(value < 1e-6, "{value} at {best:?}");
    }

    #[test]
    fn knobs_read_back_what_they_set() {
        let file = crate::scenario::Scenario::load("default").unwrap().file;
        let knobs = select(None).unwrap();
        let x = start_point(&knobs, &file);
        let again = start_point(&knobs, &with_knobs(&knobs, &file, &x));
        assert_eq!(
            select(Some(&["badge_lift".to_string()])).unwrap()[0].name,
            KNOBS[3].name
        );
        assert_eq!(select(Some(&["nope".to_string()])).unwrap_err(), "nope");
        for (k, (a, b)) in knobs.iter().zip(x.iter().zip(&again)) {
            // Whole knobs move to the nearest whole value; the rest read back exactly.
            let tolerance = if k.whole {
                0.5 / (k.high - k.low)
            } else {
                1e-9
            };
            assert!((a - b).abs() <= tolerance, "{}: {a} vs {b}", k.name);
        }
    }

    #[test]
    fn the_objective_is_zero_well_inside_and_grows_outside() {
        let table = |v: f64| -> Vec<CalibrationRow> {
            TARGETS
                .iter()
                .map(|t| CalibrationRow {
                    target: t.name.to_string(),
                    mean: Some(t.low + v * (t.high - t.low)),
                    ..CalibrationRow::default()
                })
                .collect()
        };
        assert_eq!(objective(&table(0.5)), 0.0);
        // A ceiling ("at most $5") is met at its floor too; another target is not.
        let at_floor: Vec<CalibrationRow> = TARGETS
            .iter()
            .map(|t| CalibrationRow {
                target: t.name.to_string(),
                mean: Some(if t.at_most {
                    t.low
                } else {
                    (t.low + t.high) / 2.0
                }),
                ..CalibrationRow::default()
            })
            .collect();
        assert_eq!(objective(&at_floor), 0.0);
        assert!(objective(&table(1.5)) > objective(&table(1.2)));
        assert!(objective(&[]) >= TARGETS.len() as f64);
    }
}
