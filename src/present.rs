//! How numbers read to people, in the terminal, `report.html` and `comparison.md`: each
//! metric's name in words, its unit and its definition, and the formatting of a value and
//! of an interval (thousands separators, sensible digits, the unit, and intervals clipped
//! to what the quantity can be). The CSV files keep raw numbers (INTERFACE.md); this is the
//! one place that turns them into text for a reader.
//!
//! ROI is read as a percentage everywhere a person reads it; differences of ROI (and of
//! shares) in percentage points.

use serde::{Deserialize, Serialize};

/// What a quantity is, and so how it reads (also the `unit` column of `calibration.csv`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A share in [0, 1], shown in percent.
    #[default]
    Share,
    /// A relative change (at least −1), shown as a signed percent.
    Change,
    /// A difference of shares or of ROIs, in percentage points.
    Points,
    /// A count (per post, per agent, …): never negative.
    Count,
    /// US dollars: never negative.
    Usd,
    /// A return on spending, (earned − cost) / cost: at least −1 (nothing earned), shown
    /// in percent.
    Roi,
    /// Connects: never negative.
    Connects,
}

impl Unit {
    /// The values a quantity of this unit can take: (lowest, highest).
    fn bounds(self) -> (f64, f64) {
        match self {
            Unit::Share => (0.0, 1.0),
            Unit::Change | Unit::Roi => (-1.0, f64::INFINITY),
            Unit::Points => (f64::NEG_INFINITY, f64::INFINITY),
            Unit::Count | Unit::Usd | Unit::Connects => (0.0, f64::INFINITY),
        }
    }
}

/// A metric as a reader meets it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricInfo {
    /// Its name in `summary.csv` or `market_summary.csv`.
    pub name: &'static str,
    /// Its name in words.
    pub label: &'static str,
    pub unit: Unit,
    /// What it is, in a sentence.
    pub definition: &'static str,
}

/// What ROI counts, said once wherever ROI is shown.
pub const ROI_NOTE: &str = "ROI is the return on Connects and plan spending, (earned − cost) / \
cost; the freelancer's own time is not counted, which is why it runs to hundreds or thousands of \
percent.";

/// The same, briefly, for a chart's subtitle.
pub const ROI_BRIEF: &str =
    "ROI: return on Connects and plan spending; the freelancer's time is not counted";

const fn metric(
    name: &'static str,
    label: &'static str,
    unit: Unit,
    definition: &'static str,
) -> MetricInfo {
    MetricInfo {
        name,
        label,
        unit,
        definition,
    }
}

