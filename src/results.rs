//! The results of a run as rows: the CSV files' columns, the summary computed from them,
//! and a run directory read back ([`read_checked`]: only if it is exactly the files its
//! manifest lists, by SHA-256, and its rows are the replications and months it says).
//!
//! The per-replication files (`strategy_monthly.csv`, `market_monthly.csv`,
//! `agent_roi_quantiles.csv`, `boost_bids.csv`) are the raw results; everything else
//! (`summary.csv`, `market_summary.csv`, the charts, comparisons) is computed from them
//! alone, which is what lets `plot` redraw a run and `merge` combine shards exactly.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::export::{Manifest, ScenarioInfo};
use crate::random::Draws;
use crate::stats::{mean_ci, wilson};

/// `strategy_monthly.csv`: one strategy in one month of one replication. Counts are for
/// that month alone, but `connects_balance` (at the month's end, held Connects included)
/// and `roi_cum` (months 0..=month).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StrategyMonthRow {
    pub replication: u32,
    pub month: u32,
    pub strategy: String,
    pub agents: u32,
    /// Proposals made (paid and invited).
    pub proposals: u64,
    /// Proposals with a boost bid.
    pub boosted: u64,
    /// Boost bids that won a slot.
    pub boost_wins: u64,
    /// Free proposals answering an invitation.
    pub invites_answered: u64,
    pub interviews: u64,
    pub hires: u64,
    pub connects_granted: u64,
    pub connects_bought: u64,
    pub connects_spent: u64,
    pub connects_refunded: u64,
    pub connects_expired: u64,
    pub connects_balance: u64,
    /// USD paid for bundles.
    pub usd_connects: f64,
    /// USD paid in plan fees.
    pub usd_plan: f64,
    /// Value of contracts won, net of the fee.
    pub usd_earned: f64,
    /// Cumulative ROI; empty while the cost is 0.
    pub roi_cum: Option<f64>,
}

/// `market_monthly.csv`: the market in one month of one replication.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MarketMonthRow {
    pub replication: u32,
    pub month: u32,
    pub jobs_posted: u64,
    /// Posts decided this month that ended in a hire.
    pub jobs_hired: u64,
    pub jobs_cancelled: u64,
    pub jobs_expired: u64,
    pub jobs_removed: u64,
    /// Proposals submitted this month (paid and invited).
    pub proposals: u64,
    pub interviews: u64,
    /// Boost bids held (placebo posts included).
    pub boost_bids: u64,
    /// Bids that won a boosted slot and were charged.
    pub boost_wins: u64,
    /// Mean Connects charged per winning bid; empty when none won.
    pub mean_boost_price: Option<f64>,
    /// USD of bundles bought by all agents.
    pub platform_usd_connects: f64,
    /// USD of plan fees.
    pub platform_usd_plans: f64,
    /// Noticing agents that got to a post after it closed (no proposal made).
    pub arrivals_after_close: u64,
    /// The cap experiment (when the scenario sets caps): posts and their proposals by
    /// posting month, hires by decision month, in the capped arm ...
    pub capped_posts: u64,
    pub capped_proposals: u64,
    pub capped_hires: u64,
    /// ... and in the uncapped arm.
    pub uncapped_posts: u64,
    pub uncapped_proposals: u64,
    pub uncapped_hires: u64,
    /// Posts (of this month) that received at least one boost bid.
    pub posts_with_boost_bids: u64,
    /// Invitees that got to the post after it closed.
    pub invited_arrivals_after_close: u64,
    /// The boost experiment, by decision month, over reviewed posts: proposals that won a
    /// boosted slot on ordinary posts, and their hires ...
    pub slot_winners: u64,
    pub slot_winner_hires: u64,
    /// ... and the would-be winners of placebo posts' auctions, and their hires.
    pub placebo_winners: u64,
    pub placebo_winner_hires: u64,
}

impl MarketMonthRow {
    /// Posts resolved: decided (hired, cancelled, expired) or removed.
    pub fn jobs_resolved(&self) -> u64 {
        self.jobs_hired + self.jobs_cancelled + self.jobs_expired + self.jobs_removed
    }
}

/// Adds a count to a total, saturating: a crafted file's counts may not fit.
fn add(total: &mut u64, count: u64) {
    *total = total.saturating_add(count);
}

impl std::ops::AddAssign<&MarketMonthRow> for MarketMonthRow {
    /// Adds the counts (saturating) and money (the key and `mean_boost_price` are left as
    /// they are).
    fn add_assign(&mut self, r: &MarketMonthRow) {
        add(&mut self.jobs_posted, r.jobs_posted);
        add(&mut self.jobs_hired, r.jobs_hired);
        add(&mut self.jobs_cancelled, r.jobs_cancelled);
        add(&mut self.jobs_expired, r.jobs_expired);
        add(&mut self.jobs_removed, r.jobs_removed);
        add(&mut self.proposals, r.proposals);
        add(&mut self.interviews, r.interviews);
        add(&mut self.boost_bids, r.boost_bids);
        add(&mut self.boost_wins, r.boost_wins);
        self.platform_usd_connects += r.platform_usd_connects;
        self.platform_usd_plans += r.platform_usd_plans;
        add(&mut self.posts_with_boost_bids, r.posts_with_boost_bids);
        add(&mut self.arrivals_after_close, r.arrivals_after_close);
        add(
            &mut self.invited_arrivals_after_close,
            r.invited_arrivals_after_close,
        );
        add(&mut self.slot_winners, r.slot_winners);
        add(&mut self.slot_winner_hires, r.slot_winner_hires);
        add(&mut self.placebo_winners, r.placebo_winners);
        add(&mut self.placebo_winner_hires, r.placebo_winner_hires);
        add(&mut self.capped_posts, r.capped_posts);
        add(&mut self.capped_proposals, r.capped_proposals);
        add(&mut self.capped_hires, r.capped_hires);
        add(&mut self.uncapped_posts, r.uncapped_posts);
        add(&mut self.uncapped_proposals, r.uncapped_proposals);
        add(&mut self.uncapped_hires, r.uncapped_hires);
    }
}

