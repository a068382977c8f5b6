//! The engine's tests: a one-agent market with hand-made posts, whose payments, charges and
//! refunds are computed by hand; invariants checked after every step of a busy market; and
//! the shortcuts against deciding every arrival at its time. (The pinned output of a smoke
//! replication is tested in `crate::rows`.)

use super::*;
use crate::ledger::Totals;
use crate::market::{Client, Job};
use crate::rows::from_tally;
use crate::scenario::{Scenario, load_text};

/// One agent in one category, noticing every post, applying to everything, a fixed
/// 5-Connect boost; clients always examine and always interview.
const ONE_AGENT: &str = r#"
extends = "default"
replace_strategies = true
name = "one-agent"
description = "one agent, hand-made posts"
[run]
months = 3
replications = 1
[jobs]
per_day = 0.0
categories = [{ name = "only", weight = 1.0 }]
[clients]
violation_prob_verified = 0.0
violation_prob_unverified = 0.0
[invitations]
prob = 0.0
[connects]
readiness_prob = 1.0
[review]
position_decay = 0.0
interview_logit = { intercept = 50.0, fit = 0.0, reputation = 0.0, quality = 0.0, quality_center = 0.5 }
cancel_share = 1.0
[population]
agents = 1
categories_per_agent = { min = 1, max = 1 }
join = "start"
[[strategies]]
name = "solo"
agents = 1
plan = "basic"
posts_per_day = 1000.0
apply_prob = 1.0
response_delay_hours = { constant = 1.0 }
quality = { constant = 0.5 }
boost = { fixed = { connects = 5 } }
"#;

fn model(patch: &str) -> Model {
    let text = format!("{ONE_AGENT}\n{patch}");
    Scenario::new(load_text("one-agent.toml", &text).unwrap())
        .unwrap()
        .model
}

/// A medium post at hour 1, reviewed at hour 20, costing 8 Connects.
fn job(quality: f64, removed_at: Option<f64>) -> Job {
    Job {
        posted_at: 1.0,
        category: 0,
        budget_usd: 600.0,
        tier: 1,
        connects_cost: 8,
        contract_hours: 48.0,
        client: Client {
            quality,
            history_posts: 10,
            history_hired: 10,
            verified: true,
        },
        appeal: 1.0,
        review_at: 20.0,
        removed_at,
        closes_at: removed_at.unwrap_or(20.0),
        auction_closes_at: 20.0,
        placebo: false,
        capped: false,
        applicant_cap: None,
    }
}

/// Publishes `job` and runs the rest of the horizon; returns the agent's totals,
/// balance, activity and the market's counters.
fn one_post(model: &Model, job: Job) -> (Totals, u64, Activity, Vec<MarketMonth>) {
    let mut sim = Sim::new(model, Streams::new(1, 0));
    sim.publish(job, 0);
    sim.run(Watch::unwatched());
    let ledger = &sim.ledgers[0];
    (
        ledger.totals(),
        ledger.balance(),
        sim.activity[0],
        sim.market.clone(),
    )
}

// Grants by the horizon (3 months, joining at 0): sign-up 40 + readiness 40 + three
// allowances of 10 (hours 0, 720, 1440) = 110.

#[test]
fn one_agent_hired_on_a_boosted_post_pays_cost_and_bid() {
    let (t, balance, act, market) = one_post(&model(""), job(1.0, None));
    assert_eq!(
        (t.granted, t.spent, t.refunded, t.expired),
        (110, 8 + 5, 0, 0)
    );
    assert_eq!(balance, 110 - 13);
    assert_eq!((act.proposals, act.boosted, act.boost_wins), (1, 1, 1));
    assert_eq!((act.interviews, act.hires), (1, 1));
    assert!((act.usd_earned - 600.0 * 0.9).abs() < 1e-9);
    assert_eq!(market[0].jobs_hired, 1);
    assert_eq!((market[0].boost_wins, market[0].boost_price_sum), (1, 5));
}

