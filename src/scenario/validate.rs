//! Validation: a parsed [`ScenarioFile`] becomes a [`Model`], or the first rule it breaks
//! is reported with the field's full path, the bad value and what is allowed.

use std::collections::BTreeSet;

use super::dist::{Dist, Sampler, Support};
use super::file::*;
use super::model::*;
use crate::results::ALL_AGENTS;

/// A rule the scenario breaks: the field's path (`strategies[2].boost.value.max`) and a
/// message saying what is wrong and what is allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub path: String,
    pub message: String,
    /// The other fields a cross-field rule read (`boost.min_bid` for a strategy's bid): a
    /// file that extends another and sets one of them is where the error is reported.
    pub involves: Vec<String>,
}

type Result<T> = std::result::Result<T, Invalid>;

fn invalid<T>(path: impl Into<String>, message: impl Into<String>) -> Result<T> {
    cross_field(path, Vec::new(), message)
}

/// A rule broken by the value at `path` together with the fields it `involves`.
fn cross_field<T>(
    path: impl Into<String>,
    involves: Vec<String>,
    message: impl Into<String>,
) -> Result<T> {
    Err(Invalid {
        path: path.into(),
        message: message.into(),
        involves,
    })
}

/// A strategy's boost bid, which must be at least `boost.min_bid`.
fn boost_bid(path: &str, v: u32, min_bid: u32) -> Result<u32> {
    if v >= min_bid {
        connects_amount(path, v)
    } else {
        cross_field(
            path,
            vec!["boost.min_bid".into()],
            format!("{v} is below boost.min_bid = {min_bid} (allowed: boost.min_bid or more)"),
        )
    }
}

/// A number as a message shows it: in scientific notation when its decimals would run long.
fn number(v: f64) -> String {
    if v != 0.0 && v.is_finite() && !(1e-4..1e15).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

fn probability(path: &str, v: f64) -> Result<f64> {
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        invalid(
            path,
            format!("{} is not a probability (allowed: 0 to 1)", number(v)),
        )
    }
}

fn non_negative(path: &str, v: f64) -> Result<f64> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        invalid(
            path,
            format!("{} is not allowed (allowed: a number ≥ 0)", number(v)),
        )
    }
}

fn positive(path: &str, v: f64) -> Result<f64> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        invalid(
            path,
            format!("{} is not allowed (allowed: a number > 0)", number(v)),
        )
    }
}

/// An amount of US dollars: from 0 to [`MAX_USD`].
fn usd(path: &str, v: f64) -> Result<f64> {
    if v.is_finite() && (0.0..=MAX_USD).contains(&v) {
        Ok(v)
    } else {
        invalid(
            path,
            format!(
                "{} is not allowed (allowed: 0 to {MAX_USD:e} USD)",
                number(v)
            ),
        )
    }
}

/// The price of one Connect: 0 (free), or from [`MIN_PRICE_USD`] to [`MAX_PRICE_USD`].
fn connect_price(path: &str, v: f64) -> Result<f64> {
    if v == 0.0 || (MIN_PRICE_USD..=MAX_PRICE_USD).contains(&v) {
        Ok(v)
    } else {
        invalid(
            path,
            format!(
                "{} is not allowed (allowed: 0, or {MIN_PRICE_USD:e} to {MAX_PRICE_USD:e} USD)",
                number(v)
            ),
        )
    }
}

fn at_least(path: &str, v: u32, min: u32) -> Result<u32> {
    if v >= min {
        Ok(v)
    } else {
        invalid(path, format!("{v} is not allowed (allowed: {min} or more)"))
    }
}

/// Largest Connects amount a scenario may name (keeps every per-agent sum far from overflow).
const MAX_CONNECTS: u32 = 1_000_000;
/// Largest amount of US dollars a scenario may name (budgets, fees, bundle budgets): with
/// at most [`MAX_AGENTS`] agents and [`MAX_MONTHS`] months every sum of dollars stays far
/// below `f64::MAX`.
const MAX_USD: f64 = 1e9;
/// The dearest and the cheapest non-zero Connect. A cost of some Connects at the cheapest
/// price still divides the dearest earnings into a finite ROI (a price of 1e-320 USD made
/// every ROI infinite).
const MAX_PRICE_USD: f64 = 1e6;
const MIN_PRICE_USD: f64 = 1e-6;
/// Largest arrival rate, posts a day (seasonality included).
const MAX_POSTS_PER_DAY: f64 = 1_000_000.0;
/// At most this many categories (they are kept as a bit set).
const MAX_CATEGORIES: usize = 64;
const MAX_AGENTS: u32 = 10_000_000;
const MAX_MONTHS: u32 = 1200;
const MAX_REPLICATIONS: u32 = 100_000;
/// Longest post lifetime, days (ten years).
const MAX_LIFETIME_DAYS: f64 = 3650.0;
/// Largest appeal sigma (the median appeal is then exp(-50)).
const MAX_APPEAL_SIGMA: f64 = 10.0;