/// `post_proposals.csv`: how many posts resolved in a replication received exactly
/// `proposals` proposals (answers to invitations included); counts of 0 posts are left out.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PostProposalsRow {
    pub replication: u32,
    pub proposals: u32,
    pub posts: u64,
}

/// The `strategy` of the row over all agents in `agent_spend_quantiles.csv` (no strategy
/// may take this name).
pub const ALL_AGENTS: &str = "all";

/// `agent_spend_quantiles.csv`: per agent, USD of bundles per month in the market (from
/// joining to the horizon), its quantiles within one strategy (or over all agents) in one
/// replication.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentSpendRow {
    pub replication: u32,
    pub strategy: String,
    pub agents: u32,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub mean: Option<f64>,
}

/// `agent_roi_quantiles.csv`: the spread of per-agent ROI within one strategy in one
/// replication, over the whole horizon (agents with a cost of 0 have no ROI).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentRoiRow {
    pub replication: u32,
    pub strategy: String,
    pub agents: u32,
    /// Agents whose cost is above 0 (the quantiles' sample).
    pub agents_with_cost: u32,
    /// Share of those whose ROI is above 0.
    pub share_positive: Option<f64>,
    pub p05: Option<f64>,
    pub p25: Option<f64>,
    pub p50: Option<f64>,
    pub p75: Option<f64>,
    pub p95: Option<f64>,
    pub mean: Option<f64>,
}

/// `boost_bids.csv`: how many winning boost bids of each size (Connects charged) a month
/// of a replication saw.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BoostBidRow {
    pub replication: u32,
    pub month: u32,
    /// Connects charged.
    pub price: u32,
    pub wins: u64,
}

/// The raw rows of a run (or of one replication), each file's rows in key order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rows {
    pub strategy_monthly: Vec<StrategyMonthRow>,
    pub market_monthly: Vec<MarketMonthRow>,
    pub agent_roi: Vec<AgentRoiRow>,
    pub boost_bids: Vec<BoostBidRow>,
    pub post_proposals: Vec<PostProposalsRow>,
    pub agent_spend: Vec<AgentSpendRow>,
    /// One row per agent, only when asked for.
    pub agents: Vec<AgentRow>,
    /// Proposals made (paid and invited).
    pub proposals: u64,
    /// The random draws made (not an output: `bench` replays them).
    pub draws: Draws,
}

impl Rows {
    /// Appends another set of rows (a later replication's).
    pub fn append(&mut self, mut other: Rows) {
        self.strategy_monthly.append(&mut other.strategy_monthly);
        self.market_monthly.append(&mut other.market_monthly);
        self.agent_roi.append(&mut other.agent_roi);
        self.boost_bids.append(&mut other.boost_bids);
        self.post_proposals.append(&mut other.post_proposals);
        self.agent_spend.append(&mut other.agent_spend);
        self.agents.append(&mut other.agents);
        self.proposals += other.proposals;
        self.draws += other.draws;
    }

    /// Puts rows of disjoint replications, each replication's in key order, into the order
    /// of one run: a stable sort by replication.
    pub fn sort_by_replication(&mut self) {
        self.strategy_monthly.sort_by_key(|r| r.replication);
        self.market_monthly.sort_by_key(|r| r.replication);
        self.agent_roi.sort_by_key(|r| r.replication);
        self.boost_bids.sort_by_key(|r| r.replication);
        self.post_proposals.sort_by_key(|r| r.replication);
        self.agent_spend.sort_by_key(|r| r.replication);
        self.agents.sort_by_key(|r| r.replication);
    }
}

/// `summary.csv`: a strategy's metric over the whole horizon, across replications.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    pub strategy: String,
    pub metric: String,
    pub mean: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    /// Replications behind the mean (those where the metric is defined).
    pub replications: u32,
}

/// `market_summary.csv`: a market metric across replications, next to its calibration target.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MarketSummaryRow {
    pub metric: String,
    pub mean: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub replications: u32,
}

/// A strategy's totals over the horizon in one replication, from its monthly rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StrategyTotals {
    pub agents: u32,
    pub proposals: u64,
    pub invites_answered: u64,
    pub interviews: u64,
    pub hires: u64,
    pub boost_wins: u64,
    pub connects_spent: u64,
    pub connects_refunded: u64,
    pub connects_expired: u64,
    pub usd_connects: f64,
    pub usd_plan: f64,
    pub usd_earned: f64,
    /// Months of agent presence are not in the CSV; bundle spending per agent-month uses
    /// the horizon's months.
    pub months: u32,
}

impl StrategyTotals {
    /// Cost in USD: Connects used (spent − refunded) valued at the price, plus plan fees.
    pub fn cost_usd(&self, price_usd: f64) -> f64 {
        (self.connects_spent as f64 - self.connects_refunded as f64) * price_usd + self.usd_plan
    }

    /// ROI = (earned − cost) / cost; `None` when the cost is 0.
    pub fn roi(&self, price_usd: f64) -> Option<f64> {
        ratio(
            self.usd_earned - self.cost_usd(price_usd),
            self.cost_usd(price_usd),
        )
    }
}

/// `a / b`, or `None` when `b` is 0.
pub fn ratio(a: f64, b: f64) -> Option<f64> {
    (b != 0.0).then(|| a / b)
}

