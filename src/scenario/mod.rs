//! Scenarios: the TOML file format, its validation, and the scenarios embedded in the binary.
//!
//! Three steps, in order: [`load`] reads the text (a path, or the name of an embedded
//! scenario), merges it over the scenario it `extends`, and deserializes it into the plain
//! [`ScenarioFile`]; the caller may override fields (the command line's `--seed`, …);
//! [`Scenario::new`] validates it into the engine's [`Model`]. Every failure is one
//! [`ScenarioError`] naming the file, the line and column where known, and the field's path.

mod compose;
mod dist;
pub mod file;
pub mod model;
pub mod sweep;
mod validate;

use std::fmt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use compose::Sources;

pub use dist::{Delay, Dist, Sampler, Support};
pub use file::ScenarioFile;
pub use model::Model;
pub use sweep::{Design, SweepValue};
pub use validate::validate;

/// The scenarios compiled into the binary: (name, text).
pub const EMBEDDED: &[(&str, &str)] = &[
    ("default", include_str!("../../scenarios/default.toml")),
    (
        "upwork-2015",
        include_str!("../../scenarios/upwork-2015.toml"),
    ),
    (
        "upwork-2019",
        include_str!("../../scenarios/upwork-2019.toml"),
    ),
    (
        "upwork-2021",
        include_str!("../../scenarios/upwork-2021.toml"),
    ),
    (
        "upwork-2023",
        include_str!("../../scenarios/upwork-2023.toml"),
    ),
    ("smoke", include_str!("../../scenarios/smoke.toml")),
    (
        "boost-experiment",
        include_str!("../../scenarios/boost-experiment.toml"),
    ),
    ("capped", include_str!("../../scenarios/capped.toml")),
    ("large", include_str!("../../scenarios/large.toml")),
    (
        "application-cap",
        include_str!("../../scenarios/application-cap.toml"),
    ),
    (
        "second-price-boost",
        include_str!("../../scenarios/second-price-boost.toml"),
    ),
    (
        "everyone-automates",
        include_str!("../../scenarios/everyone-automates.toml"),
    ),
];

/// How many `extends` links a scenario may follow (a guard against cycles).
const MAX_EXTENDS_DEPTH: usize = 8;
/// The largest scenario file read (the default is about 15 kB).
const MAX_SCENARIO_BYTES: u64 = 1 << 20;

/// A bad scenario: where, which field, what is wrong and what is allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file (or `embedded:NAME`).
    pub origin: String,
    /// 1-based line and column, where known.
    pub line_column: Option<(usize, usize)>,
    /// The field's full path (`strategies[2].boost.fixed.connects`), where known.
    pub path: Option<String>,
    pub message: String,
    /// Where an error that concerns a base came from, when it does.
    pub inherited: Option<Box<Inherited>>,
}

/// How an error concerns a scenario that the file given extends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inherited {
    /// When `origin` is a base of the file given: that file and the line of its `extends`
    /// (`my.toml:1:1`).
    pub extended_by: Option<String>,
    /// When the error is reported at a key that made the value of `path` invalid (a
    /// cross-field rule, such as `boost.min_bid` above a strategy's bid) rather than at
    /// the value itself: where the value was written (`embedded:default:176:1`).
    pub value_at: Option<String>,
}