fn connects_amount(path: &str, v: u32) -> Result<u32> {
    if v <= MAX_CONNECTS {
        Ok(v)
    } else {
        invalid(
            path,
            format!("{v} is not allowed (allowed: 0 to {MAX_CONNECTS} Connects)"),
        )
    }
}

fn at_most(path: &str, v: u32, max: u32) -> Result<u32> {
    if v <= max {
        Ok(v)
    } else {
        invalid(path, format!("{v} is not allowed (allowed: at most {max})"))
    }
}

fn finite(path: &str, v: f64) -> Result<f64> {
    if v.is_finite() {
        Ok(v)
    } else {
        invalid(
            path,
            format!("{} is not allowed (allowed: a finite number)", number(v)),
        )
    }
}

fn sampler(path: &str, dist: &Dist, support: Support) -> Result<Sampler> {
    dist.sampler(support).map_err(|message| Invalid {
        path: path.to_string(),
        message,
        involves: Vec::new(),
    })
}

fn tier_set(path: &str, names: Option<&[String]>, tiers: &[TierSection]) -> Result<TierSet> {
    let Some(names) = names else {
        return Ok(TierSet::ALL);
    };
    let mut set = 0u32;
    for (i, name) in names.iter().enumerate() {
        match tiers.iter().position(|t| &t.name == name) {
            Some(t) => set |= 1 << t,
            None => {
                let known: Vec<&str> = tiers.iter().map(|t| t.name.as_str()).collect();
                return cross_field(
                    format!("{path}[{i}]"),
                    vec!["tiers".into()],
                    format!("no tier is named {name:?} (allowed: {})", known.join(", ")),
                );
            }
        }
    }
    Ok(TierSet(set))
}

fn unique_names<'a>(path: &str, names: impl Iterator<Item = &'a str>) -> Result<()> {
    let mut seen = BTreeSet::new();
    for (i, name) in names.enumerate() {
        if name.trim().is_empty() {
            return invalid(format!("{path}[{i}].name"), "a name must not be empty");
        }
        if !seen.insert(name) {
            return invalid(
                format!("{path}[{i}].name"),
                format!("the name {name:?} is used twice (names must be unique)"),
            );
        }
    }
    Ok(())
}