/// Sums each (replication, strategy)'s monthly rows, in key order (counts saturate: a
/// crafted file's may not fit).
pub fn strategy_totals(rows: &[StrategyMonthRow]) -> BTreeMap<(u32, String), StrategyTotals> {
    let mut out: BTreeMap<(u32, String), StrategyTotals> = BTreeMap::new();
    for r in rows {
        let t = out.entry((r.replication, r.strategy.clone())).or_default();
        t.agents = r.agents;
        add(&mut t.proposals, r.proposals);
        add(&mut t.invites_answered, r.invites_answered);
        add(&mut t.interviews, r.interviews);
        add(&mut t.hires, r.hires);
        add(&mut t.boost_wins, r.boost_wins);
        add(&mut t.connects_spent, r.connects_spent);
        add(&mut t.connects_refunded, r.connects_refunded);
        add(&mut t.connects_expired, r.connects_expired);
        t.usd_connects += r.usd_connects;
        t.usd_plan += r.usd_plan;
        t.usd_earned += r.usd_earned;
        t.months = t.months.max(r.month.saturating_add(1));
    }
    out
}

/// The metrics of `summary.csv`, in order: (name, value of one replication's totals).
type Metric = (&'static str, fn(&StrategyTotals, f64) -> Option<f64>);

/// Every metric of `summary.csv`. Ratios are computed per replication, then averaged.
pub const METRICS: &[Metric] = &[
    ("roi", |t, p| t.roi(p)),
    ("cash_roi", |t, _| {
        let paid = t.usd_connects + t.usd_plan;
        ratio(t.usd_earned - paid, paid)
    }),
    ("earned_per_agent", |t, _| {
        ratio(t.usd_earned, t.agents as f64)
    }),
    ("earned_per_agent_month", |t, _| {
        ratio(t.usd_earned, t.agents as f64 * t.months as f64)
    }),
    ("cost_per_agent", |t, p| {
        ratio(t.cost_usd(p), t.agents as f64)
    }),
    ("usd_paid_per_agent", |t, _| {
        ratio(t.usd_connects + t.usd_plan, t.agents as f64)
    }),
    ("usd_bundles_per_agent_month", |t, _| {
        ratio(t.usd_connects, t.agents as f64 * t.months as f64)
    }),
    ("proposals_per_agent", |t, _| {
        ratio(t.proposals as f64, t.agents as f64)
    }),
    ("proposals_per_agent_month", |t, _| {
        ratio(t.proposals as f64, t.agents as f64 * t.months as f64)
    }),
    ("invites_answered_per_agent", |t, _| {
        ratio(t.invites_answered as f64, t.agents as f64)
    }),
    ("interviews_per_agent", |t, _| {
        ratio(t.interviews as f64, t.agents as f64)
    }),
    ("hires_per_agent", |t, _| {
        ratio(t.hires as f64, t.agents as f64)
    }),
    ("boost_wins_per_agent", |t, _| {
        ratio(t.boost_wins as f64, t.agents as f64)
    }),
    ("interview_rate", |t, _| {
        ratio(t.interviews as f64, t.proposals as f64)
    }),
    ("hire_rate", |t, _| {
        ratio(t.hires as f64, t.proposals as f64)
    }),
    ("cost_per_hire_usd", |t, p| {
        ratio(t.cost_usd(p), t.hires as f64)
    }),
    ("connects_expired_per_agent", |t, _| {
        ratio(t.connects_expired as f64, t.agents as f64)
    }),
];

/// The strategy that the others are measured against in `summary.csv`'s paired metrics
/// when the scenario names none (`baseline_strategy`) and the run has it; otherwise the
/// first strategy by name.
pub const BASELINE_STRATEGY: &str = "selective";

/// The baseline strategy among `names` (sorted): `chosen` (the scenario's
/// `baseline_strategy`) if present, else [`BASELINE_STRATEGY`] if present, else the first.
pub fn baseline_strategy<'a>(names: &[&'a str], chosen: Option<&str>) -> Option<&'a str> {
    let named = |wanted: &str| names.iter().find(|n| **n == wanted).copied();
    chosen
        .and_then(named)
        .or_else(|| named(BASELINE_STRATEGY))
        .or(names.first().copied())
}

/// The strategies of `summary.csv`'s rows by their mean ROI, highest first (any without
/// one last, by name).
pub fn ranked_by_roi(summary: &[SummaryRow]) -> Vec<&str> {
    let mut ranked: Vec<(&str, Option<f64>)> = summary
        .iter()
        .filter(|r| r.metric == "roi")
        .map(|r| (r.strategy.as_str(), r.mean))
        .collect();
    ranked.sort_by(|a, b| match (a.1, b.1) {
        (Some(x), Some(y)) => y.total_cmp(&x).then(a.0.cmp(b.0)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.0.cmp(b.0),
    });
    ranked.into_iter().map(|(name, _)| name).collect()
}

/// The baseline strategy of `summary.csv`'s rows, `chosen` by the scenario or not (see
/// [`baseline_strategy`]).
pub fn baseline_of<'a>(summary: &'a [SummaryRow], chosen: Option<&str>) -> Option<&'a str> {
    let mut names: Vec<&str> = summary.iter().map(|r| r.strategy.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    baseline_strategy(&names, chosen)
}

/// The paired metrics of `summary.csv`, after each strategy's [`METRICS`]: its ROI minus the
/// baseline strategy's in the same replication (the interval is that of the paired
/// differences), and the share of replications in which its ROI is the higher (with a
/// Wilson score interval). Undefined for the baseline itself.
pub const PAIRED_METRICS: [&str; 2] = ["roi_minus_baseline", "roi_above_baseline_share"];