/// The metrics of `summary.csv`, in its order.
pub const STRATEGY_METRICS: &[MetricInfo] = &[
    metric(
        "roi",
        "ROI",
        Unit::Roi,
        "(earned − cost) / cost over the whole run, cost being the Connects used (spent − \
         refunded) at the Connects price plus plan fees.",
    ),
    metric(
        "cash_roi",
        "Cash ROI",
        Unit::Roi,
        "(earned − money paid) / money paid: bundles bought and plan fees, free Connects not \
         counted as a cost.",
    ),
    metric(
        "earned_per_agent",
        "Earned per agent",
        Unit::Usd,
        "Value of the contracts won over the run, net of the platform's fee, per agent.",
    ),
    metric(
        "earned_per_agent_month",
        "Earned per agent-month",
        Unit::Usd,
        "Earned per agent divided by the run's months.",
    ),
    metric(
        "cost_per_agent",
        "Cost per agent",
        Unit::Usd,
        "The cost in ROI's denominator, per agent.",
    ),
    metric(
        "usd_paid_per_agent",
        "Money paid per agent",
        Unit::Usd,
        "Bundles bought and plan fees over the run, per agent.",
    ),
    metric(
        "usd_bundles_per_agent_month",
        "Bundles per agent-month",
        Unit::Usd,
        "Money spent on Connects bundles per agent and month.",
    ),
    metric(
        "proposals_per_agent",
        "Proposals per agent",
        Unit::Count,
        "Proposals submitted over the run, per agent.",
    ),
    metric(
        "proposals_per_agent_month",
        "Proposals per agent-month",
        Unit::Count,
        "Proposals per agent divided by the run's months.",
    ),
    metric(
        "invites_answered_per_agent",
        "Invitations answered per agent",
        Unit::Count,
        "Client invitations the agent answered with a proposal, per agent.",
    ),
    metric(
        "interviews_per_agent",
        "Interviews per agent",
        Unit::Count,
        "Interviews over the run, per agent.",
    ),
    metric(
        "hires_per_agent",
        "Hires per agent",
        Unit::Count,
        "Contracts won over the run, per agent.",
    ),
    metric(
        "boost_wins_per_agent",
        "Boost slots won per agent",
        Unit::Count,
        "Boosted proposals that won a top slot, per agent.",
    ),
    metric(
        "interview_rate",
        "Interviews per proposal",
        Unit::Share,
        "Interviews / proposals.",
    ),
    metric(
        "hire_rate",
        "Hires per proposal",
        Unit::Share,
        "Hires / proposals.",
    ),
    metric(
        "cost_per_hire_usd",
        "Cost per hire",
        Unit::Usd,
        "The cost in ROI's denominator divided by the hires.",
    ),
    metric(
        "connects_expired_per_agent",
        "Connects expired per agent",
        Unit::Connects,
        "Connects that reached their one-year expiry unused, per agent.",
    ),
    metric(
        "roi_minus_baseline",
        "ROI minus the baseline's",
        Unit::Points,
        "The strategy's ROI minus the baseline strategy's in the same replication (the same \
         market), averaged; its interval is that of the paired differences.",
    ),
    metric(
        "roi_above_baseline_share",
        "Replications it beats the baseline",
        Unit::Share,
        "The share of replications in which the strategy's ROI is above the baseline's, with \
         a Wilson score interval.",
    ),
];

/// The metrics of `market_summary.csv`, in its order.
pub const MARKET_METRICS: &[MetricInfo] = &[
    metric(
        "proposals_per_post",
        "Proposals per post",
        Unit::Count,
        "Proposals submitted / posts made.",
    ),
    metric(
        "interview_rate",
        "Interviews per proposal",
        Unit::Share,
        "Interviews / proposals, over the whole market.",
    ),
    metric(
        "hire_share_of_posts",
        "Posts ending in a hire",
        Unit::Share,
        "Hired posts / posts resolved (hired, cancelled, expired or removed).",
    ),
    metric(
        "cancel_share_of_posts",
        "Posts cancelled",
        Unit::Share,
        "Cancelled posts / posts resolved.",
    ),
    metric(
        "removed_share_of_posts",
        "Posts removed",
        Unit::Share,
        "Posts the platform removed / posts resolved.",
    ),
    metric(
        "boosted_share_of_posts",
        "Posts with a boost bid",
        Unit::Share,
        "Posts that drew at least one boost bid / posts made.",
    ),
    metric(
        "arrivals_after_close_per_post",
        "Late arrivals per post",
        Unit::Count,
        "Agents who got to a post after it had closed, per post.",
    ),
    metric(
        "boost_lift",
        "Boost lift",
        Unit::Change,
        "Hire rate of boost slot winners over that of the placebo posts' would-be winners, \
         minus one (needs placebo posts).",
    ),
    metric(
        "cap_effect_on_proposals",
        "Cap: proposals per post",
        Unit::Change,
        "Proposals per capped post over those per uncapped post, minus one (needs capped \
         posts).",
    ),
    metric(
        "cap_effect_on_hire_share",
        "Cap: hire share",
        Unit::Points,
        "Share of capped posts hired minus that of uncapped posts.",
    ),
    metric(
        "mean_boost_price",
        "Price of a winning boost bid",
        Unit::Connects,
        "Connects charged per winning boost bid, averaged over the wins.",
    ),
    metric(
        "platform_usd_per_month",
        "Platform revenue per month",
        Unit::Usd,
        "Money freelancers paid the platform for bundles and plans, per month.",
    ),
    metric(
        "platform_connects_usd_per_month",
        "Platform Connects revenue per month",
        Unit::Usd,
        "Money freelancers paid the platform for Connects bundles alone, per month.",
    ),
];

