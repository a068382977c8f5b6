//! Composition: a scenario file merged over the scenario it `extends`, as
//! [`ScenarioFile`](super::ScenarioFile)'s `extends` documents it.
//!
//! Tables merge key by key; a distribution, and anything that is not a table, replaces the
//! base's value whole. The strategies are the exception: an extending file's
//! `[[strategies]]` tables change, add or (with `remove_strategies`) remove the base's
//! strategies by name. Each strategy of the merged file remembers the tables it was made
//! from ([`Sources`]), so that an error in the merged file can be reported in the file,
//! and at the line, that wrote the value.

use std::collections::BTreeSet;

use toml::{Table, Value};

use super::dist;

/// The top-level key that removes strategies of the base by name.
pub(super) const REMOVE: &str = "remove_strategies";
/// The top-level key that makes the file's `[[strategies]]` replace the base's whole.
pub(super) const REPLACE: &str = "replace_strategies";

/// Where each strategy of the merged file was written: for strategy `i`, the (layer, index
/// of the table in that layer's `[[strategies]]`) it was made from, the topmost layer
/// first (layer 0 is the file itself, layer 1 the scenario it extends, …).
#[derive(Debug, Clone, Default)]
pub(super) struct Sources(Vec<Vec<(usize, usize)>>);

impl Sources {
    /// The tables strategy `i` of the merged file was made from, the topmost first.
    pub(super) fn of(&self, i: usize) -> &[(usize, usize)] {
        self.0.get(i).map_or(&[], Vec::as_slice)
    }
}

/// A composition refused: the layer, the path as written in that layer, and the message.
#[derive(Debug)]
pub(super) struct Refused {
    pub layer: usize,
    pub path: String,
    pub message: String,
}

fn refuse<T>(layer: usize, path: impl Into<String>, message: String) -> Result<T, Refused> {
    Err(Refused {
        layer,
        path: path.into(),
        message,
    })
}

/// The last layer of a chain, which extends nothing: its strategies are its own.
pub(super) fn start(table: &Table, layer: usize) -> Result<Sources, Refused> {
    for key in [REMOVE, REPLACE] {
        if table.contains_key(key) {
            return refuse(
                layer,
                key,
                "is only meaningful in a file that extends another (allowed: beside `extends = \"NAME\"`, or not at all)".into(),
            );
        }
    }
    let count = match table.get("strategies") {
        Some(Value::Array(items)) => items.len(),
        _ => 0,
    };
    Ok(Sources((0..count).map(|j| vec![(layer, j)]).collect()))
}

/// Merges `over`, the table of layer `layer`, into `base`, the merge of the layers below it.
pub(super) fn extend(
    base: &mut Table,
    mut over: Table,
    layer: usize,
    sources: &mut Sources,
) -> Result<(), Refused> {
    over.remove("extends");
    strategies(base, &mut over, layer, sources)?;
    merge(base, over);
    Ok(())
}

