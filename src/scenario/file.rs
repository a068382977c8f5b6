//! The scenario file as written: plain serde structs, one per TOML table.
//!
//! These structs are the users' reference for the format (the README's scenario reference
//! is written from them). They hold what the file says and nothing more; `validate` turns
//! them into the engine's [`Model`](super::Model). Every table rejects unknown keys.
//!
//! Units are in the names: `_usd` dollars, `_hours`, `_days`, Connects as whole numbers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use super::sweep::SweepSection;

use super::dist::Dist;

/// A whole scenario file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Another scenario this one starts from: the name of an embedded scenario
    /// (`connectsim scenarios`) or a path relative to this file. This file is merged over
    /// its base (itself first merged over its own base): tables key by key; a distribution
    /// and any other value, arrays such as `tiers` included, replace the base's whole.
    ///
    /// The strategies compose by name instead, so that a file can change, add or remove one
    /// without restating the list:
    /// - a `[[strategies]]` table whose `name` is a strategy of the base changes it, key by
    ///   key (its `boost` policy, like a distribution, is replaced whole): `name = "spray"`
    ///   and `apply_prob = 0.5` change only spray's `apply_prob`;
    /// - a table with a new name adds a strategy, after the base's, in the file's order;
    /// - `remove_strategies = ["frugal"]` (a top-level key) removes the base's strategies of
    ///   these names, before the tables are applied (so a name both removed and given a
    ///   table is restated whole, at the end);
    /// - `replace_strategies = true` (a top-level key) makes the file's `[[strategies]]`
    ///   the whole list, in place of the base's (what every array did before strategies
    ///   composed by name; it must now be written out).
    ///
    /// `population.agents` is not raised or lowered with the strategies: a file that adds
    /// or removes one sets it to the new sum (the error names the sum). An unknown name to
    /// remove, a name given twice, a table without a name, removing every strategy, and
    /// the two keys in a file that extends nothing are refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extends: Option<String>,
    /// Short name; the default output directory is `output/<name>/`.
    pub name: String,
    /// One line saying what the scenario is for (shown by `connectsim scenarios`).
    pub description: String,
    /// The strategy that `summary.csv`'s paired metrics and the report's findings measure
    /// the others against [default: `selective` if there is one, else the first strategy
    /// by name].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_strategy: Option<String>,
    pub run: RunSection,
    pub jobs: JobsSection,
    /// The size tiers of job budgets, in increasing order, with their Connects costs.
    pub tiers: Vec<TierSection>,
    pub clients: ClientsSection,
    pub invitations: InvitationsSection,
    pub connects: ConnectsSection,
    /// Membership plans by name (`basic`, `plus`, …); strategies name one.
    pub plans: BTreeMap<String, PlanSection>,
    pub boost: BoostSection,
    pub review: ReviewSection,
    pub contracts: ContractsSection,
    pub population: PopulationSection,
    /// The bidding strategies; their `agents` add up to `population.agents`. In a file
    /// that `extends` another they compose with the base's by name (see `extends`).
    pub strategies: Vec<StrategySection>,
    pub calibration: CalibrationSection,
    /// Runs the scenario at several points, each with some parameters set by path (see
    /// [`SweepSection`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<SweepSection>,
}

impl ScenarioFile {
    /// Resizes the market to `agents` (`--agents N`): `population.agents`, which strategies
    /// given as shares follow, and strategies given as counts rescaled in proportion by
    /// largest remainder, so that they add up. A list that mixes the two is left for
    /// validation to refuse.
    pub fn resize(&mut self, agents: u32) {
        self.population.agents = agents;
        let counts: Option<Vec<f64>> = self
            .strategies
            .iter()
            .map(|s| s.agents.map(f64::from))
            .collect();
        if let Some(counts) = counts {
            let resized = super::validate::apportion(&counts, agents);
            for (s, n) in self.strategies.iter_mut().zip(resized) {
                s.agents = Some(n);
            }
        }
    }
}

