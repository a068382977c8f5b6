//! Sweeps: a `[sweep]` section turns one scenario into points, each the scenario with some
//! parameters set by their paths (`connects.price_usd`, `strategies.spray.apply_prob`).
//!
//! The design gives the points' values ([`Design`]): a full grid, zipped lists, a Latin
//! hypercube over ranges, or the rows of a CSV file. Each point's file is the scenario's
//! with the values set ([`set_parameter`], on the file as TOML, so that every path of the
//! reference works and every value goes through the same deserialization and validation as
//! a file's), then validated like any scenario. Every point keeps the scenario's seed,
//! months and replications, so its replications see the same streams as every other
//! point's: the points are paired.

use std::fmt;

use rand::rngs::ChaCha8Rng;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use super::file::ScenarioFile;
use super::validate::apportion;

/// The most points a sweep may have.
pub const MAX_POINTS: usize = 10_000;

/// `[sweep]`: the points a scenario runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepSection {
    /// How the points are made: `grid` (every combination of the parameters' lists, the
    /// first parameter varying slowest), `zip` (the lists read side by side, all of one
    /// length), `lhs` (a Latin hypercube of `points` points over each parameter's
    /// `{ min, max }`) or `csv` (the rows of `file`).
    pub design: DesignKind,
    /// The parameters by path, in the order of the columns: a list of values for `grid` and
    /// `zip`, `{ min = .., max = .. }` for `lhs` (whole numbers for an integer parameter),
    /// nothing for `csv`.
    #[serde(default, skip_serializing_if = "toml::Table::is_empty")]
    pub parameters: toml::Table,
    /// `lhs`: how many points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<u32>,
    /// `lhs`: the seed of the design [default: `run.seed`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// `csv`: the design file, relative to the scenario file: a header of parameter paths
    /// and a row a point (as SALib or `scipy.stats.qmc` write them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The point that the paired differences are taken against [default: 0, the first].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_point: Option<u32>,
}

/// The kinds of design.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DesignKind {
    Grid,
    Zip,
    Lhs,
    Csv,
}

/// A value of a swept parameter, as a column shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SweepValue {
    Integer(i64),
    Float(f64),
    Text(String),
    Bool(bool),
}

impl SweepValue {
    fn from_toml(value: &toml::Value) -> Option<SweepValue> {
        match value {
            toml::Value::Integer(i) => Some(SweepValue::Integer(*i)),
            toml::Value::Float(x) => Some(SweepValue::Float(*x)),
            toml::Value::String(s) => Some(SweepValue::Text(s.clone())),
            toml::Value::Boolean(b) => Some(SweepValue::Bool(*b)),
            _ => None,
        }
    }

    fn to_toml(&self) -> toml::Value {
        match self {
            SweepValue::Integer(i) => toml::Value::Integer(*i),
            SweepValue::Float(x) => toml::Value::Float(*x),
            SweepValue::Text(s) => toml::Value::String(s.clone()),
            SweepValue::Bool(b) => toml::Value::Boolean(*b),
        }
    }

    /// A CSV field's text: a whole number, then a number, then `true`/`false`, else text.
    pub fn parse(text: &str) -> SweepValue {
        let text = text.trim();
        if let Ok(i) = text.parse::<i64>() {
            SweepValue::Integer(i)
        } else if let Ok(x) = text.parse::<f64>() {
            SweepValue::Float(x)
        } else if let Ok(b) = text.parse::<bool>() {
            SweepValue::Bool(b)
        } else {
            SweepValue::Text(text.to_string())
        }
    }

    /// The value as a number, for charts (`None` for text).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            SweepValue::Integer(i) => Some(*i as f64),
            SweepValue::Float(x) => Some(*x),
            SweepValue::Bool(b) => Some(f64::from(u8::from(*b))),
            SweepValue::Text(_) => None,
        }
    }
}

impl fmt::Display for SweepValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SweepValue::Integer(i) => write!(f, "{i}"),
            SweepValue::Float(x) => write!(f, "{x}"),
            SweepValue::Text(s) => write!(f, "{s}"),
            SweepValue::Bool(b) => write!(f, "{b}"),
        }
    }
}

/// A sweep's design, read: the parameters' paths and each point's values.
#[derive(Debug, Clone, PartialEq)]
pub struct Design {
    pub parameters: Vec<String>,
    /// A row a point, a value a parameter.
    pub points: Vec<Vec<SweepValue>>,
}