/// Checks every rule and builds the engine's model.
pub fn validate(file: &ScenarioFile) -> Result<Model> {
    // The name is the run's directory under `output/`: a leading dot would make it hidden,
    // or `.` and `..` the working directory and its parent.
    if file.name.trim().is_empty()
        || file.name.starts_with('.')
        || !file
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
    {
        return invalid(
            "name",
            format!(
                "{:?} is not allowed (allowed: a non-empty name of letters, digits, '-', '_' or '.', not starting with '.', used as a directory name)",
                file.name
            ),
        );
    }
    let run = &file.run;
    at_least("run.months", run.months, 1)?;
    at_most("run.months", run.months, MAX_MONTHS)?;
    at_least("run.replications", run.replications, 1)?;
    at_most("run.replications", run.replications, MAX_REPLICATIONS)?;

    let jobs = validate_jobs(&file.jobs)?;
    let tiers = validate_tiers(&file.tiers, &file.jobs)?;
    let clients = validate_clients(&file.clients)?;
    let inv = &file.invitations;
    let invitations = Invitations {
        prob: probability("invitations.prob", inv.prob)?,
        extra_invitees: sampler(
            "invitations.extra_invitees",
            &inv.extra_invitees,
            Support::Count,
        )?,
        reputation_weight: finite("invitations.reputation_weight", inv.reputation_weight)?,
        answer_prob: probability("invitations.answer_prob", inv.answer_prob)?,
    };
    let connects = validate_connects(&file.connects)?;

    if file.plans.is_empty() {
        return invalid(
            "plans",
            "at least one plan is needed (for example [plans.basic])",
        );
    }
    for (name, plan) in &file.plans {
        usd(&format!("plans.{name}.price_usd"), plan.price_usd)?;
        connects_amount(&format!("plans.{name}.allowance"), plan.allowance)?;
    }
    let plan_names: Vec<String> = file.plans.keys().cloned().collect();
    let plans: Vec<Plan> = file.plans.values().cloned().collect();

    let b = &file.boost;
    let boost = BoostRules {
        slots: b.slots,
        min_bid: connects_amount("boost.min_bid", at_least("boost.min_bid", b.min_bid, 1)?)?,
        pricing: b.pricing,
        placebo_share: probability("boost.placebo_share", b.placebo_share)?,
        max_auction_hours: non_negative("boost.max_auction_hours", b.max_auction_hours)?,
    };
    let review = validate_review(&file.review)?;
    let fee = file.contracts.fee;
    if !(0.0..1.0).contains(&fee) {
        return invalid(
            "contracts.fee",
            format!("{} is not allowed (allowed: 0 ≤ fee < 1)", number(fee)),
        );
    }
    let population = validate_population(&file.population, jobs.category_names.len())?;
    let strategies = validate_strategies(file, &plan_names, population.agents)?;
    if let Some(baseline) = &file.baseline_strategy
        && !file.strategies.iter().any(|s| &s.name == baseline)
    {
        let names: Vec<&str> = file.strategies.iter().map(|s| s.name.as_str()).collect();
        return invalid(
            "baseline_strategy",
            format!(
                "no strategy is named {baseline:?} (allowed: {})",
                names.join(", ")
            ),
        );
    }
    let c = &file.calibration;
    probability("calibration.placebo_share", c.placebo_share)?;
    probability("calibration.cap_share", c.cap_share)?;
    at_least("calibration.max_applicants", c.max_applicants, 1)?;
    positive("calibration.max_open_hours", c.max_open_hours)?;

    Ok(Model {
        months: run.months,
        replications: run.replications,
        seed: run.seed,
        jobs,
        tiers,
        clients,
        invitations,
        connects,
        plans,
        plan_names,
        boost,
        review,
        fee,
        population,
        strategies,
        calibration: c.clone(),
    })
}