/// `[calibration]`: the design of the two field experiments that `connectsim calibrate`
/// runs beside the scenario (MODEL.md "Calibration targets").
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalibrationSection {
    /// The boost experiment: the share of placebo posts.
    pub placebo_share: f64,
    /// The cap experiment: the share of posts capped ...
    pub cap_share: f64,
    /// ... at this many applicants ...
    pub max_applicants: u32,
    /// ... or this many hours after posting.
    pub max_open_hours: f64,
}

/// `[run]`: the horizon and the replications.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSection {
    /// Length of a run in months of 30 days (≥ 1).
    pub months: u32,
    /// Independent replications (≥ 1), each with its own random stream.
    pub replications: u32,
    /// Master seed; replication `r` uses the stream (seed, r).
    pub seed: u64,
}

/// `[jobs]`: job postings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobsSection {
    /// Poisson arrival rate of job posts, posts per day (≥ 0).
    pub per_day: f64,
    /// Optional multipliers of `per_day` by month of the run: month `m` uses
    /// `seasonality[m % len]`. Empty: no seasonality.
    #[serde(default)]
    pub seasonality: Vec<f64>,
    /// Job categories with their relative weights (> 0).
    pub categories: Vec<CategorySection>,
    /// The whole contract's value in USD, before clipping.
    pub budget_usd: Dist,
    /// Budgets are clipped to `[budget_min_usd, budget_max_usd]`.
    pub budget_min_usd: f64,
    pub budget_max_usd: f64,
    /// Multiplies every tier's Connects cost (rounded, at least 1).
    pub connects_multiplier: f64,
    /// A post accepts proposals for at most this many days; the client decides by then.
    pub post_lifetime_days: f64,
    /// Sigma of the log of a post's appeal, a LogNormal with mean 1 that multiplies every
    /// agent's notice probability for the post (0: every post draws alike).
    pub appeal_sigma: f64,
    /// Optional application cap: a capped post closes to new proposals this many hours
    /// after posting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_open_hours: Option<f64>,
    /// Optional application cap: a capped post closes when this many proposals have been
    /// made (answers to invitations included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_applicants: Option<u32>,
    /// Share of posts the caps apply to, drawn at posting (1: every post). Below 1 the run
    /// is a field experiment within one market: `market_monthly.csv` counts each arm.
    pub cap_share: f64,
    /// `false`: posts are still drawn into the capped arm, but no cap is applied (the
    /// counterfactual of a paired estimate of the caps' effect).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub enforce_caps: bool,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// One job category.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategorySection {
    pub name: String,
    /// Relative weight of the category among posts (> 0).
    pub weight: f64,
}

/// `[[tiers]]`: a budget size tier. A budget is in the first tier whose `max_usd`
/// exceeds it; tiers must cover the budget range without gaps or overlaps.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierSection {
    pub name: String,
    /// Lower bound of the tier's budgets, USD (inclusive).
    pub min_usd: f64,
    /// Upper bound, USD (exclusive); omitted on the last tier (no bound).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_usd: Option<f64>,
    /// Connects to apply: a uniform whole number in `[min, max]`.
    pub connects: IntRange,
    /// Contract length in days.
    pub contract_days: Dist,
}

/// An inclusive range of whole numbers, `{ min = 2, max = 6 }`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntRange {
    pub min: u32,
    pub max: u32,
}

/// `[clients]`: one client per post.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientsSection {
    /// Latent quality `q` in [0, 1]: the probability that the client hires at all.
    pub quality: Dist,
    /// Number of earlier posts shown in the client's history; `Binomial(n, q)` of them hired.
    pub history_posts: Dist,
    /// Payment verified with probability `verified_base + verified_per_quality * q`.
    pub verified_base: f64,
    pub verified_per_quality: f64,
    /// Probability that a verified client's post violates the terms (scam, spam).
    pub violation_prob_verified: f64,
    /// Probability that an unverified client's post violates the terms.
    pub violation_prob_unverified: f64,
    /// Hours from posting until a violating post is removed.
    pub removal_delay_hours: Dist,
}