/// What is wrong with a sweep: the parameter it concerns (if one) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepError {
    pub parameter: Option<String>,
    pub message: String,
}

impl SweepError {
    fn of(parameter: &str, message: impl Into<String>) -> SweepError {
        SweepError {
            parameter: Some(parameter.to_string()),
            message: message.into(),
        }
    }

    fn whole(message: impl Into<String>) -> SweepError {
        SweepError {
            parameter: None,
            message: message.into(),
        }
    }
}

/// Top-level keys that a sweep may not set: what names the run, and the run's size and
/// seed, which every point shares so that its replications line up with the others'.
const NOT_SWEPT: &[&str] = &[
    "name",
    "description",
    "extends",
    "run",
    "sweep",
    "baseline_strategy",
    "remove_strategies",
    "replace_strategies",
];

impl Design {
    /// The design of `sweep`; `csv_text` is the text of its `file` (read by the caller),
    /// `run_seed` the scenario's seed.
    pub fn new(
        sweep: &SweepSection,
        csv_text: Option<&str>,
        run_seed: u64,
    ) -> Result<Design, SweepError> {
        let only = |key: &str, set: bool, design: &str| {
            if set {
                Err(SweepError::whole(format!(
                    "sweep.{key} is set, but only a {design} design reads it (allowed: leave it out)"
                )))
            } else {
                Ok(())
            }
        };
        let is_lhs = sweep.design == DesignKind::Lhs;
        let is_csv = sweep.design == DesignKind::Csv;
        only("points", sweep.points.is_some() && !is_lhs, "lhs")?;
        only("seed", sweep.seed.is_some() && !is_lhs, "lhs")?;
        only("file", sweep.file.is_some() && !is_csv, "csv")?;
        if is_csv && !sweep.parameters.is_empty() {
            return Err(SweepError::whole(
                "sweep.parameters is set, but a csv design takes its parameters from the file's header (allowed: leave it out)",
            ));
        }
        if !is_csv && sweep.parameters.is_empty() {
            return Err(SweepError::whole(
                "sweep.parameters is empty (allowed: at least one parameter path, such as \"connects.price_usd\" = [0.15, 0.30])",
            ));
        }
        for path in sweep.parameters.keys() {
            check_path(path)?;
        }
        let named = |points| Design {
            parameters: sweep.parameters.keys().cloned().collect(),
            points,
        };
        let design = match sweep.design {
            DesignKind::Grid => named(grid(&lists(sweep)?)?),
            DesignKind::Zip => named(zip(&lists(sweep)?)?),
            DesignKind::Lhs => {
                let n = sweep.points.ok_or_else(|| {
                    SweepError::whole("sweep.points is missing (allowed: the number of points of the Latin hypercube, 1 or more)")
                })?;
                if n == 0 || n as usize > MAX_POINTS {
                    return Err(SweepError::whole(format!(
                        "sweep.points: {n} is not allowed (allowed: 1 to {MAX_POINTS})"
                    )));
                }
                named(latin_hypercube(
                    &ranges(sweep)?,
                    n as usize,
                    sweep.seed.unwrap_or(run_seed),
                ))
            }
            DesignKind::Csv => {
                let text = csv_text.ok_or_else(|| {
                    SweepError::whole("sweep.file is missing (allowed: the path of a CSV design, relative to this file)")
                })?;
                let design = from_csv(text)?;
                for path in &design.parameters {
                    check_path(path)?;
                }
                design
            }
        };
        if design.points.len() > MAX_POINTS {
            return Err(SweepError::whole(format!(
                "the design has {} points (allowed: at most {MAX_POINTS})",
                design.points.len()
            )));
        }
        if let Some(b) = sweep.baseline_point
            && b as usize >= design.points.len()
        {
            return Err(SweepError::whole(format!(
                "sweep.baseline_point: {b} is not a point (allowed: 0 to {})",
                design.points.len() - 1
            )));
        }
        Ok(design)
    }

    /// The design as CSV: a header of the parameters' paths and a row a point (what a
    /// `csv` design reads back).
    pub fn to_csv(&self) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record(&self.parameters);
        for point in &self.points {
            let _ = w.write_record(point.iter().map(ToString::to_string));
        }
        w.into_inner().unwrap_or_default()
    }
}