impl Inherited {
    fn boxed(extended_by: Option<String>, value_at: Option<String>) -> Option<Box<Inherited>> {
        (extended_by.is_some() || value_at.is_some()).then(|| {
            Box::new(Inherited {
                extended_by,
                value_at,
            })
        })
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.origin)?;
        if let Some((line, column)) = self.line_column {
            write!(f, ":{line}:{column}")?;
        }
        let inherited = self.inherited.as_deref();
        if let Some(file) = inherited.and_then(|i| i.extended_by.as_ref()) {
            write!(f, " (extended by {file})")?;
        }
        if let Some(path) = &self.path {
            write!(f, ": {path}")?;
        }
        write!(f, ": {}", self.message)?;
        if let (Some(path), Some(at)) = (&self.path, inherited.and_then(|i| i.value_at.as_ref())) {
            write!(f, "; {path} is set at {at}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}

/// One text a scenario was read from: the file itself or a scenario it extends.
#[derive(Debug, Clone)]
struct Layer {
    origin: String,
    text: String,
}

/// A scenario file read and deserialized, not yet validated.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// Where it came from: a path, or `embedded:NAME`.
    pub origin: String,
    /// SHA-256 of the file's own text, hex.
    pub sha256: String,
    /// The merged file; callers may override fields before [`Scenario::new`].
    pub file: ScenarioFile,
    /// The file first, then what it extends.
    layers: Vec<Layer>,
    /// The tables each strategy of `file` was made from.
    sources: Sources,
}

/// A validated scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub origin: String,
    pub sha256: String,
    /// The resolved file (merged and overridden), as the run used it.
    pub file: ScenarioFile,
    pub model: Model,
    /// A sweep's points (none without a `[sweep]`), each validated.
    pub sweep: Option<Sweep>,
}

/// The points of a scenario's `[sweep]`.
#[derive(Debug, Clone)]
pub struct Sweep {
    /// The parameters' paths and the points' values.
    pub design: Design,
    /// The point that the paired differences are taken against.
    pub baseline_point: u32,
    /// Each point's file (the scenario's, its values set) and model, in point order.
    pub points: Vec<(ScenarioFile, Model)>,
}

impl Scenario {
    /// Validates a loaded (and possibly overridden) scenario.
    pub fn new(loaded: Loaded) -> Result<Scenario, ScenarioError> {
        let model = validate(&loaded.file).map_err(|invalid| {
            locate(
                &loaded.layers,
                &loaded.sources,
                &invalid.path,
                &invalid.involves,
                invalid.message,
            )
        })?;
        let sweep = match &loaded.file.sweep {
            Some(section) => Some(sweep_points(&loaded, section)?),
            None => None,
        };
        Ok(Scenario {
            origin: loaded.origin,
            sha256: loaded.sha256,
            file: loaded.file,
            model,
            sweep,
        })
    }

    /// Loads and validates in one step.
    pub fn load(arg: &str) -> Result<Scenario, ScenarioError> {
        Scenario::new(load(arg)?)
    }

