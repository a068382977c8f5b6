//! Settlement: every Connect moved for a post. A paid proposal buys its bundle, pays the
//! post's cost and holds its boost bid ([`Sim::pay_for_proposal`]); the boost auction's
//! close charges the winners and releases the other holds ([`Sim::close_post_auction`]); a
//! removed post releases every hold ([`Sim::release_all_holds`]); a cancel or a removal
//! refunds what was paid ([`Sim::refund_post`]). Each piece goes back to the lot it came
//! from.

use super::applying::Proposal;
use super::{EventKind, Sim};
use crate::auction::{Bid, close_auction};
use crate::ledger::Connects;
use crate::market::Job;

impl<'m> Sim<'m> {
    /// Closes a post's boost auction at `t`. On an ordinary post the winners are charged and
    /// shown in the boosted slots; on a placebo post they are only marked as would-be
    /// winners. Every other hold, and every hold on a placebo post, is released.
    pub(super) fn close_post_auction(&mut self, post: u32, t: f64) {
        let model = self.model;
        let mut p = std::mem::take(&mut self.posts[post as usize]);
        p.auction_open = false;
        let placebo = p.job.is_some_and(|j| j.placebo);
        self.bids.clear();
        for (i, pr) in p.proposals.iter().enumerate() {
            if pr.held_bid > 0 {
                self.bids.push(Bid {
                    proposal: i as u32,
                    connects: pr.held_bid,
                    submitted: pr.submitted,
                });
            }
        }
        self.wins.clear();
        let b = &model.boost;
        close_auction(
            &mut self.bids,
            b.slots,
            b.pricing,
            b.min_bid,
            &mut self.wins,
        );
        let month = self.month_of(t);
        for w in &self.wins {
            p.proposals[w.proposal as usize].slot = Some(w.slot);
        }
        for i in 0..p.proposals.len() {
            let pr = p.proposals[i];
            if pr.held_bid == 0 {
                continue;
            }
            let id = pr.agent as usize;
            self.catch_up(id, t, true);
            let hold = &p.pieces[pr.held.0 as usize..pr.held.1 as usize];
            match pr.slot.and_then(|slot| self.wins.get(slot as usize)) {
                Some(win) if !placebo => {
                    self.scratch.clear();
                    self.ledgers[id].charge_hold(hold, win.charge, t, &mut self.scratch);
                    let start = p.pieces.len() as u32;
                    p.pieces.extend_from_slice(&self.scratch);
                    p.proposals[i].charged = (start, p.pieces.len() as u32);
                    self.activity[id].boost_wins += 1;
                    self.market[month].boost_wins += 1;
                    self.market[month].boost_price_sum += u64::from(win.charge);
                    *self
                        .boost_prices
                        .entry((month as u32, win.charge))
                        .or_default() += 1;
                }
                _ => self.ledgers[id].release_hold(hold, t),
            }
            self.connects_came_back(id, t);
        }
        self.posts[post as usize] = p;
    }

    /// Releases every hold of a post whose auction never closed (a removed post).
    pub(super) fn release_all_holds(&mut self, post: u32, t: f64) {
        let p = std::mem::take(&mut self.posts[post as usize]);
        for pr in p.proposals.iter().filter(|pr| pr.held_bid > 0) {
            let id = pr.agent as usize;
            self.catch_up(id, t, true);
            self.ledgers[id].release_hold(&p.pieces[pr.held.0 as usize..pr.held.1 as usize], t);
            self.connects_came_back(id, t);
        }
        self.posts[post as usize] = p;
    }

    /// Refunds everything paid for a post: base costs and boost charges.
    pub(super) fn refund_post(&mut self, post: u32, t: f64) {
        let p = std::mem::take(&mut self.posts[post as usize]);
        for pr in p.proposals.iter().filter(|pr| !pr.invited) {
            let id = pr.agent as usize;
            self.catch_up(id, t, true);
            let ledger = &mut self.ledgers[id];
            ledger.refund(&p.pieces[pr.paid.0 as usize..pr.paid.1 as usize], t);
            ledger.refund(&p.pieces[pr.charged.0 as usize..pr.charged.1 as usize], t);
            self.connects_came_back(id, t);
        }
        self.posts[post as usize] = p;
    }

    /// Pays for a proposal at its submission time (MODEL.md "Applying", step 4): buys its
    /// bundle, pays the post's cost, and holds its bid while the auction is open (the first
    /// bid held schedules the auction's close); counts it against the weekly cap. `false`
    /// when it cannot be paid, which a decided proposal never is.
    pub(super) fn pay_for_proposal(
        &mut self,
        post: u32,
        job: &Job,
        proposal: &mut Proposal,
        bid: Connects,
        bundle: Connects,
    ) -> bool {
        let model = self.model;
        let id = proposal.agent as usize;
        let t = proposal.submitted;
        let month = self.month_of(t);
        let posting_month = self.month_of(job.posted_at);
        let p = &mut self.posts[post as usize];
        let price = model.connects.price_usd;
        let ledger = &mut self.ledgers[id];
        if bundle > 0 {
            let usd = f64::from(bundle) * price;
            ledger.buy(bundle, t, model.connects.lifetime_hours);
            self.agents[id].budget_left_usd -= usd;
            self.activity[id].usd_connects += usd;
            self.market[month].platform_usd_connects += usd;
        }
        let start = p.pieces.len() as u32;
        if ledger.spend(job.connects_cost, t, &mut p.pieces).is_err() {
            debug_assert!(false, "a decided proposal could not be paid");
            return false;
        }
        // What is left of a bundle may pay for a post the agent could not pay for.
        let bought = bundle > 0;
        proposal.paid = (start, p.pieces.len() as u32);
        if bid > 0 && ledger.hold(bid, t, &mut p.pieces).is_ok() {
            proposal.held_bid = bid;
            proposal.held = (proposal.paid.1, p.pieces.len() as u32);
            self.activity[id].boosted += 1;
            self.market[month].boost_bids += 1;
            if !p.auction_scheduled {
                p.auction_scheduled = true;
                self.market[posting_month].posts_with_boost_bids += 1;
                let resolve_at = job.removed_at.unwrap_or(job.review_at);
                if job.auction_closes_at < resolve_at {
                    self.queue
                        .schedule(job.auction_closes_at, EventKind::AuctionClose(post));
                }
            }
        }
        self.agents[id].paid_this_week += 1;
        if bought {
            self.connects_came_back(id, t);
        }
        self.leave_if_blocked(id, t);
        true
    }
}