fn validate_jobs(j: &JobsSection) -> Result<Jobs> {
    let per_day = non_negative("jobs.per_day", j.per_day)?;
    for (i, &m) in j.seasonality.iter().enumerate() {
        non_negative(&format!("jobs.seasonality[{i}]"), m)?;
        if per_day * m > MAX_POSTS_PER_DAY {
            return cross_field(
                format!("jobs.seasonality[{i}]"),
                vec!["jobs.per_day".into()],
                format!(
                    "{m} makes {} posts a day (allowed: at most {MAX_POSTS_PER_DAY})",
                    per_day * m
                ),
            );
        }
    }
    if per_day > MAX_POSTS_PER_DAY {
        return invalid(
            "jobs.per_day",
            format!(
                "{} is too many (allowed: at most {MAX_POSTS_PER_DAY} posts a day)",
                number(per_day)
            ),
        );
    }
    if j.categories.is_empty() {
        return invalid("jobs.categories", "at least one category is needed");
    }
    if j.categories.len() > MAX_CATEGORIES {
        return invalid(
            "jobs.categories",
            format!(
                "{} categories is too many (allowed: at most {MAX_CATEGORIES})",
                j.categories.len()
            ),
        );
    }
    unique_names(
        "jobs.categories",
        j.categories.iter().map(|c| c.name.as_str()),
    )?;
    for (i, c) in j.categories.iter().enumerate() {
        positive(&format!("jobs.categories[{i}].weight"), c.weight)?;
    }
    let total: f64 = j.categories.iter().map(|c| c.weight).sum();
    let budget_min_usd = usd("jobs.budget_min_usd", j.budget_min_usd)?;
    let budget_max_usd = positive(
        "jobs.budget_max_usd",
        usd("jobs.budget_max_usd", j.budget_max_usd)?,
    )?;
    if budget_min_usd > budget_max_usd {
        return cross_field(
            "jobs.budget_min_usd",
            vec!["jobs.budget_max_usd".into()],
            format!(
                "{budget_min_usd} is above budget_max_usd = {budget_max_usd} (allowed: min ≤ max)"
            ),
        );
    }
    let max_open_hours = match j.max_open_hours {
        Some(h) => Some(positive("jobs.max_open_hours", h)?),
        None => None,
    };
    let max_applicants = match j.max_applicants {
        Some(n) => Some(at_least("jobs.max_applicants", n, 1)?),
        None => None,
    };
    let share = probability("jobs.cap_share", j.cap_share)?;
    let caps = (max_open_hours.is_some() || max_applicants.is_some()).then_some(Caps {
        max_open_hours,
        max_applicants,
        share,
        enforced: j.enforce_caps,
    });
    let lifetime_days = positive("jobs.post_lifetime_days", j.post_lifetime_days)?;
    if lifetime_days > MAX_LIFETIME_DAYS {
        return invalid(
            "jobs.post_lifetime_days",
            format!(
                "{lifetime_days} is not allowed (allowed: above 0, at most {MAX_LIFETIME_DAYS} days)"
            ),
        );
    }
    let sigma = non_negative("jobs.appeal_sigma", j.appeal_sigma)?;
    if sigma > MAX_APPEAL_SIGMA {
        return invalid(
            "jobs.appeal_sigma",
            format!(
                "{} is not allowed (allowed: 0 to {MAX_APPEAL_SIGMA})",
                number(sigma)
            ),
        );
    }
    // Mean 1: median exp(-sigma^2 / 2).
    let appeal = sampler(
        "jobs.appeal_sigma",
        &Dist::LogNormal {
            median: (-sigma * sigma / 2.0).exp(),
            sigma,
        },
        Support::NonNegative,
    )?;
    Ok(Jobs {
        per_hour: per_day / HOURS_PER_DAY,
        seasonality: j.seasonality.clone(),
        category_names: j.categories.iter().map(|c| c.name.clone()).collect(),
        category_shares: j.categories.iter().map(|c| c.weight / total).collect(),
        budget_usd: sampler("jobs.budget_usd", &j.budget_usd, Support::NonNegative)?,
        budget_min_usd,
        budget_max_usd,
        connects_multiplier: {
            let m = positive("jobs.connects_multiplier", j.connects_multiplier)?;
            if m > 100.0 {
                return invalid(
                    "jobs.connects_multiplier",
                    format!(
                        "{} is not allowed (allowed: above 0, at most 100)",
                        number(m)
                    ),
                );
            }
            m
        },
        post_lifetime_hours: lifetime_days * HOURS_PER_DAY,
        appeal,
        caps,
    })
}

fn validate_tiers(tiers: &[TierSection], jobs: &JobsSection) -> Result<Vec<Tier>> {
    if tiers.is_empty() {
        return invalid("tiers", "at least one tier is needed");
    }
    if tiers.len() > MAX_TIERS {
        return invalid(
            "tiers",
            format!(
                "{} tiers is too many (allowed: at most {MAX_TIERS})",
                tiers.len()
            ),
        );
    }
    unique_names("tiers", tiers.iter().map(|t| t.name.as_str()))?;
    let mut out = Vec::with_capacity(tiers.len());
    let mut expected_min = 0.0;
    for (i, t) in tiers.iter().enumerate() {
        let path = format!("tiers[{i}]");
        let min = non_negative(&format!("{path}.min_usd"), t.min_usd)?;
        if i == 0 && min > jobs.budget_min_usd {
            return cross_field(
                format!("{path}.min_usd"),
                vec!["jobs.budget_min_usd".into()],
                format!(
                    "{min} leaves budgets from jobs.budget_min_usd = {} without a tier (allowed: the first tier starts at or below the smallest budget)",
                    jobs.budget_min_usd
                ),
            );
        }
        if i > 0 && min != expected_min {
            let what = if min > expected_min {
                "a gap"
            } else {
                "an overlap"
            };
            return invalid(
                format!("{path}.min_usd"),
                format!(
                    "{min} leaves {what} after tiers[{}] which ends at {expected_min} (allowed: {expected_min}, tiers must tile the budget range)",
                    i - 1
                ),
            );
        }
        let max = match t.max_usd {
            Some(max) if max <= min || !max.is_finite() => {
                return invalid(
                    format!("{path}.max_usd"),
                    format!(
                        "{max} is not above min_usd = {min} (allowed: a finite number > min_usd)"
                    ),
                );
            }
            Some(max) => max,
            None if i + 1 < tiers.len() => {
                return invalid(
                    format!("{path}.max_usd"),
                    "is missing (allowed: only the last tier may omit max_usd)",
                );
            }
            None => f64::INFINITY,
        };
        if i + 1 == tiers.len() && max <= jobs.budget_max_usd {
            return cross_field(
                format!("{path}.max_usd"),
                vec!["jobs.budget_max_usd".into()],
                format!(
                    "{max} leaves budgets up to jobs.budget_max_usd = {} without a tier (allowed: omit max_usd on the last tier, or set it above the largest budget)",
                    jobs.budget_max_usd
                ),
            );
        }
        connects_amount(&format!("{path}.connects.max"), t.connects.max)?;
        if t.connects.min > t.connects.max {
            return invalid(
                format!("{path}.connects.min"),
                format!(
                    "{} is above connects.max = {} (allowed: min ≤ max)",
                    t.connects.min, t.connects.max
                ),
            );
        }
        out.push(Tier {
            name: t.name.clone(),
            max_usd: max,
            connects_min: t.connects.min,
            connects_max: t.connects.max,
            contract_days: sampler(
                &format!("{path}.contract_days"),
                &t.contract_days,
                Support::NonNegative,
            )?,
        });
        expected_min = max;
    }
    Ok(out)
}