    /// The resolved scenario as TOML text (for the manifest).
    pub fn resolved_text(&self) -> String {
        toml::to_string(&self.file).unwrap_or_default()
    }
}

/// The points of `section`, each validated; an error is reported at the sweep's key (the
/// parameter's, where it concerns one) and names the point and its values.
fn sweep_points(loaded: &Loaded, section: &sweep::SweepSection) -> Result<Sweep, ScenarioError> {
    let layers = &loaded.layers;
    // The topmost file that writes the sweep holds its keys (and its design file's path).
    let layer = (0..layers.len())
        .find(|&l| span_of(&layers[l].text, "sweep").is_some())
        .unwrap_or(0);
    let at = |parameter: Option<&str>, message: String| {
        let text = &layers[layer].text;
        let offset = parameter
            .and_then(|p| key_offset(text, &["sweep", "parameters", p]))
            .or_else(|| key_offset(text, &["sweep"]));
        ScenarioError {
            origin: layers[layer].origin.clone(),
            line_column: offset.map(|o| line_column(text, o)),
            path: match parameter {
                Some(p) if section.parameters.contains_key(p) => {
                    Some(format!("sweep.parameters.{p:?}"))
                }
                Some(p) => Some(format!("sweep: {p}")),
                // The message names its key (`sweep.points is missing`).
                None if message.starts_with("sweep") => None,
                None => Some("sweep".to_string()),
            },
            message,
            inherited: Inherited::boxed(extended_by(layers, layer), None),
        }
    };
    let csv_text = match &section.file {
        Some(file) => {
            let origin = &layers[layer].origin;
            let dir = match origin.strip_prefix("embedded:") {
                Some(_) => PathBuf::new(),
                None => Path::new(origin)
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_default(),
            };
            let path = dir.join(file);
            let text = std::fs::read_to_string(&path).map_err(|e| {
                at(None, format!("sweep.file: cannot read {}: {e} (allowed: a CSV design, relative to this file)", path.display()))
            })?;
            Some(text)
        }
        None => None,
    };
    let design = Design::new(section, csv_text.as_deref(), loaded.file.run.seed)
        .map_err(|e| at(e.parameter.as_deref(), e.message))?;
    let mut points = Vec::with_capacity(design.points.len());
    for (i, values) in design.points.iter().enumerate() {
        let named = || {
            let values: Vec<String> = design
                .parameters
                .iter()
                .zip(values)
                .map(|(p, v)| format!("{p} = {v}"))
                .collect();
            format!("point {i} ({})", values.join(", "))
        };
        let file = sweep::point_file(&loaded.file, &design.parameters, values).map_err(|e| {
            at(
                e.parameter.as_deref(),
                format!("{}: {}", named(), e.message),
            )
        })?;
        let model = validate(&file).map_err(|invalid| {
            let parameter = design
                .parameters
                .iter()
                .find(|p| {
                    invalid
                        .path
                        .ends_with(p.rsplit('.').next().unwrap_or(p.as_str()))
                })
                .or_else(|| design.parameters.first());
            at(
                parameter.map(String::as_str),
                format!("{}: {}: {}", named(), invalid.path, invalid.message),
            )
        })?;
        points.push((file, model));
    }
    Ok(Sweep {
        baseline_point: section.baseline_point.unwrap_or(0),
        design,
        points,
    })
}

/// The byte offset of the key reached by following `keys` literally (a key may hold dots:
/// `"connects.price_usd"`), in `text`.
fn key_offset(text: &str, keys: &[&str]) -> Option<usize> {
    use toml::de::{DeTable, DeValue};
    let doc = DeTable::parse(text).ok()?;
    let mut table: &DeTable = doc.get_ref();
    let mut offset = None;
    for (i, key) in keys.iter().enumerate() {
        let (k, v) = table.iter().find(|(k, _)| k.get_ref().as_ref() == *key)?;
        offset = Some(k.span().start);
        match v.get_ref() {
            DeValue::Table(t) => table = t,
            _ if i + 1 == keys.len() => {}
            _ => return None,
        }
    }
    offset
}

/// The text of an embedded scenario.
pub fn embedded(name: &str) -> Option<&'static str> {
    EMBEDDED.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// Reads a scenario: `arg` is a path, or the name of an embedded scenario when no file of
/// that name exists.
pub fn load(arg: &str) -> Result<Loaded, ScenarioError> {
    let (origin, text, dir) = read_source(arg, None)?;
    load_layers(Layer { origin, text }, dir)
}

/// Reads a scenario from its text; `origin` names it in errors. An `extends` is resolved
/// as an embedded name or relative to the working directory.
pub fn load_text(origin: &str, text: &str) -> Result<Loaded, ScenarioError> {
    let layer = Layer {
        origin: origin.to_string(),
        text: text.to_string(),
    };
    load_layers(layer, None)
}

fn load_layers(first: Layer, dir: Option<PathBuf>) -> Result<Loaded, ScenarioError> {
    let sha256 = hex(&Sha256::digest(first.text.as_bytes()));
    let mut tables = vec![parse_table(&first)?];
    let mut layers = vec![first];
    let mut base_dir = dir;
    // Read the chain of `extends`, the file first.
    while let Some(base) = tables
        .last()
        .and_then(|t| t.get("extends"))
        .and_then(|v| v.as_str())
        .map(str::to_owned)
    {
        if layers.len() > MAX_EXTENDS_DEPTH {
            return Err(locate(
                &layers,
                &Sources::default(),
                "extends",
                &[],
                format!("more than {MAX_EXTENDS_DEPTH} levels of `extends` (is there a cycle?)"),
            ));
        }
        // An embedded scenario's base is embedded too: it never depends on the working
        // directory's files.
        let within = layers
            .last()
            .is_some_and(|l| l.origin.starts_with("embedded:"));
        let source = match embedded(&base) {
            Some(text) if within => Ok((format!("embedded:{base}"), text.to_string(), None)),
            _ => read_source(&base, base_dir.as_deref()),
        };
        let (origin, text, dir) = source.map_err(|e| {
            let top = layers.last().map(|l| l.origin.clone()).unwrap_or_default();
            ScenarioError {
                origin: top,
                line_column: None,
                path: Some("extends".into()),
                message: format!(
                    "cannot use {base:?} as a base: {} (allowed: an embedded scenario name or a path relative to this file)",
                    e.message
                ),
                inherited: None,
            }
        })?;
        let layer = Layer { origin, text };
        tables.push(parse_table(&layer)?);
        layers.push(layer);
        base_dir = dir;
    }
    // Merge each file over its base, from the last base up to the file itself.
    let refused = |r: compose::Refused| locate_in(&layers, r.layer, &r.path, r.message);
    let mut table = tables.pop().unwrap_or_default();
    let mut sources = compose::start(&table, tables.len()).map_err(refused)?;
    while let Some(over) = tables.pop() {
        compose::extend(&mut table, over, tables.len(), &mut sources).map_err(refused)?;
    }
    let file: ScenarioFile = serde_path_to_error::deserialize(table).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().message().to_string();
        let path = if path == "." { "" } else { &path };
        locate(&layers, &sources, path, &[], message)
    })?;
    Ok(Loaded {
        origin: layers[0].origin.clone(),
        sha256,
        file,
        layers,
        sources,
    })
}

