//! The client's review (MODEL.md "The client's review"): the display order, the
//! position-biased examination, the interview logit and the hiring score. Pure functions
//! of the proposals and the scenario's coefficients; the engine draws the randomness.

use rand::{Rng, RngExt};

use crate::random::chance;
use crate::scenario::model::{Ordering, Review};

/// What the review needs to know of a proposal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shown {
    /// The proposal's index within its post.
    pub proposal: u32,
    pub submitted: f64,
    pub fit: f64,
    pub reputation: f64,
    pub quality: f64,
    /// `Some(slot)` when it holds a boosted position.
    pub boost_slot: Option<u32>,
    pub invited: bool,
}

/// Sorts proposals into display order: boosted positions first (by slot), then invited
/// proposals (by submission), then the rest by submission (`chronological`) or by
/// `fit + reputation`, highest first (`best_match`, weights from the scenario).
pub fn display_order(shown: &mut [Shown], review: &Review) {
    let group = |s: &Shown| match (s.boost_slot, s.invited) {
        (Some(slot), _) => (0u8, slot),
        (None, true) => (1, 0),
        (None, false) => (2, 0),
    };
    let w = review.best_match;
    let score = |s: &Shown| w.fit * s.fit + w.reputation * s.reputation;
    shown.sort_by(|a, b| {
        group(a).cmp(&group(b)).then_with(|| {
            let by_match = if group(a).0 == 2 && review.ordering == Ordering::BestMatch {
                score(b).total_cmp(&score(a))
            } else {
                std::cmp::Ordering::Equal
            };
            by_match
                .then(a.submitted.total_cmp(&b.submitted))
                .then(a.proposal.cmp(&b.proposal))
        })
    });
}

/// The probability that the client examines the proposal at 1-based `position`:
/// `position^-decay`, times the badge lift for a boosted one, capped at 1.
#[inline]
pub fn examination_probability(position: usize, boosted: bool, review: &Review) -> f64 {
    let base = (position as f64).powf(-review.position_decay);
    let lift = if boosted {
        review.boost_badge_lift
    } else {
        1.0
    };
    (base * lift).min(1.0)
}

/// The probability that an examined proposal wins an interview:
/// `sigmoid(intercept + a·fit + b·reputation + c·(quality − center))`.
#[inline]
pub fn interview_probability(s: &Shown, review: &Review) -> f64 {
    let l = review.interview_logit;
    let x = l.intercept
        + l.fit * s.fit
        + l.reputation * s.reputation
        + l.quality * (s.quality - l.quality_center);
    1.0 / (1.0 + (-x).exp())
}

/// The client's walk down the display order: each proposal is examined with its
/// position's probability (independently), and an examined one wins an interview with the
/// logit's probability; the walk stops at `max_interviews`. A proposal's draws come from
/// its own generator (`draws(shown)`), so that a proposal more or less leaves the others'
/// draws as they were. Calls `interview(shown, its generator)` for each interview, in
/// display order; returns the number of proposals examined.
pub fn walk<R: Rng>(
    shown: &[Shown],
    review: &Review,
    mut draws: impl FnMut(&Shown) -> R,
    mut interview: impl FnMut(&Shown, &mut R),
) -> usize {
    let mut interviews = 0;
    let mut examined = 0;
    for (position, s) in shown.iter().enumerate() {
        if interviews >= review.max_interviews {
            break;
        }
        let mut rng = draws(s);
        if chance(
            &mut rng,
            examination_probability(position + 1, s.boost_slot.is_some(), review),
        ) {
            examined += 1;
            if chance(&mut rng, interview_probability(s, review)) {
                interviews += 1;
                interview(s, &mut rng);
            }
        }
    }
    examined
}

/// A Gumbel(0, scale) draw, the noise of the client's ranking.
pub fn gumbel<R: Rng + ?Sized>(scale: f64, rng: &mut R) -> f64 {
    if scale <= 0.0 {
        return 0.0;
    }
    let u: f64 = rng.random();
    -scale * (-(u.max(f64::MIN_POSITIVE)).ln()).ln()
}