/// The strategy metric named `name`.
pub fn strategy_metric(name: &str) -> Option<&'static MetricInfo> {
    STRATEGY_METRICS.iter().find(|m| m.name == name)
}

/// The market metric named `name`.
pub fn market_metric(name: &str) -> Option<&'static MetricInfo> {
    MARKET_METRICS.iter().find(|m| m.name == name)
}

/// `value` as it reads, in `unit`: `2,219%`, `12.4%`, `+3.1 pp`, `$1,446`, `17.6`.
pub fn format_value(unit: Unit, value: f64) -> String {
    if !value.is_finite() {
        return "–".to_string();
    }
    let sign = |v: f64| if v >= 0.0 { "+" } else { "−" };
    match unit {
        Unit::Share => format!("{}%", grouped(100.0 * value, 1)),
        Unit::Change => format!("{}{}%", sign(value), grouped(100.0 * value.abs(), 1)),
        Unit::Points => {
            let points = 100.0 * value.abs();
            let digits = if points >= 100.0 { 0 } else { 1 };
            format!("{}{} pp", sign(value), grouped(points, digits))
        }
        Unit::Roi => {
            let percent = 100.0 * value;
            let digits = if percent.abs() >= 100.0 { 0 } else { 1 };
            format!("{}%", grouped(percent, digits))
        }
        Unit::Usd => {
            let digits = if value.abs() >= 1000.0 { 0 } else { 2 };
            format!("${}", grouped(value, digits))
        }
        Unit::Count | Unit::Connects => {
            let digits = match value.abs() {
                v if v >= 100.0 => 0,
                v if v >= 10.0 => 1,
                v if v >= 1.0 => 2,
                _ => 3,
            };
            grouped(value, digits)
        }
    }
}

/// A difference of two values of `unit` as it reads: of ROIs, shares or changes in
/// percentage points (`+3.1 pp`), otherwise signed in the unit (`−$12.50`).
pub fn format_difference(unit: Unit, v: f64) -> String {
    match unit {
        Unit::Roi | Unit::Share | Unit::Change | Unit::Points => format_value(Unit::Points, v),
        _ => {
            let sign = if v < 0.0 { "−" } else { "+" };
            let magnitude = format_value(unit, v.abs());
            // A difference that rounds to zero has no sign.
            if magnitude.chars().any(|c| c.is_ascii_digit() && c != '0') {
                format!("{sign}{magnitude}")
            } else {
                magnitude
            }
        }
    }
}

/// The 95% interval of a difference as it reads (`[+1.2 pp, +3.4 pp]`, see
/// [`format_difference`]; not clipped: a difference may take either sign); `None` without
/// one.
pub fn format_difference_interval(
    unit: Unit,
    low: Option<f64>,
    high: Option<f64>,
) -> Option<String> {
    let (low, high) = (low?, high?);
    Some(format!(
        "[{}, {}]",
        format_difference(unit, low),
        format_difference(unit, high)
    ))
}

/// [`format_value`] of an optional value: `–` for none.
pub fn format_option(unit: Unit, value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_string(), |v| format_value(unit, v))
}

/// A 95% interval as it reads, `[12.1%, 12.8%]`, clipped to the values the quantity can
/// take (a t interval on a count near 0 can reach below it); `None` without one.
pub fn format_interval(unit: Unit, low: Option<f64>, high: Option<f64>) -> Option<String> {
    let (low, high) = (low?, high?);
    let (floor, ceiling) = unit.bounds();
    Some(format!(
        "[{}, {}]",
        format_value(unit, low.clamp(floor, ceiling)),
        format_value(unit, high.clamp(floor, ceiling))
    ))
}