/// `[invitations]`: clients inviting freelancers (answers cost no Connects).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvitationsSection {
    /// Probability that a post sends invitations.
    pub prob: f64,
    /// An inviting post invites `1 + extra_invitees` freelancers of its category.
    pub extra_invitees: Dist,
    /// Invitees are drawn with probability proportional to `exp(reputation_weight * reputation)`.
    pub reputation_weight: f64,
    /// Probability that an invited agent with free capacity answers.
    pub answer_prob: f64,
}

/// `[connects]`: the token rules.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectsSection {
    /// Price of one Connect, USD.
    pub price_usd: f64,
    /// Every grant, purchase and bonus expires this many days after it is received.
    pub lifetime_days: f64,
    /// Bundle sizes on sale, Connects.
    pub bundles: Vec<u32>,
    /// Granted at sign-up.
    pub signup: u32,
    /// Granted at sign-up with probability `readiness_prob` (the readiness test).
    pub readiness: u32,
    pub readiness_prob: f64,
    /// Rising Talent bonus, granted once when an agent is hired `rising_talent_hires` times
    /// within `rising_talent_window_days` of joining.
    pub rising_talent: u32,
    pub rising_talent_hires: u32,
    pub rising_talent_window_days: f64,
    /// Skill-certification bonus, granted at joining with probability `certification_prob`.
    pub certification: u32,
    pub certification_prob: f64,
    /// Optional rollover cap: on each billing day, before the allowance, the balance above
    /// it is forfeited. Omitted: no cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollover_cap: Option<u32>,
    /// Connects paid for a post come back when the client cancels without hiring.
    pub refund_on_cancel: bool,
    /// Connects paid for a post come back when it is removed for a terms violation.
    pub refund_on_removal: bool,
    pub interview_bonus: InterviewBonusSection,
}

/// `[connects.interview_bonus]`: Connects earned per interview won.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterviewBonusSection {
    pub enabled: bool,
    /// Connects per interview.
    pub amount: u32,
    /// At most this many bonus Connects per rolling window.
    pub cap: u32,
    pub window_days: f64,
}

/// `[plans.NAME]`: a membership plan.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanSection {
    /// Connects granted on each billing day (the first at joining).
    pub allowance: u32,
    /// Fee charged on each billing day, USD.
    pub price_usd: f64,
}

/// `[boost]`: the auction for the top positions.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoostSection {
    /// Boosted positions per post.
    pub slots: u32,
    /// Smallest bid, Connects (≥ 1).
    pub min_bid: u32,
    /// `"first"`: winners pay their bid; `"second"`: the next-highest bid (or `min_bid`).
    pub pricing: Pricing,
    /// Share of posts where boosts are neither applied nor charged (a placebo arm).
    pub placebo_share: f64,
    /// The auction closes at the earlier of the review and this many hours after posting.
    pub max_auction_hours: f64,
}

/// How boost winners are charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pricing {
    First,
    Second,
}

/// `[review]`: the client's review of the proposals.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewSection {
    /// Hours from posting to the review.
    pub delay_hours: Dist,
    /// Order of the non-boosted, non-invited proposals.
    pub ordering: Ordering,
    /// Score weights for `ordering = "best_match"`.
    pub best_match: BestMatchWeights,
    /// The proposal at position r (1-based) is examined with probability `r^-position_decay`.
    pub position_decay: f64,
    /// A boosted proposal's examination probability is multiplied by this (capped at 1).
    pub boost_badge_lift: f64,
    /// The client stops examining once it has this many interviews.
    pub max_interviews: u32,
    /// An examined proposal wins an interview with probability
    /// `sigmoid(intercept + fit*fit + reputation*rep + quality*(quality - quality_center))`.
    pub interview_logit: InterviewLogit,
    /// The client offers the contract in order of
    /// `fit*fit + reputation*rep + Gumbel(0, noise_scale)` among the interviewed.
    pub hire_score: HireScore,
    /// Share of posts without a hire that the client cancels (Connects refunded); the rest expire.
    pub cancel_share: f64,
}

/// Proposal order after the boosted and invited ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ordering {
    Chronological,
    BestMatch,
}

/// Weights of the best-match score.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BestMatchWeights {
    pub fit: f64,
    pub reputation: f64,
}