fn check_path(path: &str) -> Result<(), SweepError> {
    let top = path.split('.').next().unwrap_or("");
    if path.is_empty() || path.split('.').any(str::is_empty) {
        return Err(SweepError::of(
            path,
            "is not a parameter path (allowed: keys joined by dots, such as boost.slots or strategies.spray.apply_prob)",
        ));
    }
    if NOT_SWEPT.contains(&top) {
        return Err(SweepError::of(
            path,
            format!(
                "{top} cannot be swept: every point shares the run's name, seed, months and replications, so that its replications pair with the other points' (allowed: a parameter of the model)"
            ),
        ));
    }
    Ok(())
}

/// Each parameter's list of values (`grid`, `zip`).
fn lists(sweep: &SweepSection) -> Result<Vec<Vec<SweepValue>>, SweepError> {
    sweep
        .parameters
        .iter()
        .map(|(path, value)| {
            let bad = || {
                SweepError::of(
                    path,
                    "is not a list of values (allowed: a non-empty list of numbers, strings or booleans, such as [2, 4])",
                )
            };
            let items = value.as_array().filter(|a| !a.is_empty()).ok_or_else(bad)?;
            items
                .iter()
                .map(|v| SweepValue::from_toml(v).ok_or_else(bad))
                .collect()
        })
        .collect()
}

/// A parameter's range for a Latin hypercube: whole numbers when both ends are.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Range {
    min: f64,
    max: f64,
    integer: bool,
}

fn ranges(sweep: &SweepSection) -> Result<Vec<Range>, SweepError> {
    sweep
        .parameters
        .iter()
        .map(|(path, value)| {
            let bad = |why: &str| {
                SweepError::of(
                    path,
                    format!("{why} (allowed: {{ min = .., max = .. }}, numbers with min ≤ max)"),
                )
            };
            let table = value.as_table().ok_or_else(|| bad("is not a range"))?;
            if let Some(key) = table.keys().find(|k| *k != "min" && *k != "max") {
                return Err(bad(&format!("has the unknown key {key}")));
            }
            let end = |key: &str| match table.get(key) {
                Some(toml::Value::Integer(i)) => Ok((*i as f64, true)),
                Some(toml::Value::Float(x)) if x.is_finite() => Ok((*x, false)),
                Some(_) => Err(bad(&format!("{key} is not a finite number"))),
                None => Err(bad(&format!("{key} is missing"))),
            };
            let ((min, a), (max, b)) = (end("min")?, end("max")?);
            if min > max {
                return Err(bad(&format!("min {min} is above max {max}")));
            }
            Ok(Range {
                min,
                max,
                integer: a && b,
            })
        })
        .collect()
}

/// Every combination of the lists, the first list varying slowest.
fn grid(lists: &[Vec<SweepValue>]) -> Result<Vec<Vec<SweepValue>>, SweepError> {
    let count = lists
        .iter()
        .try_fold(1usize, |n, l| n.checked_mul(l.len()))
        .filter(|&n| n <= MAX_POINTS)
        .ok_or_else(|| {
            SweepError::whole(format!(
                "the grid has more than {MAX_POINTS} points (allowed: at most {MAX_POINTS}: fewer values, or an lhs design)"
            ))
        })?;
    let mut points = Vec::with_capacity(count);
    for mut k in 0..count {
        let mut point = vec![SweepValue::Bool(false); lists.len()];
        for (slot, list) in point.iter_mut().zip(lists).rev() {
            *slot = list[k % list.len()].clone();
            k /= list.len();
        }
        points.push(point);
    }
    Ok(points)
}

/// The lists side by side.
fn zip(lists: &[Vec<SweepValue>]) -> Result<Vec<Vec<SweepValue>>, SweepError> {
    let n = lists[0].len();
    if let Some(other) = lists.iter().find(|l| l.len() != n) {
        return Err(SweepError::whole(format!(
            "a zip design's lists differ in length ({n} and {}) (allowed: lists of one length, read side by side)",
            other.len()
        )));
    }
    Ok((0..n)
        .map(|i| lists.iter().map(|l| l[i].clone()).collect())
        .collect())
}

