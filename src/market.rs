//! The market (MODEL.md "Jobs"): job posts with their budget, tier, Connects cost and
//! contract length, the client behind each post, and who notices a post.
//!
//! Each rule is a function named after it; the engine calls them in the order of the model.

use rand::{Rng, RngExt};
use rand_distr::{Binomial, Distribution};

use crate::ledger::Connects;
use crate::random::chance;
use crate::scenario::model::{HOURS_PER_DAY, Jobs, Model, Tier, month_of, month_start};

/// A job post and its client, as drawn at posting time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Job {
    pub posted_at: f64,
    pub category: usize,
    pub budget_usd: f64,
    pub tier: usize,
    /// Connects to apply.
    pub connects_cost: Connects,
    pub contract_hours: f64,
    pub client: Client,
    /// The post's pull on attention: multiplies every agent's notice probability.
    pub appeal: f64,
    /// The client's decision (review) time, hours: at most the end of the post's lifetime.
    pub review_at: f64,
    /// `Some(time)` when the post violates the terms and is removed then (before the review).
    pub removed_at: Option<f64>,
    /// The post takes no new proposals from this time on (decision, removal or the open-hours
    /// cap); the applicant cap may close it earlier.
    pub closes_at: f64,
    /// The boost auction closes then.
    pub auction_closes_at: f64,
    /// A placebo post: bids are held and the auction finds would-be winners, but no slot,
    /// badge or charge is applied.
    pub placebo: bool,
    /// In the capped arm of the application-cap experiment.
    pub capped: bool,
    /// The post closes when this many proposals are made (the capped arm, caps enforced).
    pub applicant_cap: Option<u32>,
}

/// A client as seen by freelancers, plus its latent quality.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Client {
    /// Latent probability that the client hires at all.
    pub quality: f64,
    /// Earlier posts shown in its history, and how many of them hired.
    pub history_posts: u32,
    pub history_hired: u32,
    pub verified: bool,
}

impl Client {
    /// The displayed hire rate `k / n`; `None` for a new client (no history).
    pub fn hire_rate(&self) -> Option<f64> {
        (self.history_posts > 0)
            .then(|| f64::from(self.history_hired) / f64::from(self.history_posts))
    }
}

/// The Poisson arrival rate in the month containing `t`, posts per hour (seasonality applied).
pub fn arrival_rate(jobs: &Jobs, t: f64) -> f64 {
    let month = month_of(t);
    let season = if jobs.seasonality.is_empty() {
        1.0
    } else {
        jobs.seasonality[month % jobs.seasonality.len()]
    };
    jobs.per_hour * season
}

/// The next arrival after `t` of a Poisson process whose rate is constant within each
/// month, or `None` past `horizon`. Exact: a draw that crosses a month boundary restarts
/// there with the next month's rate (the process is memoryless).
pub fn next_arrival<R: Rng + ?Sized>(
    jobs: &Jobs,
    mut t: f64,
    horizon: f64,
    rng: &mut R,
) -> Option<f64> {
    while t < horizon {
        let boundary = month_start(month_of(t) + 1);
        let rate = arrival_rate(jobs, t);
        if rate > 0.0 {
            let u: f64 = rng.random();
            let next = t - (1.0 - u).ln() / rate;
            if next < boundary {
                return (next < horizon).then_some(next);
            }
        }
        t = boundary;
    }
    None
}

/// Draws the category from the weighted categories.
pub fn draw_category<R: Rng + ?Sized>(jobs: &Jobs, rng: &mut R) -> usize {
    let mut u: f64 = rng.random();
    for (i, share) in jobs.category_shares.iter().enumerate() {
        if u < *share {
            return i;
        }
        u -= share;
    }
    jobs.category_shares.len() - 1
}

/// Draws the budget, clipped to the scenario's range.
pub fn draw_budget<R: Rng + ?Sized>(jobs: &Jobs, rng: &mut R) -> f64 {
    jobs.budget_usd
        .sample(rng)
        .clamp(jobs.budget_min_usd, jobs.budget_max_usd)
}

/// The size tier of a budget: the first tier whose upper bound exceeds it.
pub fn size_tier(tiers: &[Tier], budget_usd: f64) -> usize {
    tiers
        .iter()
        .position(|t| budget_usd < t.max_usd)
        .unwrap_or(tiers.len() - 1)
}