/// `summary.csv` from the monthly rows: for each strategy (by name) and metric, the mean
/// and 95% interval across the replications where the metric is defined, then the paired
/// metrics against the baseline strategy ([`PAIRED_METRICS`]; `baseline` is the scenario's
/// `baseline_strategy`, if it names one).
pub fn summarize(
    rows: &[StrategyMonthRow],
    price_usd: f64,
    baseline: Option<&str>,
) -> Vec<SummaryRow> {
    let totals = strategy_totals(rows);
    let mut by_strategy: BTreeMap<&str, Vec<(u32, &StrategyTotals)>> = BTreeMap::new();
    for ((replication, name), t) in &totals {
        by_strategy.entry(name).or_default().push((*replication, t));
    }
    let names: Vec<&str> = by_strategy.keys().copied().collect();
    let chosen = baseline_strategy(&names, baseline);
    let baseline: BTreeMap<u32, f64> = chosen
        .and_then(|b| by_strategy.get(b))
        .into_iter()
        .flatten()
        .filter_map(|(r, t)| Some((*r, t.roi(price_usd)?)))
        .filter(|(_, v)| v.is_finite())
        .collect();
    let mut out = Vec::new();
    for (name, reps) in &by_strategy {
        for (metric, f) in METRICS {
            let values: Vec<f64> = reps
                .iter()
                .filter_map(|(_, t)| f(t, price_usd))
                .filter(|v| v.is_finite())
                .collect();
            out.push(summary_row(name, metric, &values));
        }
        let differences: Vec<f64> = if Some(*name) == chosen {
            Vec::new()
        } else {
            reps.iter()
                .filter_map(|(r, t)| Some(t.roi(price_usd)? - baseline.get(r)?))
                .filter(|v| v.is_finite())
                .collect()
        };
        out.push(summary_row(name, PAIRED_METRICS[0], &differences));
        let above = differences.iter().filter(|d| **d > 0.0).count();
        let share = wilson(above, differences.len());
        out.push(SummaryRow {
            strategy: name.to_string(),
            metric: PAIRED_METRICS[1].to_string(),
            mean: share.map(|s| s.mean),
            ci_low: share.and_then(|s| s.low),
            ci_high: share.and_then(|s| s.high),
            replications: differences.len() as u32,
        });
    }
    out
}

fn summary_row(strategy: &str, metric: &str, values: &[f64]) -> SummaryRow {
    let ci = mean_ci(values);
    SummaryRow {
        strategy: strategy.to_string(),
        metric: metric.to_string(),
        mean: ci.map(|c| c.mean),
        ci_low: ci.and_then(|c| c.low),
        ci_high: ci.and_then(|c| c.high),
        replications: values.len() as u32,
    }
}

/// The market's metrics over the horizon, per replication: (name, value).
pub fn market_metrics(rows: &[MarketMonthRow]) -> BTreeMap<u32, Vec<(&'static str, Option<f64>)>> {
    let mut sums: BTreeMap<u32, (MarketMonthRow, f64, u32)> = BTreeMap::new();
    for r in rows {
        let (s, price_weighted, months) = sums.entry(r.replication).or_default();
        *s += r;
        *price_weighted += r.mean_boost_price.unwrap_or(0.0) * r.boost_wins as f64;
        *months += 1;
    }
    sums.into_iter()
        .map(|(rep, (s, price_weighted, months))| {
            let posted = s.jobs_posted as f64;
            let resolved = s.jobs_resolved() as f64;
            let metrics = vec![
                ("proposals_per_post", ratio(s.proposals as f64, posted)),
                (
                    "interview_rate",
                    ratio(s.interviews as f64, s.proposals as f64),
                ),
                ("hire_share_of_posts", ratio(s.jobs_hired as f64, resolved)),
                (
                    "cancel_share_of_posts",
                    ratio(s.jobs_cancelled as f64, resolved),
                ),
                (
                    "removed_share_of_posts",
                    ratio(s.jobs_removed as f64, resolved),
                ),
                (
                    "boosted_share_of_posts",
                    ratio(s.posts_with_boost_bids as f64, posted),
                ),
                (
                    "arrivals_after_close_per_post",
                    ratio(s.arrivals_after_close as f64, posted),
                ),
                ("boost_lift", boost_lift(&s)),
                ("cap_effect_on_proposals", cap_effect_on_proposals(&s)),
                ("cap_effect_on_hire_share", cap_effect_on_hire_share(&s)),
                (
                    "mean_boost_price",
                    ratio(price_weighted, s.boost_wins as f64),
                ),
                (
                    "platform_usd_per_month",
                    ratio(
                        s.platform_usd_connects + s.platform_usd_plans,
                        f64::from(months),
                    ),
                ),
                (
                    "platform_connects_usd_per_month",
                    ratio(s.platform_usd_connects, f64::from(months)),
                ),
            ];
            (rep, metrics)
        })
        .collect()
}

/// The boost experiment's effect (MODEL.md "Boost auction"): the hire rate of slot winners
/// on ordinary posts over that of would-be winners on placebo posts, minus 1 (0.3 = hired
/// 30% more often); `None` without both arms.
pub fn boost_lift(s: &MarketMonthRow) -> Option<f64> {
    let boosted = ratio(s.slot_winner_hires as f64, s.slot_winners as f64)?;
    let placebo = ratio(s.placebo_winner_hires as f64, s.placebo_winners as f64)?;
    ratio(boosted, placebo).map(|r| r - 1.0)
}

/// The cap experiment's effect on applications: proposals per capped post over proposals
/// per uncapped post, minus 1 (−0.11 = 11% fewer); `None` without both arms.
pub fn cap_effect_on_proposals(s: &MarketMonthRow) -> Option<f64> {
    let capped = ratio(s.capped_proposals as f64, s.capped_posts as f64)?;
    let uncapped = ratio(s.uncapped_proposals as f64, s.uncapped_posts as f64)?;
    ratio(capped, uncapped).map(|r| r - 1.0)
}