/// A Latin hypercube of `n` points: each parameter's range cut into `n` equal strata, each
/// stratum holding one point at a uniform place within it, the strata matched across
/// parameters by independent random permutations. An integer parameter's value is rounded
/// to the nearest whole number. It depends on `seed` alone.
fn latin_hypercube(ranges: &[Range], n: usize, seed: u64) -> Vec<Vec<SweepValue>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // A stream of its own, apart from the replications' (which use streams 0, 1, …).
    rng.set_stream(u64::MAX);
    let mut columns = Vec::with_capacity(ranges.len());
    for range in ranges {
        let mut strata: Vec<usize> = (0..n).collect();
        strata.shuffle(&mut rng);
        let column: Vec<SweepValue> = strata
            .iter()
            .map(|&s| {
                let u: f64 = rng.random();
                let x = range.min + (s as f64 + u) / n as f64 * (range.max - range.min);
                if range.integer {
                    SweepValue::Integer(x.round().clamp(range.min, range.max) as i64)
                } else {
                    SweepValue::Float(x.clamp(range.min, range.max))
                }
            })
            .collect();
        columns.push(column);
    }
    (0..n)
        .map(|i| columns.iter().map(|c| c[i].clone()).collect())
        .collect()
}

/// A design read from CSV: a header of parameter paths, a row a point.
pub fn from_csv(text: &str) -> Result<Design, SweepError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| SweepError::whole(format!("the design file is not CSV: {e}")))?;
    let parameters: Vec<String> = header.iter().map(str::to_string).collect();
    if parameters.is_empty() || parameters.iter().all(String::is_empty) {
        return Err(SweepError::whole(
            "the design file has no header (allowed: a header of parameter paths, then a row a point)",
        ));
    }
    if let Some(p) = parameters
        .iter()
        .enumerate()
        .find(|(i, p)| parameters[..*i].contains(p))
    {
        return Err(SweepError::of(p.1, "is a column of the design file twice"));
    }
    let mut points = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record
            .map_err(|e| SweepError::whole(format!("the design file's row {}: {e}", i + 2)))?;
        if record.iter().any(str::is_empty) {
            return Err(SweepError::whole(format!(
                "the design file's row {} has an empty field (allowed: a value for every parameter)",
                i + 2
            )));
        }
        points.push(record.iter().map(SweepValue::parse).collect());
        if points.len() > MAX_POINTS {
            break;
        }
    }
    if points.is_empty() {
        return Err(SweepError::whole(
            "the design file has no points (allowed: a row a point under the header)",
        ));
    }
    Ok(Design { parameters, points })
}

/// `file` with its sweep removed and `values` set at their paths: the file of one point.
/// Setting `population.agents` resizes the market (as `--agents` does); setting a
/// strategy's `share` (or `agents`) shares what is left among the other strategies in
/// proportion to what they had, so that the population adds up.
pub fn point_file(
    file: &ScenarioFile,
    parameters: &[String],
    values: &[SweepValue],
) -> Result<ScenarioFile, SweepError> {
    let mut base = file.clone();
    base.sweep = None;
    let mut table = toml::Table::try_from(&base)
        .map_err(|e| SweepError::whole(format!("cannot apply the sweep: {e}")))?;
    for (path, value) in parameters.iter().zip(values) {
        set_parameter(&mut table, path, value.to_toml())?;
    }
    let mut point: ScenarioFile = serde_path_to_error::deserialize(table).map_err(|e| {
        let at = e.path().to_string();
        let message = e.into_inner().message().to_string();
        let last_key = |p: &str| p.rsplit('.').next().map(str::to_owned);
        let parameter = parameters
            .iter()
            .find(|p| last_key(p) == last_key(&at))
            .or_else(|| parameters.first())
            .cloned();
        SweepError {
            parameter,
            message: format!("{at}: {message}"),
        }
    })?;
    for (path, value) in parameters.iter().zip(values) {
        let n = value.as_f64().unwrap_or(0.0);
        if path == "population.agents" {
            point.resize(n as u32);
        } else if let Some(name) = path
            .strip_prefix("strategies.")
            .and_then(|rest| rest.strip_suffix(".share"))
        {
            point.share_out(name, Share::Of(n));
        } else if let Some(name) = path
            .strip_prefix("strategies.")
            .and_then(|rest| rest.strip_suffix(".agents"))
        {
            point.share_out(name, Share::Agents(n as u32));
        }
    }
    Ok(point)
}

/// What one strategy is set to by a sweep ([`ScenarioFile::share_out`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Share {
    /// A share of the population.
    Of(f64),
    /// A count of agents.
    Agents(u32),
}