/// The Connects cost: a uniform whole number in the tier's range, times the multiplier
/// (rounded, at least 1).
pub fn connects_cost<R: Rng + ?Sized>(tier: &Tier, multiplier: f64, rng: &mut R) -> Connects {
    let base = rng.random_range(tier.connects_min..=tier.connects_max);
    scaled_cost(base, multiplier)
}

/// A card's cost times the multiplier, rounded, at least 1.
pub fn scaled_cost(base: Connects, multiplier: f64) -> Connects {
    ((f64::from(base) * multiplier).round() as Connects).max(1)
}

/// Draws the client: latent quality, visible history, payment verification.
pub fn draw_client<R: Rng + ?Sized>(model: &Model, rng: &mut R) -> Client {
    let c = &model.clients;
    let quality = c.quality.sample(rng);
    let history_posts = c.history_posts.sample_count(rng);
    let history_hired = if history_posts == 0 {
        0
    } else {
        Binomial::new(u64::from(history_posts), quality).map_or(0, |b| b.sample(rng) as u32)
    };
    let verified = chance(rng, c.verified_base + c.verified_per_quality * quality);
    Client {
        quality,
        history_posts,
        history_hired,
        verified,
    }
}

/// Whether the post violates the terms: with the verified or unverified probability.
pub fn violates_terms<R: Rng + ?Sized>(model: &Model, client: &Client, rng: &mut R) -> bool {
    let c = &model.clients;
    let p = if client.verified {
        c.violation_prob_verified
    } else {
        c.violation_prob_unverified
    };
    chance(rng, p)
}

/// Posts a job at `t`: every draw of MODEL.md's "Jobs" section and the post's timeline
/// (decision, removal, close to proposals, auction close, placebo and cap arms), all from
/// the post's own stream. The draws whose count depends on no parameter come first and the
/// client (a Beta and a Binomial) last, so that a changed client distribution leaves the
/// post's other attributes as they were.
pub fn post_job<R: Rng + ?Sized>(model: &Model, t: f64, rng: &mut R) -> Job {
    let jobs = &model.jobs;
    let category = draw_category(jobs, rng);
    let budget_usd = draw_budget(jobs, rng);
    let tier = size_tier(&model.tiers, budget_usd);
    let connects_cost = connects_cost(&model.tiers[tier], jobs.connects_multiplier, rng);
    let contract_hours = model.tiers[tier].contract_days.sample(rng) * HOURS_PER_DAY;
    let decision_hours = model.review.delay_hours.sample(rng);
    let appeal = jobs.appeal.sample(rng);
    let placebo = chance(rng, model.boost.placebo_share);
    let capped = chance(rng, jobs.caps.map_or(0.0, |c| c.share));
    let removal_hours = model.clients.removal_delay_hours.sample(rng);
    let client = draw_client(model, rng);
    let violates = violates_terms(model, &client, rng);
    let review_at = t + decision_hours.min(jobs.post_lifetime_hours);
    let removed_at = violates.then(|| (t + removal_hours).min(review_at));
    let mut closes_at = removed_at.unwrap_or(review_at);
    let enforced = jobs.caps.filter(|c| capped && c.enforced);
    if let Some(h) = enforced.and_then(|c| c.max_open_hours) {
        closes_at = closes_at.min(t + h);
    }
    Job {
        posted_at: t,
        category,
        budget_usd,
        tier,
        connects_cost,
        contract_hours,
        client,
        appeal,
        review_at,
        removed_at,
        closes_at,
        auction_closes_at: review_at.min(t + model.boost.max_auction_hours),
        placebo,
        capped,
        applicant_cap: enforced.and_then(|c| c.max_applicants),
    }
}

/// The notice probability of an agent before the post's appeal: `posts_per_day / λ`, λ the
/// expected posts a day in its categories (may exceed 1; see [`notice_probability`]).
pub fn base_notice_rate(posts_per_day: f64, lambda_per_day: f64) -> f64 {
    if lambda_per_day <= 0.0 {
        1.0
    } else {
        posts_per_day / lambda_per_day
    }
}