/// Reads a path, or an embedded scenario's text; returns (origin, text, directory).
fn read_source(
    arg: &str,
    relative_to: Option<&Path>,
) -> Result<(String, String, Option<PathBuf>), ScenarioError> {
    let path = match relative_to {
        Some(dir) => dir.join(arg),
        None => PathBuf::from(arg),
    };
    // A directory of that name (a run's output, say) does not hide an embedded scenario.
    if !path.is_file()
        && let Some(text) = embedded(arg)
    {
        return Ok((format!("embedded:{arg}"), text.to_string(), None));
    }
    let origin = path.display().to_string();
    // Only a regular file of a scenario's size is read: a FIFO or a device would block or
    // never end.
    let refuse = |message: String| ScenarioError {
        origin: origin.clone(),
        line_column: None,
        path: None,
        message,
        inherited: None,
    };
    if let Ok(meta) = std::fs::metadata(&path) {
        if !meta.is_file() {
            return Err(refuse(
                "cannot read the scenario: not a regular file (allowed: a TOML file)".into(),
            ));
        }
        if meta.len() > MAX_SCENARIO_BYTES {
            return Err(refuse(format!(
                "cannot read the scenario: {} bytes (allowed: at most {MAX_SCENARIO_BYTES} bytes)",
                meta.len()
            )));
        }
    }
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let dir = path.parent().map(Path::to_path_buf);
            Ok((origin, text, dir))
        }
        Err(e) => {
            let names: Vec<&str> = EMBEDDED.iter().map(|(n, _)| *n).collect();
            Err(ScenarioError {
                origin,
                line_column: None,
                path: None,
                message: format!(
                    "cannot read the scenario: {e} (allowed: a TOML file, or an embedded scenario: {})",
                    names.join(", ")
                ),
                inherited: None,
            })
        }
    }
}

fn parse_table(layer: &Layer) -> Result<toml::Table, ScenarioError> {
    toml::from_str::<toml::Table>(&layer.text).map_err(|e| ScenarioError {
        origin: layer.origin.clone(),
        line_column: e.span().map(|s| line_column(&layer.text, s.start)),
        path: None,
        message: format!("not valid TOML: {}", e.message().trim()),
        inherited: None,
    })
}

/// Where a path of the merged file was written: a layer, the byte offset of the deepest
/// item of the path found there, and whether the whole path was.
struct Place {
    layer: usize,
    offset: Option<usize>,
    complete: bool,
}

