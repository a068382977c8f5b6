//! `report.html`: one page per run that a browser opens offline, with nothing to fetch:
//! the scenario's name and SHA-256, the run's manifest, the summary table (each strategy's
//! metrics as mean [95% interval] and n), the market summary when the run directory has
//! one, and every chart, its SVG inlined (with links to the PNG and SVG files beside it).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::atomic::{WriteError, write_file_atomically};
use crate::calibration::{CalibrationRow, format_value, interval_text, range_text};
use crate::charts::CHARTS;
use crate::results::{MarketSummaryRow, RunData, RunDirError, SummaryRow, files, read_csv};

/// The report's file name.
pub const REPORT: &str = "report.html";

/// A report that could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// `market_summary.csv` exists but cannot be read.
    #[error(transparent)]
    RunDir(#[from] RunDirError),
    /// A chart's SVG exists but cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Chart {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// Writes `<out_dir>/report.html` for the run `data` with its `manifest` (the parsed
/// `manifest.json`), inlining the charts' SVG files found in `out_dir`; returns its path.
pub fn write_report(
    data: &RunData,
    manifest: &serde_json::Value,
    out_dir: &Path,
) -> Result<PathBuf, ReportError> {
    let market_path = data.dir.join(files::MARKET_SUMMARY);
    let market: Vec<MarketSummaryRow> = if market_path.exists() {
        read_csv(&market_path)?
    } else {
        Vec::new()
    };
    let calibration_path = data.dir.join(files::CALIBRATION);
    let calibration: Vec<CalibrationRow> = if calibration_path.exists() {
        read_csv(&calibration_path)?
    } else {
        Vec::new()
    };
    let mut charts = Vec::new();
    for name in CHARTS {
        let path = out_dir.join(format!("{name}.svg"));
        let svg = if path.exists() {
            Some(
                std::fs::read_to_string(&path).map_err(|source| ReportError::Chart {
                    path: path.clone(),
                    source,
                })?,
            )
        } else {
            None
        };
        charts.push((name, svg));
    }
    let path = out_dir.join(REPORT);
    let html = render(data, manifest, &market, &calibration, &charts);
    write_file_atomically(&path, html.as_bytes())?;
    Ok(path)
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'DejaVu Sans',sans-serif;\
margin:2em auto;max-width:1400px;padding:0 1em;color:#222}\
h1{margin-bottom:.2em}code{font-size:.95em}\
table{border-collapse:collapse;margin:1em 0;font-size:.92em}\
th,td{border:1px solid #ccc;padding:.3em .6em;text-align:right;vertical-align:top}\
th:first-child,td:first-child{text-align:left}thead th{background:#f2f2f2}\
.ci{color:#666;font-size:.85em;white-space:nowrap}.note{color:#555}\
figure{margin:2em 0}figure svg{width:100%;height:auto;border:1px solid #eee}\
figcaption{color:#555}pre{background:#f7f7f7;padding:1em;overflow:auto}";

/// The report's HTML from its parts; `charts` pairs each chart's name with its SVG text,
/// if drawn.
fn render(
    data: &RunData,
    manifest: &serde_json::Value,
    market: &[MarketSummaryRow],
    calibration: &[CalibrationRow],
    charts: &[(&str, Option<String>)],
) -> String {
    let name = escape(&data.scenario);
    let sha = escape(manifest["scenario"]["sha256"].as_str().unwrap_or("unknown"));
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>connectsim: {name}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>{name}</h1>\n<p class=\"note\">connectsim run of the scenario <b>{name}</b>, \
         scenario file SHA-256 <code>{sha}</code></p>\n"
    );
    html.push_str(&manifest_table(manifest));
    if !calibration.is_empty() {
        html.push_str(&calibration_table(calibration));
    }
    html.push_str(&summary_table(&data.summary));
    if !market.is_empty() {
        html.push_str(&market_table(market));
    }
    html.push_str("<h2>Charts</h2>\n");
    for (chart, svg) in charts {
        match svg {
            Some(svg) => {
                let _ = write!(
                    html,
                    "<figure id=\"{chart}\">\n{}\n<figcaption>{chart}: \
                     <a href=\"{chart}.png\">PNG</a>, <a href=\"{chart}.svg\">SVG</a>\
                     </figcaption>\n</figure>\n",
                    svg_element(svg)
                );
            }
            None => {
                let _ = writeln!(
                    html,
                    "<p class=\"note\">{chart}: not drawn; <code>connectsim plot</code> \
                     on the run directory draws it.</p>"
                );
            }
        }
    }
    html.push_str("</body>\n</html>\n");
    html
}

/// The `<svg>` element of an SVG file, without any XML declaration before it.
fn svg_element(svg: &str) -> &str {
    svg.find("<svg").map_or(svg, |start| &svg[start..])
}

/// The manifest's scalar fields (and the scenario's, but its name and hash, which the
/// heading shows) as a table; multi-line texts (the resolved scenario) folded below it.
fn manifest_table(manifest: &serde_json::Value) -> String {
    let mut fields: Vec<(String, &serde_json::Value)> = Vec::new();
    if let Some(top) = manifest.as_object() {
        fields.extend(top.iter().map(|(k, v)| (k.clone(), v)));
    }
    if let Some(scenario) = manifest["scenario"].as_object() {
        fields.extend(
            scenario
                .iter()
                .filter(|(k, _)| !matches!(k.as_str(), "name" | "sha256"))
                .map(|(k, v)| (format!("scenario.{k}"), v)),
        );
    }
    let mut table = String::from("<h2>Run</h2>\n<table>\n");
    let mut texts = String::new();
    for (key, value) in fields {
        let key = escape(&key);
        match value {
            serde_json::Value::String(s) if s.contains('\n') => {
                let _ = writeln!(
                    texts,
                    "<details><summary>{key}</summary><pre>{}</pre></details>",
                    escape(s)
                );
            }
            serde_json::Value::String(s) => {
                let _ = writeln!(table, "<tr><th>{key}</th><td>{}</td></tr>", escape(s));
            }
            serde_json::Value::Number(_) | serde_json::Value::Bool(_) => {
                let _ = writeln!(table, "<tr><th>{key}</th><td>{value}</td></tr>");
            }
            _ => {}
        }
    }
    table.push_str("</table>\n");
    table + &texts
}

/// `v` with four significant digits.
fn number(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let digits = v.abs().log10().floor() as i32;
    let decimals = (3 - digits).clamp(0, 6) as usize;
    format!("{v:.decimals$}")
}

/// A table cell: the mean, then its interval and n in small print.
fn cell(mean: Option<f64>, low: Option<f64>, high: Option<f64>, n: u32) -> String {
    let Some(mean) = mean else {
        return format!("<td>–<br><span class=\"ci\">n = {n}</span></td>");
    };
    let interval = match (low, high) {
        (Some(low), Some(high)) => format!("[{}, {}] ", number(low), number(high)),
        _ => String::new(),
    };
    format!(
        "<td>{}<br><span class=\"ci\">{interval}n = {n}</span></td>",
        number(mean)
    )
}

/// `calibration.csv`: each target with its range, the simulated value, its interval, the
/// replications and the verdict.
fn calibration_table(rows: &[CalibrationRow]) -> String {
    let mut table = String::from(
        "<h2>Calibration</h2>\n<p class=\"note\">MODEL.md's calibration targets against this \
         scenario and its paired counterfactuals (<code>connectsim calibrate</code>): the mean \
         across replications with its 95% interval. <i>inside</i>: the whole interval is in \
         the target's range; <i>outside</i>: none of it; <i>straddles</i>: in between.</p>\n\
         <table>\n<thead><tr><th>target</th><th>range</th><th>simulated</th>\
         <th>95% interval</th><th>n</th><th>verdict</th><th>source</th></tr></thead>\n<tbody>\n",
    );
    for r in rows {
        let (range, interval) = (range_text(r), interval_text(r));
        let _ = writeln!(
            table,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td></tr>",
            escape(&r.target),
            escape(&range),
            escape(&format_value(r.unit, r.mean)),
            escape(&interval),
            r.replications,
            escape(&r.verdict),
            escape(&r.source)
        );
    }
    table.push_str("</tbody>\n</table>\n");
    table
}

/// `summary.csv` as metrics (rows, in the file's order) × strategies (columns).
fn summary_table(summary: &[SummaryRow]) -> String {
    let mut strategies: Vec<&str> = summary.iter().map(|r| r.strategy.as_str()).collect();
    strategies.sort_unstable();
    strategies.dedup();
    let mut metrics: Vec<&str> = Vec::new();
    for r in summary {
        if !metrics.contains(&r.metric.as_str()) {
            metrics.push(&r.metric);
        }
    }
    let mut table = String::from(
        "<h2>Summary by strategy</h2>\n<p class=\"note\">Over the whole run: the mean across \
         replications, its 95% confidence interval [low, high], and n, the replications where \
         the metric is defined. ROI = (earned − cost) / cost, as a ratio (0.5 = +50%).</p>\n\
         <table>\n<thead><tr><th>metric</th>",
    );
    for s in &strategies {
        let _ = write!(table, "<th>{}</th>", escape(s));
    }
    table.push_str("</tr></thead>\n<tbody>\n");
    for metric in metrics {
        let _ = write!(table, "<tr><th>{}</th>", escape(metric));
        for s in &strategies {
            match summary
                .iter()
                .find(|r| r.metric == metric && r.strategy == *s)
            {
                Some(r) => table.push_str(&cell(r.mean, r.ci_low, r.ci_high, r.replications)),
                None => table.push_str("<td></td>"),
            }
        }
        table.push_str("</tr>\n");
    }
    table.push_str("</tbody>\n</table>\n");
    table
}

/// `market_summary.csv` as a table.
fn market_table(market: &[MarketSummaryRow]) -> String {
    let mut table = String::from(
        "<h2>Market</h2>\n<table>\n<thead><tr><th>metric</th><th>mean [95% CI], n</th>\
         </tr></thead>\n<tbody>\n",
    );
    for r in market {
        let _ = writeln!(
            table,
            "<tr><th>{}</th>{}</tr>",
            escape(&r.metric),
            cell(r.mean, r.ci_low, r.ci_high, r.replications)
        );
    }
    table.push_str("</tbody>\n</table>\n");
    table
}

/// `text` with HTML's special characters escaped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_four_significant_digits() {
        assert_eq!(number(0.123456), "0.1235");
        assert_eq!(number(-12.3456), "-12.35");
        assert_eq!(number(123456.7), "123457");
        assert_eq!(number(0.0), "0");
    }

    #[test]
    fn text_is_escaped_and_declarations_dropped() {
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        assert_eq!(
            svg_element("<?xml version=\"1.0\"?>\n<svg></svg>"),
            "<svg></svg>"
        );
    }
}