/// The cap experiment's effect on hiring: the share of capped posts that end in a hire minus
/// that of uncapped posts (0.01 = one percentage point more); `None` without both arms.
pub fn cap_effect_on_hire_share(s: &MarketMonthRow) -> Option<f64> {
    let capped = ratio(s.capped_hires as f64, s.capped_posts as f64)?;
    let uncapped = ratio(s.uncapped_hires as f64, s.uncapped_posts as f64)?;
    Some(capped - uncapped)
}

/// `market_summary.csv` from the monthly market rows.
pub fn summarize_market(rows: &[MarketMonthRow]) -> Vec<MarketSummaryRow> {
    let per_rep = market_metrics(rows);
    let Some(names) = per_rep
        .values()
        .next()
        .map(|m| m.iter().map(|(n, _)| *n).collect::<Vec<_>>())
    else {
        return Vec::new();
    };
    names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let values: Vec<f64> = per_rep
                .values()
                .filter_map(|m| m[i].1)
                .filter(|v| v.is_finite())
                .collect();
            let row = summary_row("", name, &values);
            MarketSummaryRow {
                metric: row.metric,
                mean: row.mean,
                ci_low: row.ci_low,
                ci_high: row.ci_high,
                replications: row.replications,
            }
        })
        .collect()
}

/// The names of a run directory's files.
pub mod files {
    pub const MANIFEST: &str = "manifest.json";
    pub const STRATEGY_MONTHLY: &str = "strategy_monthly.csv";
    pub const MARKET_MONTHLY: &str = "market_monthly.csv";
    pub const SUMMARY: &str = "summary.csv";
    pub const MARKET_SUMMARY: &str = "market_summary.csv";
    pub const AGENT_ROI: &str = "agent_roi_quantiles.csv";
    pub const BOOST_BIDS: &str = "boost_bids.csv";
    pub const POST_PROPOSALS: &str = "post_proposals.csv";
    pub const AGENT_SPEND: &str = "agent_spend_quantiles.csv";
    pub const CALIBRATION: &str = "calibration.csv";
    pub const AGENTS: &str = "agents.csv";
}

/// A run directory's CSV files read back (for `plot`, `compare` and `merge`).
#[derive(Debug, Clone, Default)]
pub struct RunData {
    pub dir: PathBuf,
    /// The scenario's name, from the manifest.
    pub scenario: String,
    /// The resolved scenario as TOML, from the manifest (what the charts read the boost
    /// auction's slots and the strategies' bids from); empty when unknown.
    pub resolved_scenario: String,
    pub strategy_monthly: Vec<StrategyMonthRow>,
    pub market_monthly: Vec<MarketMonthRow>,
    pub agent_roi: Vec<AgentRoiRow>,
    pub boost_bids: Vec<BoostBidRow>,
    pub post_proposals: Vec<PostProposalsRow>,
    pub agent_spend: Vec<AgentSpendRow>,
    pub summary: Vec<SummaryRow>,
}

impl RunData {
    /// The run of `rows` in `dir` of `scenario`, its summary computed at the scenario's
    /// Connects price.
    pub fn new(dir: &Path, scenario: &ScenarioInfo, rows: &Rows) -> RunData {
        RunData {
            dir: dir.to_path_buf(),
            scenario: scenario.name.clone(),
            resolved_scenario: scenario.resolved.clone(),
            strategy_monthly: rows.strategy_monthly.clone(),
            market_monthly: rows.market_monthly.clone(),
            agent_roi: rows.agent_roi.clone(),
            boost_bids: rows.boost_bids.clone(),
            post_proposals: rows.post_proposals.clone(),
            agent_spend: rows.agent_spend.clone(),
            summary: summarize(
                &rows.strategy_monthly,
                scenario.price_usd,
                scenario.baseline.as_deref(),
            ),
        }
    }
}

/// A run directory that cannot be read: which file, and why.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct RunDirError {
    pub path: PathBuf,
    pub message: String,
}