#[test]
fn a_cancel_refunds_the_cost_and_the_boost_charge() {
    let (t, balance, act, market) = one_post(&model(""), job(0.0, None));
    assert_eq!((t.spent, t.refunded), (13, 13));
    assert_eq!(balance, 110);
    assert_eq!((act.hires, market[0].jobs_cancelled), (0, 1));
}

#[test]
fn an_expired_post_refunds_nothing() {
    let m = model_review_patch("cancel_share = 0.0");
    let (t, balance, _, market) = one_post(&m, job(0.0, None));
    assert_eq!((t.spent, t.refunded), (13, 0));
    assert_eq!(balance, 97);
    assert_eq!(market[0].jobs_expired, 1);
}

#[test]
fn a_removed_post_refunds_the_cost_and_releases_the_hold() {
    let (t, balance, act, market) = one_post(&model(""), job(1.0, Some(5.0)));
    assert_eq!((t.spent, t.refunded), (8, 8));
    assert_eq!(balance, 110);
    assert_eq!((act.interviews, act.hires, act.boost_wins), (0, 0, 0));
    assert_eq!(market[0].jobs_removed, 1);
}

#[test]
fn second_price_charges_the_minimum_bid_to_a_lone_bidder() {
    let m = model_boost_patch("pricing = \"second\"");
    let (t, ..) = one_post(&m, job(1.0, None));
    assert_eq!(t.spent, 8 + 1);
}

#[test]
fn a_placebo_post_holds_and_releases_the_bid_and_counts_the_would_be_winner() {
    let mut j = job(1.0, None);
    j.placebo = true;
    let (t, balance, act, market) = one_post(&model(""), j);
    // The bid is held and released at the decision: only the cost is spent.
    assert_eq!((t.spent, t.refunded), (8, 0));
    assert_eq!(balance, 110 - 8);
    assert_eq!((act.boosted, act.boost_wins, act.hires), (1, 0, 1));
    assert_eq!(market[0].boost_bids, 1);
    assert_eq!(
        (market[0].placebo_winners, market[0].placebo_winner_hires),
        (1, 1)
    );
    assert_eq!(market[0].slot_winners, 0);
    let (.., market) = one_post(&model(""), job(1.0, None));
    assert_eq!(
        (market[0].slot_winners, market[0].slot_winner_hires),
        (1, 1)
    );
    assert_eq!(market[0].placebo_winners, 0);
}

#[test]
fn an_arrival_after_the_close_is_counted_and_makes_no_proposal() {
    let mut j = job(1.0, None);
    j.closes_at = 1.5; // the agent gets to the post after 1 hour, at 2.0
    let (t, balance, act, market) = one_post(&model(""), j);
    assert_eq!((t.spent, act.proposals), (0, 0));
    assert_eq!(balance, 110);
    assert_eq!(market[0].arrivals_after_close, 1);
    // At the closing instant is too late as well.
    let mut j = job(1.0, None);
    j.closes_at = 2.0;
    let (.., act, market) = one_post(&model(""), j);
    assert_eq!((act.proposals, market[0].arrivals_after_close), (0, 1));
}

#[test]
fn the_applicant_cap_closes_the_post_at_its_last_proposal() {
    // A post capped at one applicant, in the capped arm: the one agent applies, and
    // the arms count it.
    let text = ONE_AGENT.replace("[jobs]\n", "[jobs]\nmax_applicants = 1\n");
    let m = Scenario::new(load_text("one-agent.toml", &text).unwrap())
        .unwrap()
        .model;
    let mut j = job(1.0, None);
    j.capped = true;
    j.applicant_cap = Some(1);
    let (_, _, act, market) = one_post(&m, j);
    assert_eq!(act.proposals, 1);
    assert_eq!(
        (
            market[0].capped_posts,
            market[0].capped_proposals,
            market[0].capped_hires
        ),
        (1, 1, 1)
    );
    assert_eq!(market[0].uncapped_posts, 0);
}

fn model_review_patch(line: &str) -> Model {
    let text = ONE_AGENT.replace("cancel_share = 1.0", line);
    Scenario::new(load_text("one-agent.toml", &text).unwrap())
        .unwrap()
        .model
}