/// Coefficients of the interview logit.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterviewLogit {
    pub intercept: f64,
    pub fit: f64,
    pub reputation: f64,
    pub quality: f64,
    pub quality_center: f64,
}

/// Coefficients of the hiring score.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HireScore {
    pub fit: f64,
    pub reputation: f64,
    pub noise_scale: f64,
}

/// `[contracts]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractsSection {
    /// Marketplace fee on the contract's value; the agent earns `budget * (1 - fee)`.
    pub fee: f64,
}

/// `[population]`: the freelancers, shared by all strategies.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationSection {
    /// Number of agents; must equal the sum of the strategies' `agents`.
    pub agents: u32,
    /// Each agent works in a uniform number of distinct categories in this range.
    pub categories_per_agent: IntRange,
    /// Skill in [0, 1].
    pub skill: Dist,
    /// Fit for a job is `clamp(skill + fit_noise, 0, 1)`.
    pub fit_noise: Dist,
    /// Concurrent contracts an agent can hold.
    pub capacity: u32,
    /// `"spread"`: agents join at a uniform time in the first `join_spread_days`;
    /// `"start"`: all at t = 0.
    pub join: Join,
    pub join_spread_days: f64,
    /// Reputation after `c` completed contracts is `1 - reputation_base^c`.
    pub reputation_base: f64,
}

/// When agents join.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Join {
    Spread,
    Start,
}

/// `[[strategies]]`: a bidding strategy and the agents who follow it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StrategySection {
    pub name: String,
    /// Agents following this strategy; or else `share`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agents: Option<u32>,
    /// The share of `population.agents` following this strategy, in place of `agents`: the
    /// counts are apportioned by largest remainder, so that they add up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
    /// The membership plan, a key of `[plans]`.
    pub plan: String,
    /// Posts read a day (attention): a post in the agent's categories is noticed with
    /// probability `min(1, posts_per_day / λ)`, λ the expected posts a day there.
    pub posts_per_day: f64,
    /// Probability of applying once every rule allows it.
    pub apply_prob: f64,
    /// Hours from posting to the proposal's submission.
    pub response_delay_hours: Dist,
    /// Proposal quality, clipped to [0, 1].
    pub quality: Dist,
    /// Tiers applied to (names); omitted: all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tiers: Option<Vec<String>>,
    /// Smallest fit applied with.
    #[serde(default)]
    pub min_fit: f64,
    /// Apply only to clients with a verified payment method.
    #[serde(default)]
    pub require_verified: bool,
    /// Smallest displayed client hire rate (a new client, with no history, passes).
    #[serde(default)]
    pub min_client_hire_rate: f64,
    /// Smallest number of earlier posts in the client's history (1 excludes new clients).
    #[serde(default)]
    pub min_client_history: u32,
    /// At most this many paid proposals per 7-day week from joining; omitted: no cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weekly_cap: Option<u32>,
    /// Connects kept in reserve: apply only if `cost + bid` leaves at least this many.
    #[serde(default)]
    pub reserve: u32,
    /// USD a month for bundles (resets each billing day); 0 never buys.
    #[serde(default)]
    pub bundle_budget_usd: f64,
    /// Boost policy.
    #[serde(default)]
    pub boost: BoostPolicy,
    /// Optional learner: Thompson sampling on hires per paid proposal by (category, tier).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learner: Option<LearnerSection>,
}

/// How a strategy bids for boosted positions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum BoostPolicy {
    /// Never boosts.
    #[default]
    None,
    /// Bids `connects` on the named tiers (all if omitted).
    Fixed {
        connects: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tiers: Option<Vec<String>>,
    },
    /// Bids `min(max, round(share * budget / price))`, at least `min_bid`, on the named tiers.
    Value {
        share: f64,
        max: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tiers: Option<Vec<String>>,
    },
}

/// `learner = { prior_hires = 1.0, prior_misses = 9.0 }`: a Beta(prior_hires, prior_misses)
/// prior on hires per paid proposal for each (category, tier).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LearnerSection {
    pub prior_hires: f64,
    pub prior_misses: f64,
}