impl RunDirError {
    fn new(path: impl Into<PathBuf>, message: impl Into<String>) -> RunDirError {
        RunDirError {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// At most this many bytes of a manifest are read (a run's is a few kB, its resolved
/// scenario included).
const MAX_MANIFEST_BYTES: u64 = 16 << 20;

/// At most this many directory levels below a run directory are looked into.
const MAX_DEPTH: usize = 4;

/// Reads at most [`MAX_MANIFEST_BYTES`] of `path`; a longer file is refused.
pub fn read_bounded(path: &Path) -> Result<Vec<u8>, RunDirError> {
    use std::io::Read;
    let file = std::fs::File::open(path)
        .map_err(|e| RunDirError::new(path, format!("cannot read: {e}")))?;
    let mut bytes = Vec::new();
    file.take(MAX_MANIFEST_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| RunDirError::new(path, format!("cannot read: {e}")))?;
    if bytes.len() as u64 > MAX_MANIFEST_BYTES {
        return Err(RunDirError::new(
            path,
            format!("longer than {MAX_MANIFEST_BYTES} bytes: not a connectsim manifest"),
        ));
    }
    Ok(bytes)
}

/// Reads a run directory's `manifest.json` (the one reader of the manifest): the manifest
/// and its bytes.
fn read_manifest(dir: &Path) -> Result<(Manifest, Vec<u8>), RunDirError> {
    let path = dir.join(files::MANIFEST);
    if !std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
        return Err(RunDirError::new(
            &path,
            format!("cannot read the run's manifest: {}", missing_why(dir)),
        ));
    }
    let bytes = read_bounded(&path)?;
    let manifest = serde_json::from_slice(&bytes)
        .map_err(|e| RunDirError::new(&path, format!("not a connectsim manifest: {e}")))?;
    Ok((manifest, bytes))
}

/// Why a run directory's manifest is not there: the directory is missing (and what an
/// interrupted run left beside it), or the manifest is not a regular file.
fn missing_why(dir: &Path) -> String {
    if std::fs::symlink_metadata(dir).is_ok() {
        return "missing or not a regular file".to_string();
    }
    let (old, staged) = crate::atomic::leftovers(dir);
    let names: Vec<String> = old
        .iter()
        .chain(&staged)
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    if names.is_empty() {
        "no such run directory".to_string()
    } else {
        format!(
            "no such run directory; an interrupted run left {} beside it",
            names.join(", ")
        )
    }
}

/// The files of a directory as a run's manifest lists them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DirListing {
    /// Every regular file, by path relative to the directory (`/`-separated), sorted; but
    /// `manifest.json` itself and the files of nested runs.
    pub files: Vec<String>,
    /// Subdirectories holding a run of their own (a `manifest.json`: calibrate's
    /// experiments), by path, sorted.
    pub nested: Vec<String>,
}

/// Lists a run directory without following anything: a symbolic link or a special file
/// anywhere in it is refused, and so is a name that is not UTF-8.
pub fn list_run_dir(dir: &Path) -> Result<DirListing, RunDirError> {
    let mut listing = DirListing::default();
    list_into(dir, "", 0, &mut listing)?;
    listing.files.sort();
    listing.nested.sort();
    Ok(listing)
}

fn list_into(
    dir: &Path,
    prefix: &str,
    depth: usize,
    listing: &mut DirListing,
) -> Result<(), RunDirError> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| RunDirError::new(dir, format!("cannot list: {e}")))?;
    for entry in entries {
        let entry = entry.map_err(|e| RunDirError::new(dir, format!("cannot list: {e}")))?;
        let path = entry.path();
        let name = entry
            .file_name()
            .into_string()
            .map_err(|_| RunDirError::new(&path, "not a file of a run (its name is not UTF-8)"))?;
        let kind = entry
            .file_type()
            .map_err(|e| RunDirError::new(&path, format!("cannot read: {e}")))?;
        let relative = format!("{prefix}{name}");
        if kind.is_file() {
            if relative != files::MANIFEST {
                listing.files.push(relative);
            }
        } else if kind.is_dir() && depth < MAX_DEPTH {
            if std::fs::symlink_metadata(path.join(files::MANIFEST)).is_ok() {
                listing.nested.push(relative);
            } else {
                list_into(&path, &format!("{relative}/"), depth + 1, listing)?;
            }
        } else {
            return Err(RunDirError::new(
                &path,
                "not a file of a run (a symbolic link, a special file or too deep)",
            ));
        }
    }
    Ok(())
}

/// A run directory read back and checked against its manifest: every file the manifest
/// lists is there with its SHA-256, and no other file is.
#[derive(Debug, Clone)]
pub struct CheckedRun {
    pub dir: PathBuf,
    pub manifest: Manifest,
    /// `manifest.json` as read.
    pub manifest_bytes: Vec<u8>,
    /// Every file the manifest lists, by path, as read (and checked).
    pub files: BTreeMap<String, Vec<u8>>,
    /// The nested runs (calibrate's experiments), by path, each checked against its own
    /// manifest.
    pub nested: Vec<(String, CheckedRun)>,
}

/// Reads and checks a run directory (see [`CheckedRun`]); the message names the first
/// file that is missing, altered or not the run's.
pub fn read_checked(dir: &Path) -> Result<CheckedRun, RunDirError> {
    read_checked_at(dir, 0)
}

fn read_checked_at(dir: &Path, depth: usize) -> Result<CheckedRun, RunDirError> {
    let (manifest, manifest_bytes) = read_manifest(dir)?;
    let manifest_path = dir.join(files::MANIFEST);
    if manifest.files.is_empty() {
        return Err(RunDirError::new(
            &manifest_path,
            "lists no files (written by a connectsim before file lists): run it again",
        ));
    }
    manifest
        .check_replications()
        .map_err(|message| RunDirError::new(&manifest_path, message))?;
    let mut listed: BTreeMap<&str, &str> = BTreeMap::new();
    for f in &manifest.files {
        if listed.insert(&f.path, &f.sha256).is_some() {
            return Err(RunDirError::new(
                &manifest_path,
                format!("lists {} twice", f.path),
            ));
        }
    }
    let listing = list_run_dir(dir)?;
    if let Some(path) = listed.keys().find(|p| {
        listing
            .files
            .binary_search_by(|f| f.as_str().cmp(p))
            .is_err()
    }) {
        return Err(RunDirError::new(
            dir.join(path),
            "missing (manifest.json lists it): not a whole run",
        ));
    }
    if let Some(path) = listing
        .files
        .iter()
        .find(|f| !listed.contains_key(f.as_str()))
    {
        return Err(RunDirError::new(
            dir.join(path),
            "not a file of this run (manifest.json does not list it)",
        ));
    }
    let mut files = BTreeMap::new();
    for (path, sha256) in listed {
        let full = dir.join(path);
        let bytes = std::fs::read(&full)
            .map_err(|e| RunDirError::new(&full, format!("cannot read: {e}")))?;
        if crate::export::sha256_hex(&bytes) != sha256 {
            return Err(RunDirError::new(
                &full,
                "altered since the run wrote it (its SHA-256 is not the one manifest.json lists)",
            ));
        }
        files.insert(path.to_string(), bytes);
    }
    let mut nested = Vec::new();
    for path in listing.nested {
        if depth >= MAX_DEPTH {
            return Err(RunDirError::new(dir.join(&path), "runs nested too deep"));
        }
        nested.push((path.clone(), read_checked_at(&dir.join(&path), depth + 1)?));
    }
    Ok(CheckedRun {
        dir: dir.to_path_buf(),
        manifest,
        manifest_bytes,
        files,
        nested,
    })
}