/// The probability that an agent notices a post: `min(1, appeal · posts_per_day / λ)`.
#[inline]
pub fn notice_probability(appeal: f64, base_rate: f64) -> f64 {
    (appeal * base_rate).min(1.0)
}

/// Agents of one category that share a notice rate, for sampling noticers with geometric
/// skips (cost proportional to the agents who notice).
#[derive(Debug, Clone)]
pub struct NoticeGroup {
    /// The strategy its agents follow.
    pub strategy: usize,
    /// The notice probability before the post's appeal (may exceed 1).
    pub base_rate: f64,
    pub agents: Vec<u32>,
}

impl NoticeGroup {
    pub fn new(strategy: usize, base_rate: f64, agents: Vec<u32>) -> NoticeGroup {
        NoticeGroup {
            strategy,
            base_rate,
            agents,
        }
    }
}

/// Calls `f` on each of `0..n` drawn, each independently with `probability`, in order:
/// geometric skips, so the cost is proportional to the number drawn.
#[inline]
pub fn geometric_draws<R: Rng + ?Sized>(
    n: usize,
    probability: f64,
    rng: &mut R,
    mut f: impl FnMut(usize, &mut R),
) {
    if probability >= 1.0 {
        for i in 0..n {
            f(i, rng);
        }
        return;
    }
    if probability <= 0.0 {
        return;
    }
    // ln(1 - p), accurate for the tiny probabilities a post of little appeal gives.
    let ln_miss = (-probability).ln_1p();
    let mut i = 0usize;
    loop {
        let u: f64 = rng.random();
        let skip = ((1.0 - u).ln() / ln_miss).floor();
        // Past the end (a NaN or an infinite skip included): no more draws.
        if skip.is_nan() || skip >= (n - i) as f64 {
            return;
        }
        i += skip as usize;
        f(i, rng);
        i += 1;
    }
}

/// The invitees of a post (MODEL.md "Invitations"): `wanted` agents drawn without
/// replacement, each next one with probability proportional to `exp(log_weight)` among the
/// agents not yet drawn (successive sampling), from classes of agents that share a weight:
/// `classes[j]` holds the agents of log weight `log_weights[j]`. The draws go to `out`, in
/// draw order; `classes` is left as it was.
///
/// Exact for any weights: a class is drawn by its share of the total weight, computed
/// relative to the largest (so `exp` can neither overflow nor leave nothing to draw), then
/// an agent uniformly among the class's agents left. A draw costs a look at each class,
/// whatever the weights (rejection sampling, the earlier way, needed about `exp(|w|)`
/// tries a draw).
pub fn draw_invitees<R: Rng + ?Sized>(
    classes: &mut [Vec<u32>],
    log_weights: &[f64],
    wanted: usize,
    rng: &mut R,
    scratch: &mut InviteScratch,
    out: &mut Vec<u32>,
) {
    let InviteScratch { left, swaps } = scratch;
    left.clear();
    left.extend(classes.iter().map(Vec::len));
    swaps.clear();
    let total: usize = left.iter().sum();
    for _ in 0..wanted.min(total) {
        let top = (0..classes.len())
            .filter(|&j| left[j] > 0)
            .map(|j| log_weights[j])
            .fold(f64::NEG_INFINITY, f64::max);
        let weight = |j: usize| left[j] as f64 * (log_weights[j] - top).exp();
        let sum: f64 = (0..classes.len()).map(weight).sum();
        let mut u = rng.random::<f64>() * sum;
        // The last class with agents left takes what rounding leaves over.
        let last_left = (0..classes.len()).rev().find(|&j| left[j] > 0);
        let j = (0..classes.len())
            .find(|&j| {
                let w = weight(j);
                u -= w;
                left[j] > 0 && u < 0.0
            })
            .or(last_left)
            .expect("an agent is left to draw");
        let k = rng.random_range(0..left[j]);
        let last = left[j] - 1;
        out.push(classes[j][k]);
        classes[j].swap(k, last);
        swaps.push((j, k, last));
        left[j] = last;
    }
    for &(j, k, last) in swaps.iter().rev() {
        classes[j].swap(k, last);
    }
}