/// Takes `[[strategies]]`, `remove_strategies` and `replace_strategies` out of `over` and
/// applies them to the base's strategies.
fn strategies(
    base: &mut Table,
    over: &mut Table,
    layer: usize,
    sources: &mut Sources,
) -> Result<(), Refused> {
    let replace = match over.remove(REPLACE) {
        None => None,
        Some(Value::Boolean(b)) => Some(b),
        Some(other) => {
            return refuse(
                layer,
                REPLACE,
                format!("{other} is not allowed (allowed: true or false)"),
            );
        }
    };
    let removals = names_to_remove(over.remove(REMOVE), layer)?;
    if replace == Some(true) && !removals.is_empty() {
        return refuse(
            layer,
            REMOVE,
            format!(
                "is not allowed with {REPLACE} = true, which drops every strategy of the base (allowed: one of the two)"
            ),
        );
    }
    let tables = match over.remove("strategies") {
        Some(Value::Array(tables)) => tables,
        // Not an array: it replaces the base's value, for the type check to report.
        Some(other) => {
            over.insert("strategies".into(), other);
            *sources = Sources::default();
            return Ok(());
        }
        None if replace == Some(true) => {
            return refuse(
                layer,
                REPLACE,
                "is true but this file has no [[strategies]] (allowed: [[strategies]] tables listing every strategy, or false)".into(),
            );
        }
        None => Vec::new(),
    };
    if replace == Some(true) {
        *sources = Sources((0..tables.len()).map(|j| vec![(layer, j)]).collect());
        base.insert("strategies".into(), Value::Array(tables));
        return Ok(());
    }

    let mut list = match base.remove("strategies") {
        Some(Value::Array(list)) => list,
        _ => Vec::new(),
    };
    let position = |list: &[Value], name: &str| list.iter().position(|s| name_of(s) == Some(name));
    let base_names: Vec<&str> = list.iter().filter_map(name_of).collect();
    let base_names = base_names.join(", ");
    for (k, name) in removals.iter().enumerate() {
        let Some(i) = position(&list, name) else {
            let message = if removals[..k].contains(name) {
                format!("{name:?} is listed twice (allowed: each name once)")
            } else {
                format!("no strategy of the base is named {name:?} (allowed: {base_names})")
            };
            return refuse(layer, format!("{REMOVE}[{k}]"), message);
        };
        list.remove(i);
        sources.0.remove(i);
    }
    if list.is_empty() && tables.is_empty() && !removals.is_empty() {
        return refuse(
            layer,
            REMOVE,
            "removes every strategy of the base and adds none (allowed: keep at least one, or add one with [[strategies]])".into(),
        );
    }
    let mut seen = BTreeSet::new();
    for (j, value) in tables.into_iter().enumerate() {
        let path = format!("strategies[{j}]");
        let Value::Table(table) = value else {
            return refuse(
                layer,
                path,
                format!("{value} is not allowed (allowed: [[strategies]] tables)"),
            );
        };
        let name = match table.get("name") {
            Some(Value::String(name)) => name.clone(),
            Some(other) => {
                return refuse(
                    layer,
                    format!("{path}.name"),
                    format!("{other} is not allowed (allowed: the strategy's name, a string)"),
                );
            }
            None => {
                return refuse(
                    layer,
                    path,
                    format!(
                        "has no name (allowed: in a file that extends another, every [[strategies]] table names the strategy it changes or adds; the base's are {base_names})"
                    ),
                );
            }
        };
        if !seen.insert(name.clone()) {
            return refuse(
                layer,
                format!("{path}.name"),
                format!(
                    "{name:?} is given twice in this file (allowed: one [[strategies]] table a name; its keys change the strategy of that name, or add it)"
                ),
            );
        }
        match position(&list, &name) {
            Some(i) => {
                if let Some(Value::Table(strategy)) = list.get_mut(i) {
                    merge_strategy(strategy, table);
                }
                sources.0[i].insert(0, (layer, j));
            }
            None => {
                list.push(Value::Table(table));
                sources.0.push(vec![(layer, j)]);
            }
        }
    }
    base.insert("strategies".into(), Value::Array(list));
    Ok(())
}

/// `remove_strategies = ["frugal", …]`: the names, in order.
fn names_to_remove(value: Option<Value>, layer: usize) -> Result<Vec<String>, Refused> {
    let allowed = "(allowed: a list of the base's strategy names, such as [\"frugal\"])";
    match value {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .map(|(k, item)| match item {
                Value::String(name) => Ok(name),
                other => refuse(
                    layer,
                    format!("{REMOVE}[{k}]"),
                    format!("{other} is not allowed {allowed}"),
                ),
            })
            .collect(),
        Some(other) => refuse(layer, REMOVE, format!("{other} is not allowed {allowed}")),
    }
}

fn name_of(strategy: &Value) -> Option<&str> {
    strategy.get("name")?.as_str()
}

/// Merges a strategy's table over the base's strategy of the same name: key by key, but its
/// `boost` policy, like a distribution, replaces the base's whole, and its `agents` or
/// `share` replaces the base's `share` or `agents`.
fn merge_strategy(base: &mut Table, mut over: Table) {
    if let Some(boost) = over.remove("boost") {
        base.insert("boost".into(), boost);
    }
    // A count and a share say one thing two ways: the one given replaces the other.
    for (given, other) in [("share", "agents"), ("agents", "share")] {
        if over.contains_key(given) {
            base.remove(other);
        }
    }
    merge(base, over);
}

/// Merges `over` into `base`: tables key by key, but a distribution (a one-key table
/// naming its kind) and anything that is not a table replace the base's value whole.
fn merge(base: &mut Table, over: Table) {
    let is_distribution =
        |t: &Table| t.len() == 1 && t.keys().all(|k| dist::KINDS.contains(&k.as_str()));
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(Value::Table(b)), Value::Table(o)) if !is_distribution(&o) => merge(b, o),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}