impl CheckedRun {
    /// Whether the run has the file `name`.
    pub fn has(&self, name: &str) -> bool {
        self.files.contains_key(name)
    }

    /// The per-replication rows (`agents.csv` too if `with_agents`), checked against the
    /// manifest: exactly the replications and months it says, each file's rows in key
    /// order, every key once.
    pub fn rows(&self, with_agents: bool) -> Result<Rows, RunDirError> {
        if let Some(sweep) = &self.manifest.sweep {
            return Err(RunDirError::new(
                &self.dir,
                format!(
                    "is a sweep of {} points, each a run directory of its own (allowed: one of its points, such as {})",
                    sweep.points.len(),
                    self.dir.join(crate::sweep::point_dir(0)).display()
                ),
            ));
        }
        let rows = rows_from_files(&self.files, &self.dir, with_agents)?;
        check_rows(&rows, &self.manifest)
            .map_err(|(file, message)| RunDirError::new(self.dir.join(file), message))?;
        Ok(rows)
    }

    /// The run as the charts read it, its summary computed from the rows.
    pub fn run_data(&self) -> Result<RunData, RunDirError> {
        let rows = self.rows(false)?;
        let m = &self.manifest;
        Ok(RunData::new(&self.dir, &m.scenario, &rows))
    }
}

/// The per-replication rows in `files` (each CSV file's bytes by name; `agents.csv` too if
/// `with_agents`), `proposals` summed from `market_monthly.csv`; an error names the file
/// in `dir`.
pub fn rows_from_files(
    files: &BTreeMap<String, Vec<u8>>,
    dir: &Path,
    with_agents: bool,
) -> Result<Rows, RunDirError> {
    fn csv<T: serde::de::DeserializeOwned>(
        files: &BTreeMap<String, Vec<u8>>,
        dir: &Path,
        name: &str,
    ) -> Result<Vec<T>, RunDirError> {
        let path = dir.join(name);
        let bytes = files
            .get(name)
            .ok_or_else(|| RunDirError::new(&path, "missing: not a file of this run"))?;
        deserialize(csv::Reader::from_reader(bytes.as_slice()), &path)
    }
    let mut rows = Rows {
        strategy_monthly: csv(files, dir, files::STRATEGY_MONTHLY)?,
        market_monthly: csv(files, dir, files::MARKET_MONTHLY)?,
        agent_roi: csv(files, dir, files::AGENT_ROI)?,
        boost_bids: csv(files, dir, files::BOOST_BIDS)?,
        post_proposals: csv(files, dir, files::POST_PROPOSALS)?,
        agent_spend: csv(files, dir, files::AGENT_SPEND)?,
        ..Rows::default()
    };
    if with_agents {
        rows.agents = csv(files, dir, files::AGENTS)?;
    }
    rows.proposals = rows
        .market_monthly
        .iter()
        .fold(0u64, |sum, r| sum.saturating_add(r.proposals));
    Ok(rows)
}

/// Checks rows against their manifest; the error names the file.
fn check_rows(rows: &Rows, m: &Manifest) -> Result<(), (&'static str, String)> {
    let reps = &m.replications_run;
    let expected = reps.len() as u64 * u64::from(m.months);
    let market = &rows.market_monthly;
    if market.len() as u64 != expected {
        return Err((
            files::MARKET_MONTHLY,
            format!(
                "{} rows, but the manifest's {} replications × {} months make {expected}",
                market.len(),
                reps.len(),
                m.months
            ),
        ));
    }
    let grid = reps
        .iter()
        .flat_map(|&r| (0..m.months).map(move |month| (r, month)));
    for (i, (row, (r, month))) in market.iter().zip(grid).enumerate() {
        if (row.replication, row.month) != (r, month) {
            return Err((
                files::MARKET_MONTHLY,
                format!(
                    "row {}: replication {} month {}, where the manifest's replications and \
                     months put replication {r} month {month}",
                    i + 2,
                    row.replication,
                    row.month
                ),
            ));
        }
    }
    let months = Some(m.months);
    let seen = check_keys(
        files::STRATEGY_MONTHLY,
        rows.strategy_monthly
            .iter()
            .map(|r| (r.replication, r.month, r.strategy.as_str())),
        reps,
        months,
    )?;
    if seen != reps.len() {
        return Err((
            files::STRATEGY_MONTHLY,
            format!(
                "rows of {seen} replications, but the manifest says the directory holds {}",
                reps.len()
            ),
        ));
    }
    check_keys(
        files::AGENT_ROI,
        rows.agent_roi
            .iter()
            .map(|r| no_month(r.replication, r.strategy.as_str())),
        reps,
        None,
    )?;
    check_keys(
        files::BOOST_BIDS,
        rows.boost_bids
            .iter()
            .map(|r| (r.replication, r.month, r.price)),
        reps,
        months,
    )?;
    check_keys(
        files::POST_PROPOSALS,
        rows.post_proposals
            .iter()
            .map(|r| no_month(r.replication, r.proposals)),
        reps,
        None,
    )?;
    check_keys(
        files::AGENT_SPEND,
        rows.agent_spend
            .iter()
            .map(|r| no_month(r.replication, r.strategy.as_str())),
        reps,
        None,
    )?;
    check_keys(
        files::AGENTS,
        rows.agents.iter().map(|r| no_month(r.replication, r.agent)),
        reps,
        None,
    )?;
    Ok(())
}

/// The key of a row of a file without months.
fn no_month<K>(replication: u32, key: K) -> (u32, u32, K) {
    (replication, 0, key)
}