fn validate_clients(c: &ClientsSection) -> Result<Clients> {
    let base = probability("clients.verified_base", c.verified_base)?;
    let top = base + c.verified_per_quality;
    if !(0.0..=1.0).contains(&top) {
        return cross_field(
            "clients.verified_per_quality",
            vec!["clients.verified_base".into()],
            format!(
                "{} makes verified_base + verified_per_quality = {top}, not a probability (allowed: the sum within 0 to 1)",
                c.verified_per_quality
            ),
        );
    }
    Ok(Clients {
        quality: sampler("clients.quality", &c.quality, Support::Unit)?,
        history_posts: sampler("clients.history_posts", &c.history_posts, Support::Count)?,
        verified_base: base,
        verified_per_quality: c.verified_per_quality,
        violation_prob_verified: probability(
            "clients.violation_prob_verified",
            c.violation_prob_verified,
        )?,
        violation_prob_unverified: probability(
            "clients.violation_prob_unverified",
            c.violation_prob_unverified,
        )?,
        removal_delay_hours: sampler(
            "clients.removal_delay_hours",
            &c.removal_delay_hours,
            Support::NonNegative,
        )?,
    })
}

fn validate_connects(c: &ConnectsSection) -> Result<ConnectsRules> {
    let lifetime_days = positive("connects.lifetime_days", c.lifetime_days)?;
    let mut bundles = c.bundles.clone();
    for (i, &b) in bundles.iter().enumerate() {
        connects_amount(
            &format!("connects.bundles[{i}]"),
            at_least(&format!("connects.bundles[{i}]"), b, 1)?,
        )?;
    }
    for (name, v) in [
        ("signup", c.signup),
        ("readiness", c.readiness),
        ("rising_talent", c.rising_talent),
        ("certification", c.certification),
        ("interview_bonus.amount", c.interview_bonus.amount),
        ("interview_bonus.cap", c.interview_bonus.cap),
        ("rollover_cap", c.rollover_cap.unwrap_or(0)),
    ] {
        connects_amount(&format!("connects.{name}"), v)?;
    }
    bundles.sort_unstable();
    bundles.dedup();
    let ib = &c.interview_bonus;
    let interview_bonus = if ib.enabled {
        Some(InterviewBonus {
            amount: ib.amount,
            cap: ib.cap,
            window_hours: positive("connects.interview_bonus.window_days", ib.window_days)?
                * HOURS_PER_DAY,
        })
    } else {
        None
    };
    Ok(ConnectsRules {
        price_usd: connect_price("connects.price_usd", c.price_usd)?,
        lifetime_hours: lifetime_days * HOURS_PER_DAY,
        bundles,
        signup: c.signup,
        readiness: c.readiness,
        readiness_prob: probability("connects.readiness_prob", c.readiness_prob)?,
        rising_talent: c.rising_talent,
        rising_talent_hires: c.rising_talent_hires,
        rising_talent_window_hours: non_negative(
            "connects.rising_talent_window_days",
            c.rising_talent_window_days,
        )? * HOURS_PER_DAY,
        certification: c.certification,
        certification_prob: probability("connects.certification_prob", c.certification_prob)?,
        rollover_cap: c.rollover_cap,
        refund_on_cancel: c.refund_on_cancel,
        refund_on_removal: c.refund_on_removal,
        interview_bonus,
    })
}