impl ScenarioFile {
    /// Sets strategy `name` to `share` and gives the other strategies what is left, in
    /// proportion to their shares (or counts): in shares, or by largest remainder in
    /// counts, so that the whole adds up to the population.
    pub fn share_out(&mut self, name: &str, share: Share) {
        let Some(me) = self.strategies.iter().position(|s| s.name == name) else {
            return;
        };
        let population = self.population.agents;
        let weights: Vec<f64> = self
            .strategies
            .iter()
            .enumerate()
            .map(|(i, s)| {
                if i == me {
                    0.0
                } else {
                    s.share.or(s.agents.map(f64::from)).unwrap_or(0.0)
                }
            })
            .collect();
        let others: f64 = weights.iter().sum();
        match share {
            Share::Of(x) => {
                for (i, s) in self.strategies.iter_mut().enumerate() {
                    s.agents = None;
                    // Rounded to 12 decimals, so that 0.05 reads as 0.05 (the shares must
                    // add up to 1 within 1e-9).
                    let rest = |w: f64| (w / others * (1.0 - x) * 1e12).round() / 1e12;
                    s.share = Some(if i == me {
                        x
                    } else if others > 0.0 {
                        rest(weights[i])
                    } else {
                        0.0
                    });
                }
            }
            Share::Agents(n) => {
                let counts = apportion(&weights, population.saturating_sub(n));
                for (i, s) in self.strategies.iter_mut().enumerate() {
                    s.share = None;
                    s.agents = Some(if i == me { n } else { counts[i] });
                }
            }
        }
    }
}