/// `v` with `digits` decimals and its thousands grouped by commas: `1,445,916.49`.
pub fn grouped(v: f64, digits: usize) -> String {
    let text = format!("{:.digits$}", v.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let mut out = String::new();
    // "−" rather than "-" for a negative that does not round to zero.
    if v < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.push('−');
    }
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if !fraction.is_empty() {
        out.push('.');
        out.push_str(fraction);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{METRICS, PAIRED_METRICS, summarize_market};

    #[test]
    fn every_summary_metric_is_described_in_its_order() {
        let names: Vec<&str> = METRICS
            .iter()
            .map(|(name, _)| *name)
            .chain(PAIRED_METRICS)
            .collect();
        let described: Vec<&str> = STRATEGY_METRICS.iter().map(|m| m.name).collect();
        assert_eq!(names, described);
    }

    #[test]
    fn every_market_metric_is_described_in_its_order() {
        let row = crate::results::MarketMonthRow::default();
        let names: Vec<String> = summarize_market(&[row])
            .into_iter()
            .map(|r| r.metric)
            .collect();
        let described: Vec<&str> = MARKET_METRICS.iter().map(|m| m.name).collect();
        assert_eq!(names, described);
    }

    #[test]
    fn values_read_with_their_unit_and_sensible_digits() {
        assert_eq!(format_value(Unit::Roi, 22.199), "2,220%");
        assert_eq!(format_value(Unit::Roi, 0.514), "51.4%");
        assert_eq!(format_value(Unit::Roi, -0.25), "−25.0%");
        assert_eq!(format_value(Unit::Share, 0.10284), "10.3%");
        assert_eq!(format_value(Unit::Change, -0.11), "−11.0%");
        assert_eq!(format_value(Unit::Change, 0.3), "+30.0%");
        assert_eq!(format_value(Unit::Points, 0.0312), "+3.1 pp");
        assert_eq!(format_value(Unit::Usd, 1_445_916.493), "$1,445,916");
        assert_eq!(format_value(Unit::Usd, 31.962_796), "$31.96");
        assert_eq!(format_value(Unit::Count, 17.596), "17.6");
        assert_eq!(format_value(Unit::Count, 0.0312), "0.031");
        assert_eq!(format_value(Unit::Connects, 1234.0), "1,234");
        assert_eq!(format_value(Unit::Count, f64::NAN), "–");
    }

    #[test]
    fn differences_read_in_points_or_signed_units() {
        assert_eq!(format_difference(Unit::Roi, 0.031), "+3.1 pp");
        assert_eq!(format_difference(Unit::Usd, -12.5), "−$12.50");
        assert_eq!(format_difference(Unit::Usd, 1500.0), "+$1,500");
        assert_eq!(format_difference(Unit::Count, -2.0), "−2.00");
        assert_eq!(format_difference(Unit::Usd, -0.001), "$0.00");
        assert_eq!(
            format_difference_interval(Unit::Roi, Some(-0.012), Some(0.034)).as_deref(),
            Some("[−1.2 pp, +3.4 pp]")
        );
        assert_eq!(format_difference_interval(Unit::Roi, None, Some(0.1)), None);
    }

    #[test]
    fn intervals_are_clipped_to_what_the_quantity_can_be() {
        let count = format_interval(Unit::Count, Some(-0.000_469), Some(0.002_344));
        assert_eq!(count.as_deref(), Some("[0.000, 0.002]"));
        let share = format_interval(Unit::Share, Some(0.9), Some(1.02));
        assert_eq!(share.as_deref(), Some("[90.0%, 100.0%]"));
        let roi = format_interval(Unit::Roi, Some(-1.3), Some(0.2));
        assert_eq!(roi.as_deref(), Some("[−100%, 20.0%]"));
        let points = format_interval(Unit::Points, Some(-0.5), Some(0.1));
        assert_eq!(points.as_deref(), Some("[−50.0 pp, +10.0 pp]"));
        assert_eq!(format_interval(Unit::Usd, None, Some(1.0)), None);
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(grouped(0.0, 0), "0");
        assert_eq!(grouped(999.0, 0), "999");
        assert_eq!(grouped(1000.0, 0), "1,000");
        assert_eq!(grouped(-1_234_567.891, 2), "−1,234,567.89");
        assert_eq!(grouped(-0.001, 1), "0.0");
    }
}