fn validate_review(r: &ReviewSection) -> Result<Review> {
    let logit = &r.interview_logit;
    for (name, v) in [
        ("intercept", logit.intercept),
        ("fit", logit.fit),
        ("reputation", logit.reputation),
        ("quality", logit.quality),
        ("quality_center", logit.quality_center),
    ] {
        finite(&format!("review.interview_logit.{name}"), v)?;
    }
    finite("review.hire_score.fit", r.hire_score.fit)?;
    finite("review.hire_score.reputation", r.hire_score.reputation)?;
    non_negative("review.hire_score.noise_scale", r.hire_score.noise_scale)?;
    finite("review.best_match.fit", r.best_match.fit)?;
    finite("review.best_match.reputation", r.best_match.reputation)?;
    Ok(Review {
        delay_hours: sampler("review.delay_hours", &r.delay_hours, Support::NonNegative)?,
        ordering: r.ordering,
        best_match: r.best_match,
        position_decay: non_negative("review.position_decay", r.position_decay)?,
        boost_badge_lift: non_negative("review.boost_badge_lift", r.boost_badge_lift)?,
        max_interviews: at_least("review.max_interviews", r.max_interviews, 1)?,
        interview_logit: r.interview_logit,
        hire_score: r.hire_score,
        cancel_share: probability("review.cancel_share", r.cancel_share)?,
    })
}

fn validate_population(p: &PopulationSection, categories: usize) -> Result<Population> {
    at_least("population.agents", p.agents, 1)?;
    at_most("population.agents", p.agents, MAX_AGENTS)?;
    let range = p.categories_per_agent;
    at_least("population.categories_per_agent.min", range.min, 1)?;
    if range.min > range.max {
        return invalid(
            "population.categories_per_agent.min",
            format!(
                "{} is above categories_per_agent.max = {} (allowed: min ≤ max)",
                range.min, range.max
            ),
        );
    }
    if range.max as usize > categories {
        return cross_field(
            "population.categories_per_agent.max",
            vec!["jobs.categories".into()],
            format!(
                "{} is more than the {categories} categories in jobs.categories (allowed: 1 to {categories})",
                range.max
            ),
        );
    }
    let base = p.reputation_base;
    if !(0.0..1.0).contains(&base) {
        return invalid(
            "population.reputation_base",
            format!("{} is not allowed (allowed: 0 ≤ base < 1)", number(base)),
        );
    }
    Ok(Population {
        agents: p.agents,
        categories_min: range.min,
        categories_max: range.max,
        skill: sampler("population.skill", &p.skill, Support::Unit)?,
        fit_noise: sampler("population.fit_noise", &p.fit_noise, Support::Real)?,
        capacity: at_most(
            "population.capacity",
            at_least("population.capacity", p.capacity, 1)?,
            1000,
        )?,
        join: p.join,
        join_spread_hours: non_negative("population.join_spread_days", p.join_spread_days)?
            * HOURS_PER_DAY,
        reputation_base: base,
    })
}