/// Sets `value` at `path` of `table`: keys joined by dots; a key met on an array of tables
/// (`strategies`, `tiers`, `jobs.categories`) picks the element of that `name`. The last
/// key may be new to its table (an optional key left out); any other must exist.
pub fn set_parameter(
    table: &mut toml::Table,
    path: &str,
    value: toml::Value,
) -> Result<(), SweepError> {
    let keys: Vec<&str> = path.split('.').collect();
    let mut here = table;
    for (depth, key) in keys.iter().enumerate() {
        let last = depth + 1 == keys.len();
        let so_far = keys[..depth].join(".");
        if last {
            if matches!(
                here.get(*key),
                Some(toml::Value::Table(_) | toml::Value::Array(_))
            ) {
                // A distribution written as `{ fixed = 3 }` takes a number for its value.
                if let Some(toml::Value::Table(dist)) = here.get_mut(*key)
                    && dist.len() == 1
                    && let Some((_, inner)) = dist.iter_mut().next()
                    && !inner.is_table()
                {
                    *inner = value;
                    return Ok(());
                }
                return Err(SweepError::of(
                    path,
                    format!(
                        "is a table or a list, not a single value (allowed: a path down to a number, a string or a boolean, such as {path}.<key>)"
                    ),
                ));
            }
            here.insert((*key).to_string(), value);
            return Ok(());
        }
        let known = |t: &toml::Table| t.keys().cloned().collect::<Vec<_>>().join(", ");
        let place = if so_far.is_empty() {
            "the scenario".to_string()
        } else {
            so_far.clone()
        };
        let names = known(here);
        let next = here.get_mut(*key).ok_or_else(|| {
            SweepError::of(
                path,
                format!("no such parameter: {place} has no {key} (allowed: {names})"),
            )
        })?;
        here = match next {
            toml::Value::Table(t) => t,
            toml::Value::Array(items) => {
                let name = keys[depth + 1];
                let listed: Vec<String> = items
                    .iter()
                    .filter_map(|i| i.get("name").and_then(|n| n.as_str()).map(str::to_string))
                    .collect();
                let found = items
                    .iter_mut()
                    .find(|i| i.get("name").and_then(|n| n.as_str()) == Some(name))
                    .and_then(|i| i.as_table_mut())
                    .ok_or_else(|| {
                        SweepError::of(
                            path,
                            format!(
                                "no such parameter: {key} has no {name} (allowed: {})",
                                listed.join(", ")
                            ),
                        )
                    })?;
                if depth + 2 == keys.len() {
                    return Err(SweepError::of(
                        path,
                        format!(
                            "names a whole {key} entry (allowed: one of its keys, such as {path}.<key>)"
                        ),
                    ));
                }
                // The element's own keys follow its name.
                return set_parameter(found, &keys[depth + 2..].join("."), value)
                    .map_err(|e| SweepError::of(path, e.message));
            }
            _ => {
                return Err(SweepError::of(
                    path,
                    format!("no such parameter: {key} of {place} is a single value, not a table"),
                ));
            }
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(v: &[i64]) -> Vec<SweepValue> {
        v.iter().map(|&i| SweepValue::Integer(i)).collect()
    }

    #[test]
    fn a_grid_varies_the_first_parameter_slowest() {
        let points = grid(&[ints(&[1, 2]), ints(&[10, 20, 30])]).unwrap();
        assert_eq!(points.len(), 6);
        assert_eq!(points[0], ints(&[1, 10]));
        assert_eq!(points[1], ints(&[1, 20]));
        assert_eq!(points[3], ints(&[2, 10]));
        assert_eq!(points[5], ints(&[2, 30]));
    }

    #[test]
    fn zipped_lists_must_have_one_length() {
        assert_eq!(
            zip(&[ints(&[1, 2]), ints(&[3, 4])]).unwrap(),
            vec![ints(&[1, 3]), ints(&[2, 4])]
        );
        assert!(zip(&[ints(&[1, 2]), ints(&[3])]).is_err());
    }

    #[test]
    fn a_latin_hypercube_has_one_point_a_stratum_and_reproduces_from_its_seed() {
        let ranges = [
            Range {
                min: 0.1,
                max: 0.5,
                integer: false,
            },
            Range {
                min: 1.0,
                max: 6.0,
                integer: true,
            },
        ];
        let a = latin_hypercube(&ranges, 20, 7);
        assert_eq!(a, latin_hypercube(&ranges, 20, 7));
        assert_ne!(a, latin_hypercube(&ranges, 20, 8));
        let mut strata = vec![0; 20];
        for p in &a {
            let x = p[0].as_f64().unwrap();
            assert!((0.1..=0.5).contains(&x));
            strata[((x - 0.1) / 0.4 * 20.0).floor().min(19.0) as usize] += 1;
            match p[1] {
                SweepValue::Integer(i) => assert!((1..=6).contains(&i)),
                ref other => panic!("{other:?} is not an integer"),
            }
        }
        assert!(strata.iter().all(|&n| n == 1), "{strata:?}");
    }

    #[test]
    fn a_design_round_trips_through_csv() {
        let design = Design {
            parameters: vec!["connects.price_usd".into(), "boost.pricing".into()],
            points: vec![
                vec![SweepValue::Float(0.15), SweepValue::Text("first".into())],
                vec![SweepValue::Float(0.3), SweepValue::Text("second".into())],
                vec![SweepValue::Integer(1), SweepValue::Text("first".into())],
            ],
        };
        assert_eq!(
            from_csv(&String::from_utf8(design.to_csv()).unwrap()).unwrap(),
            design
        );
    }

    #[test]
    fn parameters_are_set_by_path_and_by_name_in_lists() {
        let mut t: toml::Table = toml::from_str(
            r#"
            [boost]
            slots = 4
            [[strategies]]
            name = "spray"
            apply_prob = 0.9
            quality = { fixed = 0.5 }
            "#,
        )
        .unwrap();
        set_parameter(&mut t, "boost.slots", toml::Value::Integer(2)).unwrap();
        set_parameter(
            &mut t,
            "strategies.spray.apply_prob",
            toml::Value::Float(0.5),
        )
        .unwrap();
        set_parameter(&mut t, "strategies.spray.quality", toml::Value::Float(0.7)).unwrap();
        assert_eq!(t["boost"]["slots"].as_integer(), Some(2));
        let spray = &t["strategies"][0];
        assert_eq!(spray["apply_prob"].as_float(), Some(0.5));
        assert_eq!(spray["quality"]["fixed"].as_float(), Some(0.7));
        let e = set_parameter(
            &mut t,
            "strategies.sprey.apply_prob",
            toml::Value::Float(0.5),
        )
        .unwrap_err();
        assert!(e.message.contains("allowed: spray"), "{}", e.message);
        let e = set_parameter(&mut t, "bost.slots", toml::Value::Integer(2)).unwrap_err();
        assert!(e.message.contains("has no bost"), "{}", e.message);
    }

    #[test]
    fn the_run_cannot_be_swept() {
        let e = check_path("run.seed").unwrap_err();
        assert!(e.message.contains("cannot be swept"), "{}", e.message);
        assert!(check_path("boost..slots").is_err());
    }
}