fn model_boost_patch(line: &str) -> Model {
    model(&format!("[boost]\n{line}"))
}

/// Invariants checked after every step of a busy market: Connects conservation per
/// agent, capacity, and refunds only when a post is cancelled or removed.
#[test]
fn invariants_hold_at_every_step() {
    let text = r#"
extends = "smoke"
name = "busy"
description = "busy"
[run]
months = 2
[jobs]
per_day = 40.0
[population]
capacity = 1
"#;
    let model = Scenario::new(load_text("busy.toml", text).unwrap())
        .unwrap()
        .model;
    let mut sim = Sim::new(&model, Streams::new(model.seed, 0));
    let mut refunded = 0;
    let mut cancelled_or_removed = 0;
    let mut steps = 0;
    sim.run_observed(Watch::unwatched(), |step, sim| {
        steps += 1;
        for (id, ledger) in sim.ledgers.iter().enumerate() {
            assert!(ledger.conserves(), "agent {id} after {step:?}");
            assert!(sim.agents[id].active <= model.population.capacity);
        }
        let now: u64 = sim.ledgers.iter().map(|l| l.totals().refunded).sum();
        let closed: u64 = sim
            .market
            .iter()
            .map(|m| m.jobs_cancelled + m.jobs_removed)
            .sum();
        if now > refunded {
            assert!(
                matches!(step, Step::Event(EventKind::Resolve(_))),
                "{step:?}"
            );
            assert!(
                closed > cancelled_or_removed,
                "a refund without a cancel or removal"
            );
        }
        refunded = now;
        cancelled_or_removed = closed;
        if step == Step::MonthEnd {
            assert!(sim.invitable_well_formed(), "after {step:?}");
        }
    });
    assert!(
        steps > 1000 && refunded > 0,
        "{steps} steps, {refunded} refunded"
    );
    // Agents moved up the reputation classes (the check of the classes is not vacuous).
    assert!(
        sim.profiles
            .iter()
            .any(|p| p.completed > 1 && !p.invite_slots.is_empty())
    );
}

/// The shortcuts of `plan_arrival` (the post filters, a weekly cap already reached and
/// an agent that cannot pay, settled at posting; deferred arrivals brought back by a
/// refund) change nothing: every row is the one deciding everything at arrival gives.
#[test]
fn settling_at_posting_gives_what_deciding_at_arrival_gives() {
    // Caps, placebo posts and tight budgets; then no caps, so that the auto-bidders,
    // broke or at their caps, leave the attention lists and come back.
    let capped = r#"
extends = "smoke"
name = "shortcuts"
description = "caps on half the posts, placebo posts, tight budgets"
[run]
months = 3
[jobs]
per_day = 30.0
max_applicants = 8
max_open_hours = 30.0
cap_share = 0.5
[boost]
placebo_share = 0.3
"#;
    let uncapped = r#"
extends = "smoke"
name = "attention"
description = "no caps, so that blocked agents leave the attention lists"
[run]
months = 3
[jobs]
per_day = 30.0
[population]
capacity = 1
"#;
    for text in [capped, uncapped] {
        let model = Scenario::new(load_text("shortcuts.toml", text).unwrap())
            .unwrap()
            .model;
        for replication in 0..2 {
            let run = |shortcuts: bool| {
                let mut sim = Sim::new(&model, Streams::new(model.seed, replication));
                sim.shortcuts = shortcuts;
                let mut returns = 0;
                sim.run_observed(Watch::unwatched(), |step, _| {
                    returns += u32::from(matches!(step, Step::Event(EventKind::Return(_))));
                });
                (from_tally(&model, sim.finish(), replication, true), returns)
            };
            let ((mut fast, returns), (naive, _)) = (run(true), run(false));
            // The shortcuts' point: fewer draws for the same rows.
            assert!(fast.draws.quantiles < naive.draws.quantiles);
            fast.draws = naive.draws;
            assert!(fast.proposals > 1000, "{}", fast.proposals);
            assert!(returns > 50, "{returns} returns to the attention lists");
            assert_eq!(fast, naive, "{text} replication {replication}");
        }
    }
}