fn validate_strategies(
    file: &ScenarioFile,
    plan_names: &[String],
    population: u32,
) -> Result<Vec<Strategy>> {
    let list = &file.strategies;
    if list.is_empty() {
        return invalid("strategies", "at least one strategy is needed");
    }
    unique_names("strategies", list.iter().map(|s| s.name.as_str()))?;
    if let Some(i) = list.iter().position(|s| s.name == ALL_AGENTS) {
        return invalid(
            format!("strategies[{i}].name"),
            format!(
                "{ALL_AGENTS:?} is reserved for the rows over all agents (allowed: any other name)"
            ),
        );
    }
    let counts = strategy_counts(list, population)?;
    let mut out = Vec::with_capacity(list.len());
    for (i, (s, &agents)) in list.iter().zip(&counts).enumerate() {
        let path = format!("strategies[{i}]");
        let Some(plan) = plan_names.iter().position(|p| p == &s.plan) else {
            return invalid(
                format!("{path}.plan"),
                format!(
                    "no plan is named {:?} (allowed: {})",
                    s.plan,
                    plan_names.join(", ")
                ),
            );
        };
        let tiers = tier_set(&format!("{path}.tiers"), s.tiers.as_deref(), &file.tiers)?;
        let boost = match &s.boost {
            BoostPolicy::None => Boost::None,
            BoostPolicy::Fixed { connects, tiers } => Boost::Fixed {
                connects: boost_bid(
                    &format!("{path}.boost.fixed.connects"),
                    *connects,
                    file.boost.min_bid,
                )?,
                tiers: tier_set(
                    &format!("{path}.boost.fixed.tiers"),
                    tiers.as_deref(),
                    &file.tiers,
                )?,
            },
            BoostPolicy::Value { share, max, tiers } => Boost::Value {
                share: non_negative(&format!("{path}.boost.value.share"), *share)?,
                max: boost_bid(&format!("{path}.boost.value.max"), *max, file.boost.min_bid)?,
                tiers: tier_set(
                    &format!("{path}.boost.value.tiers"),
                    tiers.as_deref(),
                    &file.tiers,
                )?,
            },
        };
        let learner = match s.learner {
            Some(l) => Some((
                positive(&format!("{path}.learner.prior_hires"), l.prior_hires)?,
                positive(&format!("{path}.learner.prior_misses"), l.prior_misses)?,
            )),
            None => None,
        };
        let weekly_cap = match s.weekly_cap {
            Some(c) => Some(at_least(&format!("{path}.weekly_cap"), c, 1)?),
            None => None,
        };
        out.push(Strategy {
            name: s.name.clone(),
            agents,
            plan,
            posts_per_day: non_negative(&format!("{path}.posts_per_day"), s.posts_per_day)?,
            apply_prob: probability(&format!("{path}.apply_prob"), s.apply_prob)?,
            response_delay_hours: s.response_delay_hours.delay().map_err(|message| Invalid {
                path: format!("{path}.response_delay_hours"),
                message,
                involves: Vec::new(),
            })?,
            quality: sampler(&format!("{path}.quality"), &s.quality, Support::Real)?,
            tiers,
            min_fit: probability(&format!("{path}.min_fit"), s.min_fit)?,
            require_verified: s.require_verified,
            min_client_hire_rate: probability(
                &format!("{path}.min_client_hire_rate"),
                s.min_client_hire_rate,
            )?,
            min_client_history: s.min_client_history,
            weekly_cap,
            reserve: connects_amount(&format!("{path}.reserve"), s.reserve)?,
            bundle_budget_usd: usd(&format!("{path}.bundle_budget_usd"), s.bundle_budget_usd)?,
            boost,
            learner,
        });
    }
    Ok(out)
}

/// Each strategy's agents: its `agents`, which must add up to `population`, or its `share`
/// of `population`, apportioned by largest remainder ([`apportion`]). Every strategy gives
/// one of the two, all the same one, and each has at least one agent.
fn strategy_counts(list: &[StrategySection], population: u32) -> Result<Vec<u32>> {
    for (i, s) in list.iter().enumerate() {
        let path = format!("strategies[{i}]");
        match (s.agents, s.share) {
            (Some(_), Some(_)) => {
                return invalid(
                    format!("{path}.share"),
                    "gives both agents and share (allowed: one of them)",
                );
            }
            (None, None) => {
                return invalid(
                    format!("{path}.agents"),
                    "is missing (allowed: agents, a count, or share, a share of population.agents)",
                );
            }
            _ => {}
        }
    }
    // Mixed: named at the first share, the newer way, against the first count.
    let first_share = list.iter().position(|s| s.share.is_some());
    let first_count = list.iter().position(|s| s.agents.is_some());
    if let (Some(i), Some(j)) = (first_share, first_count) {
        return invalid(
            format!("strategies[{i}].share"),
            format!(
                "mixes shares and counts: {} gives agents (allowed: share for every strategy, or agents for every strategy)",
                list[j].name
            ),
        );
    }
    let shares: Option<Vec<f64>> = list.iter().map(|s| s.share).collect();
    let Some(shares) = shares else {
        let counts: Vec<u32> = list.iter().filter_map(|s| s.agents).collect();
        for (i, &c) in counts.iter().enumerate() {
            at_least(&format!("strategies[{i}].agents"), c, 1)?;
        }
        return check_population(list, &counts, population).map(|()| counts);
    };
    for (i, &share) in shares.iter().enumerate() {
        if !(share > 0.0 && share <= 1.0) {
            return invalid(
                format!("strategies[{i}].share"),
                format!("{share:e} is not allowed (allowed: more than 0, at most 1)"),
            );
        }
    }
    let sum: f64 = shares.iter().sum();
    if (sum - 1.0).abs() > 1e-9 {
        let involves = (0..list.len())
            .map(|i| format!("strategies[{i}].share"))
            .collect();
        return cross_field(
            "strategies",
            involves,
            format!("the shares add up to {sum}, not 1 (allowed: shares that add up to 1)"),
        );
    }
    let counts = apportion(&shares, population);
    if let Some(i) = counts.iter().position(|&c| c == 0) {
        return invalid(
            format!("strategies[{i}].share"),
            format!(
                "{} of {population} agents rounds to no agent (allowed: a share of at least {:e}, or more agents)",
                shares[i],
                0.5 / f64::from(population)
            ),
        );
    }
    Ok(counts)
}