/// The client's ranking score of an interviewed proposal, before its Gumbel noise:
/// `a·fit + b·reputation`.
#[inline]
pub fn hire_score(s: &Shown, review: &Review) -> f64 {
    review.hire_score.fit * s.fit + review.hire_score.reputation * s.reputation
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;
    use rand::SeedableRng;

    /// The default scenario's review with MODEL.md's starting coefficients, so the hand
    /// computations below do not move with the calibration.
    fn review() -> Review {
        let mut r = Scenario::load("default").unwrap().model.review;
        r.position_decay = 0.6;
        r.boost_badge_lift = 1.2;
        r.max_interviews = 3;
        r.interview_logit.intercept = -2.2;
        r
    }

    fn shown(proposal: u32, submitted: f64, boost_slot: Option<u32>, invited: bool) -> Shown {
        Shown {
            proposal,
            submitted,
            fit: 0.5,
            reputation: 0.0,
            quality: 0.5,
            boost_slot,
            invited,
        }
    }

    #[test]
    fn boosted_then_invited_then_chronological() {
        let mut list = vec![
            shown(0, 1.0, None, false),
            shown(1, 5.0, Some(1), false),
            shown(2, 3.0, None, true),
            shown(3, 0.5, None, false),
            shown(4, 9.0, Some(0), false),
        ];
        display_order(&mut list, &review());
        let order: Vec<u32> = list.iter().map(|s| s.proposal).collect();
        assert_eq!(order, vec![4, 1, 2, 3, 0]);
    }

    #[test]
    fn best_match_orders_the_rest_by_score() {
        let mut r = review();
        r.ordering = Ordering::BestMatch;
        let mut a = shown(0, 1.0, None, false);
        a.fit = 0.2;
        let mut b = shown(1, 2.0, None, false);
        b.fit = 0.9;
        let mut list = vec![a, b];
        display_order(&mut list, &r);
        assert_eq!(list[0].proposal, 1);
    }

    #[test]
    fn examination_by_hand() {
        let r = review();
        assert_eq!(examination_probability(1, false, &r), 1.0);
        assert!((examination_probability(4, false, &r) - 4f64.powf(-0.6)).abs() < 1e-12);
        assert!((examination_probability(4, true, &r) - 1.2 * 4f64.powf(-0.6)).abs() < 1e-12);
        assert_eq!(examination_probability(1, true, &r), 1.0);
    }

    #[test]
    fn a_boosted_proposal_in_a_top_slot_is_examined_more_often() {
        // The same proposal at position 2, with and without the boost badge: examined with
        // probability 2^-0.6 = 0.660 vs 1.2 * 0.660 = 0.792 (capped at 1). The walk never
        // stops before position 2 here (interviews are impossible: intercept -50).
        let mut r = review();
        r.interview_logit.intercept = -50.0;
        let mut seed = 0;
        let mut draws = |_: &Shown| {
            seed += 1;
            rand::rngs::Xoshiro256PlusPlus::seed_from_u64(seed)
        };
        let trials = 20_000;
        let mut examined = [0u32; 2];
        for (k, slot) in [None, Some(1)].into_iter().enumerate() {
            let list = [shown(0, 0.0, Some(0), false), shown(1, 1.0, slot, false)];
            for _ in 0..trials {
                // Examinations of position 2 = total minus position 1 (always examined).
                examined[k] += (walk(&list, &r, &mut draws, |_, _| {}) - 1) as u32;
            }
        }
        let p = [2f64.powf(-0.6), 1.2 * 2f64.powf(-0.6)];
        for k in 0..2 {
            // Binomial(20 000, p): sd ≤ 71; allow 4 sd.
            let sd = (f64::from(trials) * p[k] * (1.0 - p[k])).sqrt();
            assert!((f64::from(examined[k]) - f64::from(trials) * p[k]).abs() < 4.0 * sd);
        }
        assert!(examined[1] > examined[0]);
    }

    #[test]
    fn the_walk_stops_at_the_interview_cap() {
        let mut r = review();
        r.interview_logit.intercept = 50.0; // every examined proposal is interviewed
        r.position_decay = 0.0; // every proposal is examined
        let list: Vec<Shown> = (0..10)
            .map(|i| shown(i, f64::from(i), None, false))
            .collect();
        let draws =
            |s: &Shown| rand::rngs::Xoshiro256PlusPlus::seed_from_u64(u64::from(s.proposal));
        let mut got = Vec::new();
        let examined = walk(&list, &r, draws, |s, _| got.push(s.proposal));
        assert_eq!(got, vec![0, 1, 2]);
        assert_eq!(examined, 3);
    }

    #[test]
    fn interview_logit_by_hand() {
        let r = review();
        let s = Shown {
            fit: 0.8,
            reputation: 0.2,
            quality: 0.7,
            ..shown(0, 0.0, None, false)
        };
        let x: f64 = -2.2 + 2.5 * 0.8 + 1.5 * 0.2 + 1.0 * (0.7 - 0.5);
        let p = 1.0 / (1.0 + (-x).exp());
        assert!((interview_probability(&s, &r) - p).abs() < 1e-12);
        assert!((hire_score(&s, &r) - (3.0 * 0.8 + 2.0 * 0.2)).abs() < 1e-12);
    }
}
