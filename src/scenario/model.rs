//! The validated scenario: the types the engine reads.
//!
//! Everything here has been checked (probabilities in [0, 1], rates ≥ 0, tiers that tile
//! the budget range, strategies whose plan exists, …) and converted (days to hours,
//! names to indices, distributions to samplers), so the engine cannot see an invalid
//! scenario. Times are hours; money USD; Connects whole numbers.

pub use super::dist::{Delay, Sampler};
pub use super::file::{
    BestMatchWeights, CalibrationSection, HireScore, InterviewLogit, Join, Ordering,
    PlanSection as Plan, Pricing,
};
use crate::ledger::Connects;

/// Hours in a day.
pub const HOURS_PER_DAY: f64 = 24.0;
/// Days in a model month (billing periods and the monthly outputs).
pub const DAYS_PER_MONTH: f64 = 30.0;
/// Hours in a model month.
pub const HOURS_PER_MONTH: f64 = DAYS_PER_MONTH * HOURS_PER_DAY;
/// Hours in a week (the weekly cap on paid proposals).
pub const HOURS_PER_WEEK: f64 = 7.0 * HOURS_PER_DAY;

/// The month (from 0) that the time `t` (hours) falls in. A time exactly on a boundary
/// belongs to the new month; a time before 0 to month 0.
#[inline]
pub fn month_of(t: f64) -> usize {
    (t / HOURS_PER_MONTH) as usize
}

/// When month `month` starts, in hours.
#[inline]
pub fn month_start(month: usize) -> f64 {
    month as f64 * HOURS_PER_MONTH
}

/// At most this many tiers (they are kept as a bit set).
pub const MAX_TIERS: usize = 32;

/// The whole validated model.
#[derive(Debug, Clone)]
pub struct Model {
    pub months: u32,
    pub replications: u32,
    pub seed: u64,
    pub jobs: Jobs,
    pub tiers: Vec<Tier>,
    pub clients: Clients,
    pub invitations: Invitations,
    pub connects: ConnectsRules,
    /// Plans, indexed by [`Strategy::plan`].
    pub plans: Vec<Plan>,
    pub plan_names: Vec<String>,
    pub boost: BoostRules,
    pub review: Review,
    /// Marketplace fee on contracts, in [0, 1).
    pub fee: f64,
    pub population: Population,
    pub strategies: Vec<Strategy>,
    /// The field experiments `connectsim calibrate` runs beside the scenario.
    pub calibration: CalibrationSection,
}

impl Model {
    /// The run's horizon, hours.
    pub fn horizon_hours(&self) -> f64 {
        f64::from(self.months) * HOURS_PER_MONTH
    }
}

/// Job postings.
#[derive(Debug, Clone)]
pub struct Jobs {
    /// Posts per hour before seasonality.
    pub per_hour: f64,
    /// Multipliers by month of the run, cycled; empty: none.
    pub seasonality: Vec<f64>,
    pub category_names: Vec<String>,
    /// Category shares, summing to 1.
    pub category_shares: Vec<f64>,
    pub budget_usd: Sampler,
    pub budget_min_usd: f64,
    pub budget_max_usd: f64,
    pub connects_multiplier: f64,
    /// A post accepts proposals for at most this long, hours.
    pub post_lifetime_hours: f64,
    /// A post's appeal: LogNormal with mean 1.
    pub appeal: Sampler,
    /// The application caps, if the scenario sets any.
    pub caps: Option<Caps>,
}

/// Application caps (Horton and Vasserman's experiment) and the share of posts they apply to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Caps {
    pub max_open_hours: Option<f64>,
    pub max_applicants: Option<u32>,
    /// Share of posts in the capped arm.
    pub share: f64,
    /// Whether the caps are applied to the capped arm (false: the arms are only counted).
    pub enforced: bool,
}

/// A budget tier.
#[derive(Debug, Clone)]
pub struct Tier {
    pub name: String,
    /// Upper bound of the tier's budgets (exclusive), USD; infinite for the last tier.
    pub max_usd: f64,
    pub connects_min: Connects,
    pub connects_max: Connects,
    pub contract_days: Sampler,
}