/// Where the value at `path` of the merged file was written: the topmost layer that has the
/// whole path (for a strategy, among the layers whose tables made it), else the deepest
/// part of it in the topmost layer that could have it.
fn find(layers: &[Layer], sources: &Sources, path: &str) -> Place {
    let strategy = path.strip_prefix("strategies[").and_then(|rest| {
        let (index, rest) = rest.split_once(']')?;
        let tables = sources.of(index.parse().ok()?);
        (!tables.is_empty()).then_some((tables, rest))
    });
    let candidates: Vec<(usize, String)> = match strategy {
        Some((tables, rest)) => tables
            .iter()
            .map(|&(layer, j)| (layer, format!("strategies[{j}]{rest}")))
            .collect(),
        None => (0..layers.len()).map(|l| (l, path.to_string())).collect(),
    };
    let spans: Vec<(usize, Option<(usize, bool)>)> = candidates
        .iter()
        .map(|(layer, p)| (*layer, span_of(&layers[*layer].text, p)))
        .collect();
    let complete = spans.iter().find_map(|&(layer, span)| match span {
        Some((offset, true)) => Some(Place {
            layer,
            offset: Some(offset),
            complete: true,
        }),
        _ => None,
    });
    complete.unwrap_or_else(|| {
        let (layer, span) = spans.first().copied().unwrap_or((0, None));
        Place {
            layer,
            offset: span.map(|(offset, _)| offset),
            complete: false,
        }
    })
}

/// Builds the error for `path` of the merged file. It is reported where the value was
/// written, unless one of the other fields the rule `involves` was written in a file above
/// that one (closer to the file given): then at that key, which made the value invalid.
fn locate(
    layers: &[Layer],
    sources: &Sources,
    path: &str,
    involves: &[String],
    message: String,
) -> ScenarioError {
    let value = find(layers, sources, path);
    let trigger = involves
        .iter()
        .map(|p| find(layers, sources, p))
        .filter(|p| p.complete && p.layer < value.layer)
        .min_by_key(|p| p.layer);
    let (at, value_at) = match trigger {
        Some(at) => (at, Some(position(layers, &value))),
        None => (value, None),
    };
    ScenarioError {
        origin: layers[at.layer].origin.clone(),
        line_column: at.offset.map(|o| line_column(&layers[at.layer].text, o)),
        path: (!path.is_empty()).then(|| path.to_string()),
        message,
        inherited: Inherited::boxed(extended_by(layers, at.layer), value_at),
    }
}

/// Builds the error for `path` as written in layer `layer` (a composition refused).
fn locate_in(layers: &[Layer], layer: usize, path: &str, message: String) -> ScenarioError {
    let text = &layers[layer].text;
    ScenarioError {
        origin: layers[layer].origin.clone(),
        line_column: span_of(text, path).map(|(o, _)| line_column(text, o)),
        path: (!path.is_empty()).then(|| path.to_string()),
        message,
        inherited: Inherited::boxed(extended_by(layers, layer), None),
    }
}

/// `my.toml:1:1`, the file given and its `extends`, for an error in a layer below it.
fn extended_by(layers: &[Layer], layer: usize) -> Option<String> {
    (layer > 0).then(|| {
        position(
            layers,
            &Place {
                layer: 0,
                offset: span_of(&layers[0].text, "extends").map(|(o, _)| o),
                complete: true,
            },
        )
    })
}

/// `origin:line:column` of a place.
fn position(layers: &[Layer], place: &Place) -> String {
    let layer = &layers[place.layer];
    match place.offset {
        Some(o) => {
            let (line, column) = line_column(&layer.text, o);
            format!("{}:{line}:{column}", layer.origin)
        }
        None => layer.origin.clone(),
    }
}

/// The byte offset of the deepest item of `path` found in `text`, and whether the whole
/// path was found.
fn span_of(text: &str, path: &str) -> Option<(usize, bool)> {
    use toml::de::{DeTable, DeValue};
    let doc = DeTable::parse(text).ok()?;
    let mut table: &DeTable = doc.get_ref();
    let mut value: Option<&DeValue> = None;
    let mut offset = None;
    for segment in path_segments(path) {
        let next = match (segment, value) {
            (Segment::Key(key), None | Some(DeValue::Table(_))) => {
                if let Some(DeValue::Table(t)) = value {
                    table = t;
                }
                table
                    .iter()
                    .find(|(k, _)| k.get_ref().as_ref() == key)
                    .map(|(k, v)| (k.span().start, v.get_ref()))
            }
            (Segment::Index(i), Some(DeValue::Array(items))) => {
                items.get(i).map(|v| (v.span().start, v.get_ref()))
            }
            _ => None,
        };
        match next {
            Some((start, v)) => {
                offset = Some(start);
                value = Some(v);
            }
            None => return offset.map(|o| (o, false)),
        }
    }
    offset.map(|o| (o, true))
}

enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

/// Splits `strategies[2].boost.fixed` into keys and indices.
fn path_segments(path: &str) -> impl Iterator<Item = Segment<'_>> {
    path.split('.').filter(|s| !s.is_empty()).flat_map(|part| {
        let mut pieces = part.split('[');
        let key = pieces.next().unwrap_or("");
        let key = (!key.is_empty()).then_some(Segment::Key(key));
        key.into_iter()
            .chain(pieces.filter_map(|p| p.trim_end_matches(']').parse().ok().map(Segment::Index)))
    })
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    use proptest::prelude::*;

    /// One random mutation of a scenario's text.
    #[derive(Debug, Clone)]
    enum Mutation {
        DeleteLine(usize),
        SwapValues(usize, usize),
        ReplaceValue(usize, String),
        InsertBytes(usize, Vec<u8>),
        DuplicateLine(usize),
    }

    fn mutation() -> impl Strategy<Value = Mutation> {
        let value = prop_oneof![
            Just("-1".to_string()),
            Just("1e308".to_string()),
            Just("-1e308".to_string()),
            Just("nan".to_string()),
            Just("inf".to_string()),
            Just("0".to_string()),
            Just("4294967296".to_string()),
            Just("9223372036854775807".to_string()),
            Just("\"x\"".to_string()),
            Just("[]".to_string()),
            Just("{}".to_string()),
            Just("{ beta = { a = 0.0, b = 1.0 } }".to_string()),
            Just("{ constant = -3 }".to_string()),
            any::<i64>().prop_map(|v| v.to_string()),
            any::<f64>().prop_map(|v| format!("{v:?}")),
        ];
        prop_oneof![
            any::<usize>().prop_map(Mutation::DeleteLine),
            (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapValues(a, b)),
            (any::<usize>(), value).prop_map(|(a, v)| Mutation::ReplaceValue(a, v)),
            (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..8))
                .prop_map(|(a, b)| Mutation::InsertBytes(a, b)),
            any::<usize>().prop_map(Mutation::DuplicateLine),
        ]
    }

    fn apply(text: &str, m: &Mutation) -> String {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let n = lines.len();
        let value_of = |l: &str| l.split_once('=').map(|(_, v)| v.to_string());
        match m {
            Mutation::DeleteLine(i) => {
                lines.remove(i % n);
            }
            Mutation::DuplicateLine(i) => {
                let l = lines[i % n].clone();
                lines.insert(i % n, l);
            }
            Mutation::SwapValues(a, b) => {
                let (a, b) = (a % n, b % n);
                if let (Some(va), Some(vb)) = (value_of(&lines[a]), value_of(&lines[b])) {
                    let ka = lines[a].split_once('=').map_or("", |(k, _)| k).to_string();
                    let kb = lines[b].split_once('=').map_or("", |(k, _)| k).to_string();
                    lines[a] = format!("{ka}={vb}");
                    lines[b] = format!("{kb}={va}");
                }
            }
            Mutation::ReplaceValue(a, v) => {
                let a = a % n;
                if let Some((k, _)) = lines[a].split_once('=') {
                    lines[a] = format!("{k}= {v}");
                }
            }
            Mutation::InsertBytes(a, bytes) => {
                let mut joined = lines.join("\n").into_bytes();
                let at = a % joined.len();
                joined.splice(at..at, bytes.iter().copied());
                return String::from_utf8_lossy(&joined).into_owned();
            }
        }
        lines.join("\n")
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

        /// Thousands of random mutations of default.toml: loading and validating never
        /// panics, and every error names the file.
        #[test]
        fn the_validator_never_panics(ms in proptest::collection::vec(mutation(), 1..4)) {
            let mut text = embedded("default").unwrap_or_default().to_string();
            for m in &ms {
                text = apply(&text, m);
            }
            let result = load_text("mutated.toml", &text).and_then(Scenario::new);
            if let Err(e) = result {
                prop_assert!(e.to_string().starts_with("mutated.toml") || e.to_string().starts_with("embedded:"));
                prop_assert!(!e.message.is_empty());
            }
        }
    }

    #[test]
    fn errors_name_the_line_and_the_path() {
        let text = embedded("default")
            .unwrap()
            .replacen("apply_prob = 0.8", "apply_prob = 1.8", 1);
        let e = load_text("x.toml", &text)
            .and_then(Scenario::new)
            .unwrap_err();
        let line = text.lines().position(|l| l.contains("1.8")).unwrap() + 1;
        assert_eq!(e.line_column, Some((line, 1)));
        assert_eq!(e.path.as_deref(), Some("strategies[1].apply_prob"));
        assert_eq!(
            e.to_string(),
            format!(
                "x.toml:{line}:1: strategies[1].apply_prob: 1.8 is not a probability (allowed: 0 to 1)"
            )
        );
    }

    #[test]
    fn extends_merges_tables_and_replaces_arrays() {
        let text = "extends = \"default\"\nname = \"x\"\ndescription = \"d\"\n[boost]\npricing = \"second\"\n";
        let s = Scenario::new(load_text("x.toml", text).unwrap()).unwrap();
        assert_eq!(s.model.boost.pricing, model::Pricing::Second);
        assert_eq!(s.model.boost.slots, 4);
        assert_eq!(s.model.strategies.len(), 7);
        // An error in the base is reported in the base.
        let bad = "extends = \"default\"\nname = \"x\"\ndescription = \"d\"\n[boost]\nslotz = 3\n";
        let e = load_text("x.toml", bad).unwrap_err();
        assert_eq!(e.path.as_deref(), Some("boost.slotz"));
        assert_eq!(e.origin, "x.toml");
    }

    #[test]
    fn extends_chains_are_followed() {
        let text = "extends = \"smoke\"\nname = \"x\"\ndescription = \"d\"\n[run]\nmonths = 5\n";
        let s = Scenario::new(load_text("x.toml", text).unwrap()).unwrap();
        // months from x, agents from smoke, the tiers from default.
        assert_eq!(s.model.months, 5);
        assert_eq!(s.model.population.agents, 300);
        assert_eq!(s.model.tiers.len(), 3);
        let cycle = "extends = \"x.toml\"\nname = \"x\"\ndescription = \"d\"\n";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.toml");
        std::fs::write(&path, cycle).unwrap();
        let e = load(path.to_str().unwrap()).unwrap_err();
        assert!(e.message.contains("levels of `extends`"), "{e}");
    }

    /// `extends = "default"` and a name, then `body`.
    fn over_default(body: &str) -> Result<Scenario, ScenarioError> {
        let text = format!("extends = \"default\"\nname = \"x\"\ndescription = \"d\"\n{body}");
        load_text("x.toml", &text).and_then(Scenario::new)
    }

    fn strategy_names(s: &Scenario) -> Vec<&str> {
        s.file.strategies.iter().map(|s| s.name.as_str()).collect()
    }

    #[test]
    fn a_share_given_by_name_replaces_the_base_s_count() {
        let names = [
            "spray",
            "selective",
            "boost-large",
            "speed-first",
            "auto-bidder",
            "plus-selective",
            "frugal",
        ];
        let body: String = names
            .iter()
            .zip([0.2, 0.1, 0.1, 0.1, 0.2, 0.1, 0.2])
            .map(|(name, share)| format!("[[strategies]]\nname = \"{name}\"\nshare = {share}\n"))
            .collect();
        let s = over_default(&body).unwrap();
        let agents: Vec<u32> = s.model.strategies.iter().map(|s| s.agents).collect();
        assert_eq!(agents, [1000, 500, 500, 500, 1000, 500, 1000]);
        assert!(s.file.strategies.iter().all(|s| s.agents.is_none()));
    }

    #[test]
    fn composition_keys_need_a_file_to_extend() {
        let text = format!(
            "remove_strategies = [\"frugal\"]\n{}",
            embedded("default").unwrap()
        );
        let e = load_text("x.toml", &text).unwrap_err();
        assert_eq!(e.path.as_deref(), Some("remove_strategies"));
        assert_eq!(e.line_column, Some((1, 1)));
        assert!(e.message.contains("extends another"), "{e}");
    }

    #[test]
    fn a_boost_policy_changed_by_name_replaces_the_base_s_whole() {
        let s = over_default(
            "[[strategies]]\nname = \"boost-large\"\nboost = { fixed = { connects = 5 } }\n",
        )
        .unwrap();
        let i = strategy_names(&s)
            .iter()
            .position(|n| *n == "boost-large")
            .unwrap();
        assert_eq!(
            s.model.strategies[i].boost,
            model::Boost::Fixed {
                connects: 5,
                tiers: model::TierSet::ALL
            }
        );
    }

    #[test]
    fn a_name_removed_and_restated_is_restated_whole_at_the_end() {
        let s = over_default(
            "remove_strategies = [\"spray\"]\n[[strategies]]\nname = \"spray\"\nagents = 500\n\
             plan = \"basic\"\nposts_per_day = 1.0\napply_prob = 0.5\n\
             response_delay_hours = { constant = 1.0 }\nquality = { constant = 0.5 }\n",
        )
        .unwrap();
        let names = strategy_names(&s);
        assert_eq!(names.last(), Some(&"spray"));
        assert_eq!(names.len(), 7);
        // Not merged with the default's spray, which buys bundles.
        assert_eq!(s.file.strategies[6].bundle_budget_usd, 0.0);
    }

    #[test]
    fn a_whole_list_replaces_only_when_written_out() {
        let list = "[population]\nagents = 500\n[[strategies]]\nname = \"spray\"\nagents = 500\n\
                    plan = \"basic\"\nposts_per_day = 1.0\napply_prob = 0.5\n\
                    response_delay_hours = { constant = 1.0 }\nquality = { constant = 0.5 }\n";
        let s = over_default(&format!("replace_strategies = true\n{list}")).unwrap();
        assert_eq!(strategy_names(&s), ["spray"]);
        // Without it the table changes the default's spray, and the count no longer adds up.
        let e = over_default(list).unwrap_err();
        assert_eq!(e.path.as_deref(), Some("population.agents"));
        assert!(
            e.message.contains("the 7 strategies, which add up to 5000"),
            "{e}"
        );
    }

    #[test]
    fn a_chain_composes_from_the_last_base_up() {
        // The middle file changes spray; the file removes frugal, which only the default has.
        let dir = tempfile::tempdir().unwrap();
        let middle = "extends = \"default\"\nname = \"m\"\ndescription = \"d\"\n\
                      [[strategies]]\nname = \"spray\"\napply_prob = 0.5\n";
        std::fs::write(dir.path().join("middle.toml"), middle).unwrap();
        let top = "extends = \"middle.toml\"\nname = \"t\"\ndescription = \"d\"\n\
                   remove_strategies = [\"frugal\"]\n[population]\nagents = 3000\n";
        let path = dir.path().join("top.toml");
        std::fs::write(&path, top).unwrap();
        let s = Scenario::load(path.to_str().unwrap()).unwrap();
        assert_eq!(strategy_names(&s).len(), 6);
        assert_eq!(s.file.strategies[0].apply_prob, 0.5);
        // An error in the middle file's spray is located there, through the merge.
        let bad = middle.replace("0.5", "1.5");
        std::fs::write(dir.path().join("middle.toml"), bad).unwrap();
        let e = Scenario::load(path.to_str().unwrap()).unwrap_err();
        assert!(e.origin.ends_with("middle.toml"), "{e}");
        assert_eq!(e.line_column, Some((6, 1)));
        assert_eq!(e.path.as_deref(), Some("strategies[0].apply_prob"));
        assert!(
            e.to_string()
                .contains(&format!("(extended by {}:1:1)", path.display())),
            "{e}"
        );
    }

    #[test]
    fn embedded_scenarios_validate() {
        for (name, _) in EMBEDDED {
            let s = Scenario::load(name).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(&s.file.name, name);
        }
    }
}