/// Checks that the `(replication, month, key)` of a file's rows are strictly increasing,
/// each replication one of `reps` and each month below `months` (when the file has
/// months); returns how many replications the rows hold.
fn check_keys<K: Ord>(
    file: &'static str,
    keys: impl Iterator<Item = (u32, u32, K)>,
    reps: &[u32],
    months: Option<u32>,
) -> Result<usize, (&'static str, String)> {
    let mut last: Option<(u32, u32, K)> = None;
    let mut seen = 0;
    for (i, key) in keys.enumerate() {
        let row = i + 2;
        if reps.binary_search(&key.0).is_err() {
            return Err((
                file,
                format!(
                    "row {row}: replication {}, not one of the {} the manifest says the directory holds",
                    key.0,
                    reps.len()
                ),
            ));
        }
        if let Some(months) = months.filter(|&m| key.1 >= m) {
            return Err((
                file,
                format!(
                    "row {row}: month {}, but the run has {months} months",
                    key.1
                ),
            ));
        }
        match &last {
            Some(prev) if *prev >= key => {
                return Err((
                    file,
                    format!(
                        "row {row}: not after the row before it (a key twice, or out of order)"
                    ),
                ));
            }
            Some(prev) if prev.0 == key.0 => {}
            _ => seen += 1,
        }
        last = Some(key);
    }
    Ok(seen)
}

/// Reads every CSV file of a run directory, checked against its manifest (see
/// [`read_checked`]), with the summary recomputed from the rows.
pub fn read_run_dir(dir: &Path) -> Result<RunData, RunDirError> {
    read_checked(dir)?.run_data()
}

/// Reads a CSV file of rows of type `T`.
pub fn read_csv<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>, RunDirError> {
    let reader = csv::Reader::from_path(path)
        .map_err(|e| RunDirError::new(path, format!("cannot read: {e}")))?;
    deserialize(reader, path)
}

fn deserialize<T: serde::de::DeserializeOwned, R: std::io::Read>(
    mut reader: csv::Reader<R>,
    path: &Path,
) -> Result<Vec<T>, RunDirError> {
    reader
        .deserialize()
        .collect::<Result<Vec<T>, _>>()
        .map_err(|e| RunDirError::new(path, format!("not a valid connectsim CSV file: {e}")))
}

/// `agents.csv` (with `--agents-csv`): one agent over the whole horizon of a replication.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentRow {
    pub replication: u32,
    pub agent: u32,
    pub strategy: String,
    /// Its categories, separated by `;`.
    pub categories: String,
    pub skill: f64,
    /// Day of joining.
    pub joined_day: f64,
    pub proposals: u64,
    pub invites_answered: u64,
    pub interviews: u64,
    pub hires: u64,
    /// Contracts completed by the horizon.
    pub completed: u32,
    pub reputation: f64,
    pub connects_granted: u64,
    pub connects_bought: u64,
    pub connects_spent: u64,
    pub connects_refunded: u64,
    pub connects_expired: u64,
    pub connects_balance: u64,
    pub usd_connects: f64,
    pub usd_plan: f64,
    pub usd_earned: f64,
    /// (spent − refunded) × price + plan fees.
    pub cost_usd: f64,
    /// Empty when the cost is 0.
    pub roi: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One month of `strategy` in `replication`: 10 Connects used at $1, `earned` dollars.
    fn month(replication: u32, strategy: &str, earned: f64) -> StrategyMonthRow {
        StrategyMonthRow {
            replication,
            strategy: strategy.to_string(),
            agents: 1,
            connects_spent: 10,
            usd_earned: earned,
            ..StrategyMonthRow::default()
        }
    }

    #[test]
    fn strategies_are_paired_with_the_baseline_replication_by_replication() {
        // ROI = (earned − 10) / 10: selective 1.0 and 3.0, spray 2.0 and 3.5.
        let rows = [
            month(0, "selective", 20.0),
            month(0, "spray", 30.0),
            month(1, "selective", 40.0),
            month(1, "spray", 45.0),
        ];
        let summary = summarize(&rows, 1.0, None);
        let get = |s: &str, m: &str| {
            summary
                .iter()
                .find(|r| r.strategy == s && r.metric == m)
                .unwrap()
        };
        // Differences 1.0 and 0.5: mean 0.75, sd 0.3536, t(1) = 12.706.
        let d = get("spray", "roi_minus_baseline");
        assert!((d.mean.unwrap() - 0.75).abs() < 1e-12);
        let half = 12.706_204_736 * 0.353_553_390_6 / 2f64.sqrt();
        assert!((d.ci_high.unwrap() - (0.75 + half)).abs() < 1e-6);
        assert_eq!(d.replications, 2);
        assert_eq!(get("spray", "roi_above_baseline_share").mean, Some(1.0));
        // The baseline against itself is undefined, not zero.
        assert_eq!(get("selective", "roi_minus_baseline").mean, None);
        assert_eq!(get("selective", "roi_above_baseline_share").replications, 0);
        assert_eq!(ranked_by_roi(&summary), ["spray", "selective"]);
        assert_eq!(baseline_of(&summary, None), Some("selective"));
        // A baseline the scenario names replaces selective.
        let against_spray = summarize(&rows, 1.0, Some("spray"));
        let d = against_spray
            .iter()
            .find(|r| r.strategy == "selective" && r.metric == "roi_minus_baseline")
            .unwrap();
        assert!((d.mean.unwrap() + 0.75).abs() < 1e-12);
        assert_eq!(baseline_of(&against_spray, Some("spray")), Some("spray"));
    }

    #[test]
    fn without_selective_the_baseline_is_the_first_strategy_by_name() {
        assert_eq!(baseline_strategy(&["a", "b"], None), Some("a"));
        assert_eq!(
            baseline_strategy(&["a", "selective"], None),
            Some("selective")
        );
        assert_eq!(baseline_strategy(&["a", "selective"], Some("a")), Some("a"));
        assert_eq!(baseline_strategy(&[], None), None);
    }
}
