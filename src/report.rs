//! `report.html`: one page per run that a browser opens offline, with nothing to fetch, and
//! that prints. In order: a title (scenario, date, connectsim version and commit), the
//! contents, the findings (strategies ranked by ROI with paired intervals against the
//! baseline strategy), the calibration table, every metric by strategy, the market, the
//! charts (SVG inlined, each with a caption that says what to look at), the run's details
//! and the definitions of the metrics, which every metric's name links to. Numbers read
//! as `present` writes them: units, thousands separators, intervals clipped to what the
//! quantity can be. Tables fit a 1 280 px window (`scripts/report-check` checks it in
//! headless Chromium).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::atomic::{WriteError, write_file_atomically};
use crate::calibration::{CalibrationRow, interval_text, range_text, run_calibration_rows};
use crate::charts::{CHARTS, SWEEP_CHARTS};
use crate::present::{
    MARKET_METRICS, MetricInfo, ROI_NOTE, STRATEGY_METRICS, Unit, format_difference,
    format_difference_interval, format_interval, format_option, grouped, market_metric,
    strategy_metric,
};
use crate::results::{
    MarketSummaryRow, RunData, RunDirError, SummaryRow, baseline_of, files, ranked_by_roi, read_csv,
};
use crate::sweep::SweepData;

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
    let calibration = if calibration_path.exists() {
        Calibration::Experiments(read_csv(&calibration_path)?)
    } else {
        Calibration::RunAlone(run_calibration_rows(data))
    };
    let charts = read_charts(&CHARTS, out_dir)?;
    let path = out_dir.join(REPORT);
    let html = render(data, manifest, &market, &calibration, &charts);
    write_file_atomically(&path, html.as_bytes())?;
    Ok(path)
}

/// Each chart of `names` with its SVG text, if `out_dir` has it.
fn read_charts<'a>(
    names: &[&'a str],
    out_dir: &Path,
) -> Result<Vec<(&'a str, Option<String>)>, ReportError> {
    names
        .iter()
        .map(|name| {
            let path = out_dir.join(format!("{name}.svg"));
            let svg = if path.exists() {
                Some(
                    std::fs::read_to_string(&path)
                        .map_err(|source| ReportError::Chart { path, source })?,
                )
            } else {
                None
            };
            Ok((*name, svg))
        })
        .collect()
}

/// The sections of a sweep's report, in order: (anchor, title).
const SWEEP_SECTIONS: [(&str, &str); 6] = [
    ("design", "The design"),
    ("paired", "Each point against the baseline point"),
    ("points", "ROI at every point"),
    ("charts", "Charts"),
    ("run", "The run"),
    ("definitions", "Definitions"),
];

/// What each sweep chart answers.
const SWEEP_CAPTIONS: [(&str, &str); 5] = [
    (
        "sweep_roi",
        "How does each strategy's ROI move with the parameter? One line per strategy, named at \
         its right end, with its 95% band; the dashed line is break even.",
    ),
    (
        "sweep_cost_per_hire",
        "What does a hire cost each strategy along the parameter? Connects and plan spending \
         per hire, with the 95% band.",
    ),
    (
        "sweep_market",
        "What does the parameter do to the market? Proposals per post, the share of posts \
         ending in a hire, and the platform's revenue per month, with 95% bands.",
    ),
    (
        "sweep_heatmap",
        "Where in the two parameters does each strategy do best? One panel per strategy, one \
         cell per point, its mean ROI written in it, on one colour scale for every panel.",
    ),
    (
        "sweep_paired",
        "Which points differ from the baseline point, and for whom? Each point's ROI minus the \
         baseline point's, per strategy, paired replication by replication, with the 95% \
         interval; where a whisker clears 0 the difference is more than noise.",
    ),
];