/// A set of tiers, as a bit set over tier indices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TierSet(pub u32);

impl TierSet {
    /// Every tier.
    pub const ALL: TierSet = TierSet(u32::MAX);

    #[inline]
    pub fn contains(self, tier: usize) -> bool {
        self.0 & (1 << tier) != 0
    }
}

/// Clients.
#[derive(Debug, Clone)]
pub struct Clients {
    pub quality: Sampler,
    pub history_posts: Sampler,
    pub verified_base: f64,
    pub verified_per_quality: f64,
    pub violation_prob_verified: f64,
    pub violation_prob_unverified: f64,
    pub removal_delay_hours: Sampler,
}

/// Invitations.
#[derive(Debug, Clone)]
pub struct Invitations {
    pub prob: f64,
    pub extra_invitees: Sampler,
    pub reputation_weight: f64,
    pub answer_prob: f64,
}

/// The Connects rules.
#[derive(Debug, Clone)]
pub struct ConnectsRules {
    pub price_usd: f64,
    pub lifetime_hours: f64,
    /// Bundle sizes, ascending.
    pub bundles: Vec<Connects>,
    pub signup: Connects,
    pub readiness: Connects,
    pub readiness_prob: f64,
    pub rising_talent: Connects,
    pub rising_talent_hires: u32,
    pub rising_talent_window_hours: f64,
    pub certification: Connects,
    pub certification_prob: f64,
    pub rollover_cap: Option<Connects>,
    pub refund_on_cancel: bool,
    pub refund_on_removal: bool,
    /// `None` when the bonus is off.
    pub interview_bonus: Option<InterviewBonus>,
}

/// The interview bonus, when on.
#[derive(Debug, Clone, Copy)]
pub struct InterviewBonus {
    pub amount: Connects,
    pub cap: Connects,
    pub window_hours: f64,
}

/// The boost auction.
#[derive(Debug, Clone)]
pub struct BoostRules {
    pub slots: u32,
    pub min_bid: Connects,
    pub pricing: Pricing,
    pub placebo_share: f64,
    pub max_auction_hours: f64,
}

/// The client's review.
#[derive(Debug, Clone)]
pub struct Review {
    pub delay_hours: Sampler,
    pub ordering: Ordering,
    pub best_match: BestMatchWeights,
    pub position_decay: f64,
    pub boost_badge_lift: f64,
    pub max_interviews: u32,
    pub interview_logit: InterviewLogit,
    pub hire_score: HireScore,
    pub cancel_share: f64,
}

/// The population of agents.
#[derive(Debug, Clone)]
pub struct Population {
    pub agents: u32,
    pub categories_min: u32,
    pub categories_max: u32,
    pub skill: Sampler,
    pub fit_noise: Sampler,
    pub capacity: u32,
    pub join: Join,
    pub join_spread_hours: f64,
    pub reputation_base: f64,
}

/// A strategy.
#[derive(Debug, Clone)]
pub struct Strategy {
    pub name: String,
    pub agents: u32,
    /// Index into [`Model::plans`].
    pub plan: usize,
    pub posts_per_day: f64,
    pub apply_prob: f64,
    pub response_delay_hours: Delay,
    pub quality: Sampler,
    pub tiers: TierSet,
    pub min_fit: f64,
    pub require_verified: bool,
    pub min_client_hire_rate: f64,
    pub min_client_history: u32,
    pub weekly_cap: Option<u32>,
    pub reserve: Connects,
    pub bundle_budget_usd: f64,
    pub boost: Boost,
    /// Beta prior (hires, misses) of the Thompson-sampling learner, if any.
    pub learner: Option<(f64, f64)>,
}

/// A validated boost policy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Boost {
    None,
    Fixed {
        connects: Connects,
        tiers: TierSet,
    },
    Value {
        share: f64,
        max: Connects,
        tiers: TierSet,
    },
}