/// Reused buffers of [`draw_invitees`].
#[derive(Debug, Default)]
pub struct InviteScratch {
    left: Vec<usize>,
    swaps: Vec<(usize, usize, usize)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;
    use rand::SeedableRng;
    use rand::rngs::Xoshiro256PlusPlus;

    fn model() -> Model {
        Scenario::load("default").unwrap().model
    }

    fn invitees(
        classes: &mut [Vec<u32>],
        log_weights: &[f64],
        wanted: usize,
        seed: u64,
    ) -> Vec<u32> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut out = Vec::new();
        let mut scratch = InviteScratch::default();
        draw_invitees(
            classes,
            log_weights,
            wanted,
            &mut rng,
            &mut scratch,
            &mut out,
        );
        out
    }

    #[test]
    fn invitees_are_distinct_and_the_classes_are_left_as_they_were() {
        let mut classes = vec![vec![0, 1, 2], vec![], vec![3, 4]];
        let before = classes.clone();
        for seed in 0..50 {
            let mut out = invitees(&mut classes, &[0.0, 5.0, -1.0], 4, seed);
            assert_eq!(classes, before);
            out.sort_unstable();
            out.dedup();
            assert_eq!(out.len(), 4);
        }
        // Asking for more than there are draws everyone once.
        let mut out = invitees(&mut classes, &[0.0, 5.0, -1.0], 9, 1);
        out.sort_unstable();
        assert_eq!(out, vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn invitees_end_whatever_the_weights() {
        // exp(±710) overflows or underflows: rejection sampling never ended on these.
        for w in [710.0, -710.0, 1e300, -1e300] {
            let mut classes = vec![(0..1000).collect::<Vec<u32>>(), vec![1000]];
            let out = invitees(&mut classes, &[0.0, w], 20, 7);
            assert_eq!(out.len(), 20);
            // The heavy agent comes first when it weighs more, never in the first 20 of 1001
            // otherwise (each draw takes it with probability about exp(-|w|)).
            assert_eq!(out[0] == 1000, w > 0.0, "weight {w}: {out:?}");
        }
    }

    #[test]
    fn the_first_invitee_follows_the_weights() {
        // Two agents of weight e^1 against eight of weight 1: the first draw is one of the
        // two with probability 2e / (2e + 8) = 0.4046.
        let mut classes = vec![(0..8).collect::<Vec<u32>>(), vec![8, 9]];
        let n = 20_000;
        let heavy = (0..n)
            .filter(|&seed| invitees(&mut classes, &[0.0, 1.0], 1, seed)[0] >= 8)
            .count() as f64
            / n as f64;
        let e = std::f64::consts::E;
        let p = 2.0 * e / (2.0 * e + 8.0);
        let sd = (p * (1.0 - p) / n as f64).sqrt();
        assert!((heavy - p).abs() < 4.0 * sd, "{heavy} against {p}");
        // Successive sampling: given a heavy first draw, the second is the other heavy one
        // with probability e / (e + 8).
        let mut both = 0;
        let mut first_heavy = 0;
        for seed in 0..n {
            let out = invitees(&mut classes, &[0.0, 1.0], 2, seed);
            if out[0] >= 8 {
                first_heavy += 1;
                both += usize::from(out[1] >= 8);
            }
        }
        let q = e / (e + 8.0);
        let observed = both as f64 / first_heavy as f64;
        let sd = (q * (1.0 - q) / first_heavy as f64).sqrt();
        assert!((observed - q).abs() < 4.0 * sd, "{observed} against {q}");
    }

    #[test]
    fn tiers_follow_the_first_upper_bound_above_the_budget() {
        let m = model();
        assert_eq!(size_tier(&m.tiers, 20.0), 0);
        assert_eq!(size_tier(&m.tiers, 249.99), 0);
        assert_eq!(size_tier(&m.tiers, 250.0), 1);
        assert_eq!(size_tier(&m.tiers, 1000.0), 2);
        assert_eq!(size_tier(&m.tiers, 50_000.0), 2);
    }

    #[test]
    fn connects_cost_stays_in_the_tier_range_times_the_multiplier() {
        let m = model();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        for _ in 0..1000 {
            let c = connects_cost(&m.tiers[1], 1.0, &mut rng);
            assert!((6..=12).contains(&c));
            let d = connects_cost(&m.tiers[0], 2.0, &mut rng);
            assert!((4..=12).contains(&d) && d % 2 == 0);
        }
    }

    #[test]
    fn geometric_skips_notice_each_agent_with_the_probability() {
        let group = NoticeGroup::new(0, 0.05, (0..1000).collect());
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
        let mut counts = vec![0u32; 1000];
        let trials = 2000;
        for _ in 0..trials {
            geometric_draws(group.agents.len(), group.base_rate, &mut rng, |i, _| {
                counts[group.agents[i] as usize] += 1
            });
        }
        let total: u32 = counts.iter().sum();
        // Binomial(2 000 000, 0.05): mean 100 000, sd ≈ 308.
        assert!(
            (f64::from(total) - 100_000.0).abs() < 4.0 * 308.0,
            "{total}"
        );
        // No position is favoured: first and last hundred agents alike (sd ≈ 97 each).
        let first: u32 = counts[..100].iter().sum();
        let last: u32 = counts[900..].iter().sum();
        assert!((f64::from(first) - f64::from(last)).abs() < 4.0 * 138.0);
    }

    /// Regression: a post of tiny appeal (appeal_sigma 10) gives a notice probability whose
    /// `ln(1 - p)` rounded to 0, and the skips ran past the list.
    #[test]
    fn a_vanishing_notice_probability_notices_no_one() {
        let group = NoticeGroup::new(0, 0.05, (0..1000).collect());
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(8);
        for p in [1e-300, 1e-20, f64::MIN_POSITIVE, 5e-324] {
            let mut seen = 0;
            for _ in 0..1000 {
                geometric_draws(group.agents.len(), p, &mut rng, |_, _| seen += 1);
            }
            assert_eq!(seen, 0, "p = {p}");
        }
    }

    #[test]
    fn arrivals_are_poisson_with_seasonality() {
        let mut m = model();
        m.jobs.seasonality = vec![1.0, 0.0];
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let horizon = month_start(4);
        let mut t = 0.0;
        let mut per_month = [0u32; 4];
        while let Some(next) = next_arrival(&m.jobs, t, horizon, &mut rng) {
            per_month[month_of(next)] += 1;
            t = next;
        }
        // 120 a day for 30 days: mean 3600, sd 60; the second and fourth months are off.
        assert_eq!((per_month[1], per_month[3]), (0, 0));
        for m in [per_month[0], per_month[2]] {
            assert!((f64::from(m) - 3600.0).abs() < 4.0 * 60.0, "{per_month:?}");
        }
    }

    #[test]
    fn appeal_has_mean_one_and_the_sigma_of_the_scenario() {
        let s = Scenario::load("default").unwrap();
        let want = s.file.jobs.appeal_sigma;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(6);
        let n = 200_000;
        let draws: Vec<f64> = (0..n)
            .map(|_| s.model.jobs.appeal.sample(&mut rng))
            .collect();
        let mean = draws.iter().sum::<f64>() / n as f64;
        // The sd of a LogNormal(sigma) with mean 1 is sqrt(exp(sigma^2) - 1).
        let sd_mean = ((want * want).exp() - 1.0).sqrt() / (n as f64).sqrt();
        assert!((mean - 1.0).abs() < 4.0 * sd_mean, "{mean}");
        let logs: Vec<f64> = draws.iter().map(|d| d.ln()).collect();
        let mu = logs.iter().sum::<f64>() / n as f64;
        let sigma = (logs.iter().map(|l| (l - mu).powi(2)).sum::<f64>() / n as f64).sqrt();
        assert!((sigma - want).abs() < 0.01, "{sigma} vs {want}");
    }

    #[test]
    fn notice_probability_matches_the_model_example() {
        // 1.5 posts a day among 120 in 4 equal categories: λ = 30 for one category.
        assert!((notice_probability(1.0, base_notice_rate(1.5, 30.0)) - 0.05).abs() < 1e-12);
        assert!((notice_probability(2.0, base_notice_rate(1.5, 30.0)) - 0.1).abs() < 1e-12);
        assert_eq!(notice_probability(0.5, base_notice_rate(1000.0, 30.0)), 1.0);
    }
}