/// Writes `<out_dir>/report.html` for the sweep `data` with its `manifest` (the sweep's),
/// inlining the sweep charts found in `out_dir`; returns its path.
pub fn write_sweep_report(
    data: &SweepData,
    manifest: &serde_json::Value,
    out_dir: &Path,
) -> Result<PathBuf, ReportError> {
    let charts = read_charts(&SWEEP_CHARTS, out_dir)?;
    let n = data.points.len();
    let heading = |anchor: &str| numbered(&SWEEP_SECTIONS, anchor);
    let mut html = page_start(
        manifest,
        &format!(" (a sweep of {n} points)"),
        &SWEEP_SECTIONS,
    );
    let parameters: Vec<String> = data
        .info
        .parameters
        .iter()
        .map(|p| format!("<th class=\"text\"><code>{}</code></th>", escape(p)))
        .collect();
    // The design.
    html.push_str(&heading("design"));
    let _ = writeln!(
        html,
        "<p>{n} points, each run with the same {} replications (the same seed, so replication \
         k of every point sees the same posts, clients and agents: the points are paired). \
         Point {} is the baseline point. Each point's own run directory is under \
         <code>points/</code>.</p>\n<table>\n<thead><tr><th>point</th>{}<th \
         class=\"text\">directory</th></tr></thead>\n<tbody>",
        data.replications,
        data.info.baseline_point,
        parameters.join("")
    );
    for point in &data.info.points {
        let values: Vec<String> = point
            .values
            .iter()
            .map(|v| format!("<td>{}</td>", escape(&v.to_string())))
            .collect();
        let _ = writeln!(
            html,
            "<tr><td>{}</td>{}<td class=\"text\"><a href=\"{dir}/\">{dir}</a></td></tr>",
            point.point,
            values.join(""),
            dir = escape(&point.dir)
        );
    }
    html.push_str("</tbody>\n</table>\n");
    // The paired differences.
    let strategies = data.strategies();
    let total = data.replications;
    html.push_str(&heading("paired"));
    let _ = writeln!(
        html,
        "<p>Each strategy's ROI at each point minus its ROI at point {} in the same \
         replication, averaged, with the paired 95% interval. {}</p>\n<table>\n<thead><tr>\
         <th>point</th><th class=\"text\">strategy</th><th>ROI</th><th>ROI − baseline \
         point</th><th>replications</th></tr></thead>\n<tbody>",
        data.info.baseline_point,
        escape(ROI_NOTE)
    );
    for (i, point) in data.points.iter().enumerate() {
        for strategy in &strategies {
            let roi = point
                .summary
                .iter()
                .find(|r| r.strategy == *strategy && r.metric == "roi");
            let difference = point
                .paired
                .iter()
                .find(|r| r.strategy == *strategy && r.metric == "roi");
            let n = difference.map_or(0, |d| d.replications);
            let own = summary_cell(Unit::Roi, roi, total);
            let paired = difference.and_then(|d| d.mean).map_or_else(
                || "<td>–</td>".to_string(),
                |mean| {
                    let interval = difference
                        .and_then(|d| format_difference_interval(Unit::Roi, d.ci_low, d.ci_high));
                    interval_cell(
                        &format_difference(Unit::Roi, mean),
                        interval.as_deref(),
                        Count { n, total },
                    )
                },
            );
            let _ = writeln!(
                html,
                "<tr><td>{i}</td><td class=\"text\">{}</td>{own}{paired}<td>{n}</td></tr>",
                escape(strategy)
            );
        }
    }
    html.push_str("</tbody>\n</table>\n");
    // ROI at every point, strategies × points.
    html.push_str(&heading("points"));
    html.push_str("<table>\n<thead><tr><th class=\"text\">strategy</th>");
    for i in 0..n {
        let _ = write!(html, "<th>point {i}</th>");
    }
    html.push_str("</tr></thead>\n<tbody>\n");
    for strategy in &strategies {
        let _ = write!(html, "<tr><td class=\"text\">{}</td>", escape(strategy));
        for r in data.strategy_metric(strategy, "roi") {
            html.push_str(&summary_cell(Unit::Roi, r, total));
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</tbody>\n</table>\n");
    html.push_str(&heading("charts"));
    if charts.iter().all(|(_, svg)| svg.is_none()) {
        html.push_str(
            "<p class=\"note\">No chart: <code>connectsim plot</code> on the sweep directory \
             draws them.</p>\n",
        );
    } else {
        let drawn: Vec<(&str, Option<String>)> = charts
            .into_iter()
            .filter(|(_, svg)| svg.is_some())
            .collect();
        html.push_str(&figures(&drawn, &SWEEP_CAPTIONS));
    }
    html.push_str(&manifest_table(manifest, heading("run")));
    html.push_str(&definitions(heading("definitions")));
    html.push_str("</body>\n</html>\n");
    let path = out_dir.join(REPORT);
    write_file_atomically(&path, html.as_bytes())?;
    Ok(path)
}

/// The calibration table of a report: `calibrate`'s, with its counterfactual runs, or the
/// run's own (the experiments' targets have values only if its scenario has their arms).
enum Calibration {
    Experiments(Vec<CalibrationRow>),
    RunAlone(Vec<CalibrationRow>),
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'DejaVu Sans',sans-serif;\
margin:1.5em auto;max-width:1200px;padding:0 1em;color:#222;line-height:1.4}\
h1{margin-bottom:.2em;font-size:1.7em}h2{margin-top:2em;border-bottom:1px solid #ddd}\
code{font-size:.95em}.meta{color:#555;margin-top:0}\
nav ol{columns:2;max-width:40em}\
table{border-collapse:collapse;margin:1em 0;font-size:.85em;max-width:100%}\
th,td{border:1px solid #ccc;padding:.25em .45em;text-align:right;vertical-align:top}\
th:first-child,td:first-child{text-align:left}thead th{background:#f2f2f2}\
td.text,th.text{text-align:left}td.range{white-space:nowrap}.ci{color:#666;font-size:.9em;white-space:nowrap}.note{color:#555}\
a.def{color:inherit;text-decoration:underline dotted}\
figure{margin:2em 0;break-inside:avoid}figure svg{width:100%;height:auto;border:1px solid #eee}\
figcaption{color:#333;margin-top:.4em}pre{background:#f7f7f7;padding:1em;overflow:auto;\
font-size:.8em}dt{font-weight:bold;margin-top:.6em}dd{margin-left:1.5em}\
.inside{color:#1a7f37}.outside{color:#b3261e}\
@media print{body{max-width:none;margin:0}nav{break-after:page}h2{break-after:avoid}\
table{break-inside:auto}tr{break-inside:avoid}details{display:none}}";

/// What each chart answers, and what to look at in it.
const CAPTIONS: [(&str, &str); 6] = [
    (
        "roi",
        "Which strategy pays best, and from when? Cumulative ROI by month per strategy, each \
         line named at its end (highest first), with its 95% band; the dashed line is break \
         even (earned = Connects and plan spending). Compare where the lines end and whether \
         their bands overlap.",
    ),
    (
        "balance",
        "Who hoards Connects and who runs dry? Connects held per agent at each month's end, \
         one panel per strategy, each on its own scale from 0, so that small balances read as \
         well as large ones. Look at the shape of each curve: a steady climb is Connects \
         bought or granted and never used.",
    ),
    (
        "funnel",
        "Where are proposals lost? Proposals, interviews and hires per agent, with the \
         conversion rates (interviews per proposal, hires per interview, hires per proposal) \
         beside them. Compare the rates, not the bar lengths.",
    ),
    (
        "boost_prices",
        "How contested are the boost auctions? Above, the price of every winning boost bid, \
         all months pooled, with each strategy's highest bid marked: a tall bar at a mark is \
         that strategy's cap, not the market price. Below, by month: bids per auction, the \
         share of slots filled, and the mean price.",
    ),
    (
        "roi_distribution",
        "Is a strategy's mean ROI typical of its agents? The spread of per-agent ROI within \
         each strategy. A wide spread means the mean hides agents who lose money.",
    ),
    (
        "market",
        "Is the market itself stable over the run? Proposals per post, the share of posts \
         ending in a hire and the platform's revenue by month. The first months are a \
         warm-up while agents join.",
    ),
];

/// The report's sections, in order: (anchor, title).
const SECTIONS: [(&str, &str); 7] = [
    ("findings", "Findings"),
    ("calibration", "Calibration"),
    ("strategies", "Every metric by strategy"),
    ("market", "The market"),
    ("charts", "Charts"),
    ("run", "The run"),
    ("definitions", "Definitions"),
];

/// The report's HTML from its parts; `charts` pairs each chart's name with its SVG text,
/// if drawn.
fn render(
    data: &RunData,
    manifest: &serde_json::Value,
    market: &[MarketSummaryRow],
    calibration: &Calibration,
    charts: &[(&str, Option<String>)],
) -> String {
    let replications = manifest["replications_run"].as_array().map_or(0, Vec::len);
    let mut html = page_start(manifest, "", &SECTIONS);
    let total = replications as u32;
    let baseline = manifest["scenario"]["baseline"].as_str();
    html.push_str(&findings(&data.summary, baseline, total));
    html.push_str(&calibration_table(calibration));
    html.push_str(&summary_table(&data.summary, total));
    html.push_str(&market_table(market, total));
    html.push_str(&charts_section(charts));
    html.push_str(&manifest_table(manifest, heading("run")));
    html.push_str(&definitions(heading("definitions")));
    html.push_str("</body>\n</html>\n");
    html
}

/// The page up to its first section: the head, the title (scenario, `what` after its name:
/// "" or " (a sweep of 4 points)"), the run's line (replications, months, seed, date,
/// version, commit, the file's SHA-256) and the contents of `sections`.
fn page_start(manifest: &serde_json::Value, what: &str, sections: &[(&str, &str)]) -> String {
    let name = escape(manifest["scenario"]["name"].as_str().unwrap_or("unknown"));
    let text = |key: &str| escape(manifest[key].as_str().unwrap_or("unknown"));
    let date = manifest["finished_utc"]
        .as_str()
        .map_or("an unrecorded date".to_string(), |t| {
            escape(&t.replacen('T', " ", 1).replace('Z', " UTC"))
        });
    let replications = manifest["replications_run"].as_array().map_or(0, Vec::len);
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>connectsim report: {name}, {date}</title>\n<style>{STYLE}</style>\n</head>\n\
         <body>\n<header>\n<h1>connectsim report: the scenario <i>{name}</i>{what}</h1>\n\
         <p class=\"meta\">{replications} replications × {months} months, seed {seed} · \
         finished {date} · connectsim {version}, commit <code>{commit}</code> · scenario \
         file SHA-256 <code>{sha}</code></p>\n</header>\n",
        what = escape(what),
        months = manifest["months"],
        seed = manifest["seed"],
        version = text("connectsim_version"),
        commit = text("commit"),
        sha = escape(manifest["scenario"]["sha256"].as_str().unwrap_or("unknown")),
    );
    html.push_str("<nav>\n<h2>Contents</h2>\n<ol>\n");
    for (anchor, title) in sections {
        let _ = writeln!(html, "<li><a href=\"#{anchor}\">{title}</a></li>");
    }
    html.push_str("</ol>\n</nav>\n");
    html
}

/// A section's heading, numbered by its place in [`SECTIONS`].
fn heading(anchor: &str) -> String {
    numbered(&SECTIONS, anchor)
}

/// A section's heading, numbered by its place in `sections`.
fn numbered(sections: &[(&str, &str)], anchor: &str) -> String {
    let (i, (_, title)) = sections
        .iter()
        .enumerate()
        .find(|(_, (a, _))| *a == anchor)
        .expect("a section of the report");
    format!("<h2 id=\"{anchor}\">{}. {title}</h2>\n", i + 1)
}

/// A metric's name in words, linked to its definition.
fn metric_link(m: &MetricInfo, prefix: &str) -> String {
    format!(
        "<a class=\"def\" href=\"#{prefix}-{}\" title=\"{}\">{}</a>",
        m.name,
        escape(m.definition),
        escape(m.label)
    )
}

/// A table cell: the value as it reads, then its interval in small print, and n where it is
/// not the run's `total` replications (a metric undefined in some).
fn cell(
    unit: Unit,
    mean: Option<f64>,
    (low, high): (Option<f64>, Option<f64>),
    n: Count,
) -> String {
    let value = mean.map_or("–".to_string(), |v| format_option(unit, Some(v)));
    let interval = format_interval(unit, low, high);
    interval_cell(&value, interval.as_deref(), n)
}

/// The cell of a summary row (`–` for none), in `unit`, out of `total` replications.
fn summary_cell(unit: Unit, row: Option<&SummaryRow>, total: u32) -> String {
    row.map_or_else(
        || "<td>–</td>".to_string(),
        |r| {
            cell(
                unit,
                r.mean,
                (r.ci_low, r.ci_high),
                Count {
                    n: r.replications,
                    total,
                },
            )
        },
    )
}

/// Replications behind a value, and the run's.
#[derive(Debug, Clone, Copy)]
struct Count {
    n: u32,
    total: u32,
}

/// A table cell of a value already written, with its interval and n (see [`cell`]).
fn interval_cell(value: &str, interval: Option<&str>, count: Count) -> String {
    let mut small = Vec::new();
    if let Some(interval) = interval {
        small.push(escape(interval));
    }
    if count.n != count.total {
        small.push(format!("n = {}", count.n));
    }
    if small.is_empty() {
        format!("<td>{}</td>", escape(value))
    } else {
        format!(
            "<td>{}<br><span class=\"ci\">{}</span></td>",
            escape(value),
            small.join(" ")
        )
    }
}

/// The findings: strategies ranked by ROI, each against the baseline strategy in the same
/// replications, with a sentence on the top one.
fn findings(summary: &[SummaryRow], chosen: Option<&str>, total: u32) -> String {
    let mut html = heading("findings");
    let ranked = ranked_by_roi(summary);
    let (Some(baseline), Some(top)) = (baseline_of(summary, chosen), ranked.first()) else {
        html.push_str("<p class=\"note\">The run has no strategy with a defined ROI.</p>\n");
        return html;
    };
    let get = |strategy: &str, metric: &str| {
        summary
            .iter()
            .find(|r| r.strategy == strategy && r.metric == metric)
    };
    let value = |strategy: &str, metric: &str| {
        let unit = strategy_metric(metric).map_or(Unit::Count, |m| m.unit);
        format_option(unit, get(strategy, metric).and_then(|r| r.mean))
    };
    let roi = get(top, "roi");
    let n = roi.map_or(0, |r| r.replications);
    let interval = roi
        .and_then(|r| format_interval(Unit::Roi, r.ci_low, r.ci_high))
        .unwrap_or_default();
    let _ = write!(
        html,
        "<p><b>{}</b> has the highest ROI, {} {}, across {n} replications",
        escape(top),
        value(top, "roi"),
        escape(&interval)
    );
    if *top != baseline {
        let difference = get(top, "roi_minus_baseline");
        let wins = get(top, "roi_above_baseline_share");
        let _ = write!(
            html,
            ": {} against <b>{}</b>, the baseline, in the same markets{}",
            difference
                .and_then(|d| d.mean)
                .map_or("–".to_string(), |d| format_difference(Unit::Roi, d)),
            escape(baseline),
            wins.and_then(|w| w.mean).map_or(String::new(), |w| {
                let k = (w * f64::from(wins.map_or(0, |w| w.replications))).round();
                format!(
                    ", ahead in {k} of {} replications",
                    wins.map_or(0, |w| w.replications)
                )
            })
        );
    }
    let _ = writeln!(
        html,
        ".</p>\n<p class=\"note\">{} Each strategy is compared with <b>{}</b> \
         replication by replication: both ran in the same market, so the paired interval is \
         narrower than the two separate ones.</p>",
        escape(ROI_NOTE),
        escape(baseline)
    );
    let columns = [
        ("roi", "ROI"),
        ("roi_minus_baseline", "ROI minus the baseline's"),
        (
            "roi_above_baseline_share",
            "Replications ahead of the baseline",
        ),
        ("cash_roi", "Cash ROI"),
        ("earned_per_agent_month", "Earned per agent-month"),
        ("cost_per_hire_usd", "Cost per hire"),
    ];
    html.push_str("<table>\n<thead><tr><th>rank</th><th class=\"text\">strategy</th>");
    for (metric, title) in columns {
        let m = strategy_metric(metric).expect("a described metric");
        let _ = write!(
            html,
            "<th><a class=\"def\" href=\"#strategy-{metric}\" title=\"{}\">{title}</a></th>",
            escape(m.definition)
        );
    }
    html.push_str("</tr></thead>\n<tbody>\n");
    for (rank, strategy) in ranked.iter().enumerate() {
        let baseline_mark = if *strategy == baseline {
            " (baseline)"
        } else {
            ""
        };
        let _ = write!(
            html,
            "<tr><td>{}</td><td class=\"text\">{}{baseline_mark}</td>",
            rank + 1,
            escape(strategy)
        );
        for (metric, _) in columns {
            let unit = strategy_metric(metric).map_or(Unit::Count, |m| m.unit);
            html.push_str(&match get(strategy, metric) {
                Some(r) if r.mean.is_none() => "<td>–</td>".to_string(),
                Some(r) if metric == "roi_minus_baseline" => interval_cell(
                    &format_difference(unit, r.mean.unwrap_or_default()),
                    format_difference_interval(unit, r.ci_low, r.ci_high).as_deref(),
                    Count {
                        n: r.replications,
                        total,
                    },
                ),
                Some(r) => cell(
                    unit,
                    r.mean,
                    (r.ci_low, r.ci_high),
                    Count {
                        n: r.replications,
                        total,
                    },
                ),
                None => "<td></td>".to_string(),
            });
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</tbody>\n</table>\n");
    html
}

/// The calibration table: each of MODEL.md's targets with its range, the simulated value,
/// its interval, the replications and the verdict.
fn calibration_table(calibration: &Calibration) -> String {
    let mut html = heading("calibration");
    let rows = match calibration {
        Calibration::Experiments(rows) => {
            html.push_str(
                "<p class=\"note\">MODEL.md's calibration targets against this scenario and its \
                 paired counterfactuals (<code>connectsim calibrate</code>), which share its \
                 posts, clients and agents.",
            );
            rows
        }
        Calibration::RunAlone(rows) => {
            html.push_str(
                "<p class=\"note\">MODEL.md's calibration targets against this run alone. The \
                 boost lift and the cap's effects need placebo posts and capped posts, which \
                 <code>connectsim calibrate</code> runs beside the scenario in the same \
                 market; without them their rows are empty.",
            );
            rows
        }
    };
    html.push_str(
        " Each value is the mean across replications with its 95% interval. <i>inside</i>: \
         the whole interval is in the target's range; <i>outside</i>: none of it; \
         <i>straddles</i>: in between.</p>\n<table>\n<thead><tr><th>target</th><th>range</th>\
         <th>simulated</th><th>95% interval</th><th>n</th><th class=\"text\">verdict</th>\
         <th class=\"text\">source</th>\
         </tr></thead>\n<tbody>\n",
    );
    for r in rows {
        let (range, interval) = (range_text(r), interval_text(r));
        let verdict = if r.verdict.is_empty() {
            "–"
        } else {
            &r.verdict
        };
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td class=\"range\">{}</td><td>{}</td><td class=\"range\">{}</td>\
             <td>{}</td><td class=\"text {verdict}\">{verdict}</td><td class=\"text\">{}</td></tr>",
            escape(&r.target),
            escape(&range),
            escape(&format_option(r.unit, r.mean)),
            escape(&interval),
            r.replications,
            escape(&r.source)
        );
    }
    html.push_str("</tbody>\n</table>\n");
    html
}

/// `summary.csv` as metrics (rows, in [`STRATEGY_METRICS`]' order) × strategies (columns,
/// ranked by ROI).
fn summary_table(summary: &[SummaryRow], total: u32) -> String {
    let strategies = ranked_by_roi(summary);
    let mut html = heading("strategies");
    html.push_str(
        "<p class=\"note\">Over the whole run: the mean across replications, its 95% \
         confidence interval below it, and n where the metric is defined in fewer than all \
         the replications. A metric's name links to its definition.</p>\n<table>\n<thead><tr><th>metric</th>",
    );
    for s in &strategies {
        let _ = write!(html, "<th>{}</th>", escape(s));
    }
    html.push_str("</tr></thead>\n<tbody>\n");
    for m in STRATEGY_METRICS {
        let rows: Vec<Option<&SummaryRow>> = strategies
            .iter()
            .map(|s| {
                summary
                    .iter()
                    .find(|r| r.metric == m.name && r.strategy == *s)
            })
            .collect();
        if rows.iter().all(Option::is_none) {
            continue;
        }
        let _ = write!(html, "<tr><th>{}</th>", metric_link(m, "strategy"));
        for r in rows {
            html.push_str(&r.map_or("<td></td>".to_string(), |r| {
                cell(
                    m.unit,
                    r.mean,
                    (r.ci_low, r.ci_high),
                    Count {
                        n: r.replications,
                        total,
                    },
                )
            }));
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</tbody>\n</table>\n");
    html
}

/// `market_summary.csv` as a table.
fn market_table(market: &[MarketSummaryRow], total: u32) -> String {
    let mut html = heading("market");
    if market.is_empty() {
        html.push_str("<p class=\"note\">This run directory has no market summary.</p>\n");
        return html;
    }
    html.push_str(
        "<table>\n<thead><tr><th>metric</th><th>mean and 95% interval</th></tr></thead>\n\
         <tbody>\n",
    );
    for r in market {
        let (label, unit) = market_metric(&r.metric).map_or_else(
            || (escape(&r.metric), Unit::Count),
            |m| (metric_link(m, "market"), m.unit),
        );
        let _ = writeln!(
            html,
            "<tr><th>{label}</th>{}</tr>",
            cell(
                unit,
                r.mean,
                (r.ci_low, r.ci_high),
                Count {
                    n: r.replications,
                    total
                }
            )
        );
    }
    html.push_str("</tbody>\n</table>\n");
    html
}

/// Every chart with its caption, its SVG inlined.
fn charts_section(charts: &[(&str, Option<String>)]) -> String {
    heading("charts") + &figures(charts, &CAPTIONS)
}

/// Each chart of `charts` with its caption from `captions`, its SVG inlined.
fn figures(charts: &[(&str, Option<String>)], captions: &[(&str, &str)]) -> String {
    let mut html = String::new();
    for (chart, svg) in charts {
        let caption = captions
            .iter()
            .find(|(name, _)| name == chart)
            .map_or("", |(_, caption)| caption);
        match svg {
            Some(svg) => {
                let _ = write!(
                    html,
                    "<figure id=\"chart-{chart}\">\n{}\n<figcaption>{} \
                     (<a href=\"{chart}.png\">PNG</a>, <a href=\"{chart}.svg\">SVG</a>)\
                     </figcaption>\n</figure>\n",
                    svg_element(svg),
                    escape(caption)
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
    html
}

/// Every metric's definition, the target of the metric names' links, under `heading`.
fn definitions(heading: String) -> String {
    let mut html = heading;
    let _ = writeln!(html, "<p>{}</p>", escape(ROI_NOTE));
    for (prefix, title, metrics) in [
        (
            "strategy",
            "By strategy (<code>summary.csv</code>)",
            STRATEGY_METRICS,
        ),
        (
            "market",
            "The market (<code>market_summary.csv</code>)",
            MARKET_METRICS,
        ),
    ] {
        let _ = writeln!(html, "<h3>{title}</h3>\n<dl>");
        for m in metrics {
            let _ = writeln!(
                html,
                "<dt id=\"{prefix}-{}\">{} <code>{}</code></dt><dd>{}</dd>",
                m.name,
                escape(m.label),
                m.name,
                escape(m.definition)
            );
        }
        html.push_str("</dl>\n");
    }
    html
}

/// The `<svg>` element of an SVG file, without any XML declaration before it.
fn svg_element(svg: &str) -> &str {
    svg.find("<svg").map_or(svg, |start| &svg[start..])
}

/// The manifest's scalar fields (and the scenario's, but its name and hash, which the
/// heading shows) as a table under `heading`; multi-line texts (the resolved scenario)
/// folded below it.
fn manifest_table(manifest: &serde_json::Value, heading: String) -> String {
    let mut fields: Vec<(String, &serde_json::Value)> = Vec::new();
    if let Some(top) = manifest.as_object() {
        fields.extend(top.iter().map(|(k, v)| (k.clone(), v)));
    }
    for section in ["scenario", "resources"] {
        if let Some(object) = manifest[section].as_object() {
            fields.extend(
                object
                    .iter()
                    .filter(|(k, _)| !matches!(k.as_str(), "name" | "sha256"))
                    .map(|(k, v)| (format!("{section}.{k}"), v)),
            );
        }
    }
    let mut table = heading;
    table.push_str("<table>\n");
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
                let _ = writeln!(
                    table,
                    "<tr><th>{key}</th><td class=\"text\">{}</td></tr>",
                    escape(s)
                );
            }
            serde_json::Value::Number(n) => {
                let text = match n.as_f64() {
                    // Seeds are identifiers, not quantities.
                    Some(v) if key != "seed" => {
                        let digits = if v.fract() == 0.0 || v.abs() >= 1000.0 {
                            0
                        } else {
                            2
                        };
                        grouped(v, digits)
                    }
                    _ => n.to_string(),
                };
                let _ = writeln!(
                    table,
                    "<tr><th>{key}</th><td class=\"text\">{text}</td></tr>"
                );
            }
            serde_json::Value::Bool(b) => {
                let _ = writeln!(table, "<tr><th>{key}</th><td class=\"text\">{b}</td></tr>");
            }
            _ => {}
        }
    }
    table.push_str("</table>\n");
    table + &texts
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
    fn text_is_escaped_and_declarations_dropped() {
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        assert_eq!(
            svg_element("<?xml version=\"1.0\"?>\n<svg></svg>"),
            "<svg></svg>"
        );
    }
}
