//! Strategies (MODEL.md "Applying" and "Strategies shipped"): the filters a post must
//! pass, the boost bid, the bundle purchase rule, and the auto-bidder's Thompson-sampling
//! rule. Pure functions; the engine holds the agents' state.

use crate::ledger::{Connects, smallest_covering_bundle};
use crate::market::Job;
use crate::scenario::model::{Boost, Strategy};

/// Whether the job passes the strategy's filters on the post and its client: tiers,
/// `require_verified`, `min_client_hire_rate` (a new client passes) and `min_client_history`.
/// (`min_fit` is checked once the fit is drawn: [`passes_fit_filter`].)
#[inline]
pub fn passes_post_filters(s: &Strategy, job: &Job) -> bool {
    s.tiers.contains(job.tier)
        && (!s.require_verified || job.client.verified)
        && job
            .client
            .hire_rate()
            .is_none_or(|rate| rate >= s.min_client_hire_rate)
        && job.client.history_posts >= s.min_client_history
}

/// Whether the agent's fit for the job reaches the strategy's `min_fit`.
#[inline]
pub fn passes_fit_filter(s: &Strategy, fit: f64) -> bool {
    fit >= s.min_fit
}

/// The boost bid the strategy places on a job, Connects (0: no boost): `fixed` bids its
/// amount, `value` bids `min(max, round(share * budget / price))`, both at least `min_bid`
/// and only on the policy's tiers.
pub fn boost_bid(s: &Strategy, job: &Job, price_usd: f64, min_bid: Connects) -> Connects {
    match s.boost {
        Boost::None => 0,
        Boost::Fixed { connects, tiers } if tiers.contains(job.tier) => connects.max(min_bid),
        Boost::Value { share, max, tiers } if tiers.contains(job.tier) => {
            let by_value = if price_usd > 0.0 {
                (share * job.budget_usd / price_usd).round()
            } else {
                f64::from(max)
            };
            (by_value.min(f64::from(max)) as Connects).max(min_bid)
        }
        _ => 0,
    }
}

/// The purchase rule: the bundle (Connects) to buy so that the agent can pay `needed`
/// Connects (cost, bid and reserve) from `available`; `Some(0)` when no purchase is
/// needed, `None` when no bundle covers the shortfall within what is left of the month's
/// budget (then the agent does not apply).
pub fn bundle_to_buy(
    needed: Connects,
    available: u64,
    bundles: &[Connects],
    budget_left_usd: f64,
    price_usd: f64,
) -> Option<Connects> {
    if available >= u64::from(needed) {
        return Some(0);
    }
    // Below `needed`, so the shortfall fits its width.
    let shortfall = needed - available as Connects;
    let bundle = smallest_covering_bundle(bundles, shortfall)?;
    // A small tolerance so that a budget of exactly the bundle's price buys it.
    (f64::from(bundle) * price_usd <= budget_left_usd + 1e-9).then_some(bundle)
}

/// The auto-bidder's rule: apply only when the sampled hire probability θ makes the
/// proposal's expected value exceed its cost: `θ · budget · (1 − fee) > (cost + bid) · price`.
#[inline]
pub fn learner_says_apply(
    theta: f64,
    job: &Job,
    fee: f64,
    connects: Connects,
    price_usd: f64,
) -> bool {
    theta * job.budget_usd * (1.0 - fee) > f64::from(connects) * price_usd
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::Client;
    use crate::scenario::Scenario;
    use crate::scenario::model::Model;

    fn model() -> Model {
        Scenario::load("default").unwrap().model
    }

    fn job(tier: usize, budget_usd: f64, client: Client) -> Job {
        Job {
            posted_at: 0.0,
            category: 0,
            budget_usd,
            tier,
            connects_cost: 14,
            contract_hours: 100.0,
            client,
            appeal: 1.0,
            review_at: 36.0,
            removed_at: None,
            closes_at: 36.0,
            auction_closes_at: 36.0,
            placebo: false,
            capped: false,
            applicant_cap: None,
        }
    }

    const NEW_CLIENT: Client = Client {
        quality: 0.5,
        history_posts: 0,
        history_hired: 0,
        verified: true,
    };

    #[test]
    fn value_boost_bids_by_budget_on_large_posts_only() {
        let m = model();
        let boost_large = m
            .strategies
            .iter()
            .find(|s| s.name == "boost-large")
            .unwrap();
        // MODEL.md: a $2 000 post gets 27 Connects (0.002 * 2000 / 0.15 = 26.7).
        assert_eq!(
            boost_bid(boost_large, &job(2, 2000.0, NEW_CLIENT), 0.15, 1),
            27
        );
        assert_eq!(
            boost_bid(boost_large, &job(2, 40_000.0, NEW_CLIENT), 0.15, 1),
            40
        );
        assert_eq!(
            boost_bid(boost_large, &job(1, 900.0, NEW_CLIENT), 0.15, 1),
            0
        );
        let spray = m.strategies.iter().find(|s| s.name == "spray").unwrap();
        assert_eq!(boost_bid(spray, &job(2, 2000.0, NEW_CLIENT), 0.15, 1), 0);
    }

    #[test]
    fn filters_let_new_clients_pass_the_hire_rate_but_not_the_history() {
        let m = model();
        let speed = m
            .strategies
            .iter()
            .find(|s| s.name == "speed-first")
            .unwrap();
        let selective = m.strategies.iter().find(|s| s.name == "selective").unwrap();
        let new_client = job(0, 100.0, NEW_CLIENT);
        assert!(passes_post_filters(speed, &new_client));
        assert!(!passes_post_filters(selective, &new_client));
        let poor = Client {
            history_posts: 10,
            history_hired: 1,
            ..NEW_CLIENT
        };
        assert!(!passes_post_filters(speed, &job(0, 100.0, poor)));
        let unverified = Client {
            history_posts: 10,
            history_hired: 9,
            verified: false,
            ..NEW_CLIENT
        };
        assert!(!passes_post_filters(selective, &job(0, 100.0, unverified)));
        assert!(passes_post_filters(speed, &job(0, 100.0, unverified)));
    }

    #[test]
    fn purchases_buy_the_smallest_covering_bundle_within_budget() {
        let bundles = [10, 20, 40, 60, 80];
        assert_eq!(bundle_to_buy(6, 10, &bundles, 0.0, 0.15), Some(0));
        assert_eq!(bundle_to_buy(14, 3, &bundles, 50.0, 0.15), Some(20));
        // 20 Connects cost $3; a budget of $2 left does not cover it.
        assert_eq!(bundle_to_buy(14, 3, &bundles, 2.0, 0.15), None);
        assert_eq!(bundle_to_buy(14, 3, &bundles, 3.0, 0.15), Some(20));
        assert_eq!(bundle_to_buy(100, 3, &bundles, 50.0, 0.15), None);
    }

    #[test]
    fn learner_compares_expected_value_with_cost() {
        let j = job(0, 100.0, NEW_CLIENT);
        // 0.01 * 100 * 0.9 = 0.90 > 5 * 0.15 = 0.75; 0.008 * 90 = 0.72 < 0.75.
        assert!(learner_says_apply(0.01, &j, 0.1, 5, 0.15));
        assert!(!learner_says_apply(0.008, &j, 0.1, 5, 0.15));
    }
}