/// `total` seats shared out in proportion to `weights` by the largest remainder method
/// (Hamilton's): each gets the whole part of its quota, then the seats left go to the
/// largest fractional parts, ties to the earlier. The counts add up to `total`.
pub fn apportion(weights: &[f64], total: u32) -> Vec<u32> {
    let sum: f64 = weights.iter().sum();
    if weights.is_empty() || sum <= 0.0 {
        return vec![0; weights.len()];
    }
    let quotas: Vec<f64> = weights.iter().map(|w| w / sum * f64::from(total)).collect();
    let mut counts: Vec<u32> = quotas.iter().map(|q| q.floor() as u32).collect();
    let given: u64 = counts.iter().map(|&c| u64::from(c)).sum();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| {
        let fraction = |i: usize| quotas[i] - quotas[i].floor();
        fraction(b).total_cmp(&fraction(a)).then(a.cmp(&b))
    });
    for &i in order
        .iter()
        .cycle()
        .take(u64::from(total).saturating_sub(given) as usize)
    {
        counts[i] += 1;
    }
    counts
}

/// The strategies' counts must add up to `population.agents`.
fn check_population(list: &[StrategySection], counts: &[u32], population: u32) -> Result<()> {
    let total: u64 = counts.iter().map(|&c| u64::from(c)).sum();
    if total != u64::from(population) {
        // The key that changed the count may be any strategy's `agents`, or a removal.
        let involves = (0..list.len())
            .map(|i| format!("strategies[{i}].agents"))
            .chain([super::compose::REMOVE.to_string()])
            .collect();
        let each: Vec<String> = list
            .iter()
            .zip(counts)
            .map(|(s, c)| format!("{} {c}", s.name))
            .collect();
        return cross_field(
            "population.agents",
            involves,
            format!(
                "{population} does not match the agents of the {} strategies, which add up to {total} ({}) (allowed: population.agents = {total}, or strategies' agents that add up to {population})",
                list.len(),
                each.join(", ")
            ),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn largest_remainder_gives_the_seats_left_to_the_largest_fractions() {
        // Quotas 3.5, 2.1, 1.4: whole parts 3, 2, 1; the seat left goes to the 0.5.
        assert_eq!(apportion(&[0.5, 0.3, 0.2], 7), [4, 2, 1]);
        // Ties go to the earlier.
        assert_eq!(apportion(&[1.0, 1.0, 1.0], 2), [1, 1, 0]);
        // Counts rescale in proportion: the default's 6 × 500 and 2 000 to 1 000.
        let default = [500.0, 500.0, 500.0, 500.0, 500.0, 500.0, 2000.0];
        assert_eq!(
            apportion(&default, 1000),
            [100, 100, 100, 100, 100, 100, 400]
        );
        assert_eq!(apportion(&[], 5), Vec::<u32>::new());
    }

    #[test]
    fn apportioned_counts_always_add_up() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(11);
        for _ in 0..2000 {
            let n = rng.random_range(1..9);
            let weights: Vec<f64> = (0..n).map(|_| rng.random_range(0.001..1.0)).collect();
            let total = rng.random_range(0..100_000);
            let counts = apportion(&weights, total);
            assert_eq!(
                counts.iter().map(|&c| u64::from(c)).sum::<u64>(),
                u64::from(total)
            );
            // Each is within one seat of its quota.
            let sum: f64 = weights.iter().sum();
            for (w, c) in weights.iter().zip(&counts) {
                let quota = w / sum * f64::from(total);
                assert!(
                    (f64::from(*c) - quota).abs() < 1.0 + 1e-9,
                    "{weights:?} {total}"
                );
            }
        }
    }
}
