//! The boost auction (MODEL.md "Boost auction"): the top `slots` bids win the boosted
//! positions and are charged first-price (their bid) or second-price (the next-highest
//! bid, or `min_bid` when there is none). Pure functions; the engine moves the Connects.

use crate::ledger::Connects;
use crate::scenario::model::Pricing;

/// A boost bid on a post.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bid {
    /// The proposal's index within its post.
    pub proposal: u32,
    /// Connects bid (held in escrow until the close).
    pub connects: Connects,
    /// Submission time, hours: earlier wins ties.
    pub submitted: f64,
}

/// A winning bid: the proposal, its slot (0 = top) and the Connects it is charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Win {
    pub proposal: u32,
    pub slot: u32,
    pub charge: Connects,
}

/// Closes an auction: sorts `bids` by bid (highest first, ties by earlier submission),
/// and appends the winners, in slot order, to `wins`. Every other bid loses (its hold is
/// released by the caller).
pub fn close_auction(
    bids: &mut [Bid],
    slots: u32,
    pricing: Pricing,
    min_bid: Connects,
    wins: &mut Vec<Win>,
) {
    bids.sort_by(|a, b| {
        b.connects
            .cmp(&a.connects)
            .then(a.submitted.total_cmp(&b.submitted))
            .then(a.proposal.cmp(&b.proposal))
    });
    let winners = (slots as usize).min(bids.len());
    for slot in 0..winners {
        let bid = bids[slot];
        wins.push(Win {
            proposal: bid.proposal,
            slot: slot as u32,
            charge: boost_charge(bids, slot, pricing, min_bid),
        });
    }
}

/// What the winner in `slot` of the sorted `bids` pays: its bid (first price), or the
/// next-highest bid among all bids, or `min_bid` if there is none (second price), never
/// more than its bid.
pub fn boost_charge(sorted: &[Bid], slot: usize, pricing: Pricing, min_bid: Connects) -> Connects {
    let own = sorted[slot].connects;
    match pricing {
        Pricing::First => own,
        Pricing::Second => sorted
            .get(slot + 1)
            .map_or(min_bid, |next| next.connects)
            .min(own),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bids(list: &[(Connects, f64)]) -> Vec<Bid> {
        list.iter()
            .enumerate()
            .map(|(i, &(connects, submitted))| Bid {
                proposal: i as u32,
                connects,
                submitted,
            })
            .collect()
    }

    #[test]
    fn top_slots_win_in_bid_order_first_price() {
        let mut b = bids(&[(5, 1.0), (20, 2.0), (7, 3.0), (20, 0.5), (1, 0.1), (9, 4.0)]);
        let mut wins = Vec::new();
        close_auction(&mut b, 4, Pricing::First, 1, &mut wins);
        // Ties: the earlier submission (proposal 3 at 0.5 h) comes first.
        let got: Vec<(u32, u32, Connects)> = wins
            .iter()
            .map(|w| (w.proposal, w.slot, w.charge))
            .collect();
        assert_eq!(got, vec![(3, 0, 20), (1, 1, 20), (5, 2, 9), (2, 3, 7)]);
    }

    #[test]
    fn second_price_pays_the_next_bid_or_the_minimum() {
        let mut b = bids(&[(30, 1.0), (12, 2.0), (4, 3.0)]);
        let mut wins = Vec::new();
        close_auction(&mut b, 4, Pricing::Second, 2, &mut wins);
        let charges: Vec<Connects> = wins.iter().map(|w| w.charge).collect();
        assert_eq!(charges, vec![12, 4, 2]);
        // A losing bid below the last slot sets the last winner's price.
        let mut b = bids(&[(30, 1.0), (12, 2.0), (4, 3.0)]);
        wins.clear();
        close_auction(&mut b, 2, Pricing::Second, 1, &mut wins);
        assert_eq!(
            wins.iter().map(|w| w.charge).collect::<Vec<_>>(),
            vec![12, 4]
        );
    }

    #[test]
    fn charges_never_exceed_bids() {
        let mut b = bids(&[(3, 1.0)]);
        let mut wins = Vec::new();
        close_auction(&mut b, 4, Pricing::Second, 5, &mut wins);
        assert_eq!(wins[0].charge, 3);
    }
}
