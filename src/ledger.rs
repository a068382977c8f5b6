//! The Connects ledger of one agent: where every Connect it owns is, and where every Connect
//! it ever had went.
//!
//! Connects live in **lots** `(amount, expires_at)`: each grant, purchase or bonus creates
//! one, and what is left of a lot at its `expires_at` is lost. Lots created at the same
//! instant with the same lifetime share an expiry, are indistinguishable, and are merged.
//! Payments and boost holds take from the lot that expires soonest and are returned to the
//! caller as [`Piece`]s that remember their lot, so that a refund or a released hold can put
//! each Connect back where it came from, with its original expiry.
//!
//! The ledger owns the lots, the Connects held in escrow for boost bids, the running
//! [`Totals`] (granted, bought, spent, refunded, expired) and the rolling window of recent
//! interview bonuses. It owns no rule constant: every amount, lifetime, cap and window comes
//! from the caller (the scenario). It does no I/O and draws no random numbers.
//!
//! Time is in hours since the run's start ([`Hours`]) and must not go backwards between
//! calls on one ledger. Lots expire lazily: every mutating operation first drops the lots
//! with `expires_at <= now` (see [`Ledger::expire_until`]), except a refused payment, which
//! changes nothing at all.
//!
//! At every moment, [`Ledger::conserves`]:
//! `granted + bought == balance + spent - refunded + expired`.

use std::collections::VecDeque;
use std::ops::AddAssign;

/// An amount of Connects.
pub type Connects = u32;

/// A time or a duration, in hours since the run's start.
pub type Hours = f64;

/// Part of a payment or a hold: `amount` Connects taken from the lot expiring at
/// `expires_at` (hours), which identifies the lot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Piece {
    /// Expiry of the lot the Connects came from, in hours since the run's start.
    pub expires_at: Hours,
    /// Connects taken from that lot (never 0 in a piece the ledger produces).
    pub amount: Connects,
}

/// A payment or hold the ledger could not cover from the Connects available in its lots
/// (held Connects are not available). Nothing was changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{needed} Connects needed but only {available} available")]
pub struct Refused {
    /// Connects asked for.
    pub needed: Connects,
    /// Connects that were available in unexpired lots at that time.
    pub available: u64,
}

/// Running totals of one agent's Connects (or, summed with `+=`, of many agents').
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    /// Connects received for free: sign-up, readiness test, monthly allowance, Rising
    /// Talent, certification, interview bonus.
    pub granted: u64,
    /// Connects bought in bundles.
    pub bought: u64,
    /// Connects paid for proposals, plus boost holds that were charged.
    pub spent: u64,
    /// Connects paid back by a cancel or a removal (a part of `spent`).
    pub refunded: u64,
    /// Connects lost: lots reaching their expiry, refunds and released holds whose lot had
    /// expired, and balances forfeited above the rollover cap.
    pub expired: u64,
}

impl Totals {
    /// The conservation identity `granted + bought == balance + spent - refunded + expired`,
    /// for the `balance` (Connects, lots plus held) of the same agent or agents.
    #[inline]
    pub fn is_conserved(&self, balance: u64) -> bool {
        self.granted + self.bought + self.refunded == balance + self.spent + self.expired
    }
}

impl AddAssign for Totals {
    #[inline]
    fn add_assign(&mut self, other: Self) {
        self.granted += other.granted;
        self.bought += other.bought;
        self.spent += other.spent;
        self.refunded += other.refunded;
        self.expired += other.expired;
    }
}

/// Connects sharing one expiry.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Lot {
    expires_at: Hours,
    amount: Connects,
}

/// An interview bonus granted at `at` (hours), remembered for the rolling cap.
#[derive(Debug, Clone, Copy, PartialEq)]
struct BonusGrant {
    at: Hours,
    amount: Connects,
}

/// The Connects of one agent. `Ledger::default()` is an empty ledger.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Ledger {
    /// Non-empty lots, sorted by strictly increasing expiry.
    lots: Vec<Lot>,
    /// The first lot's expiry (infinite without lots; 0 in a `Default` ledger until its
    /// first operation), kept beside the lots so that the frequent "has anything expired?"
    /// needs no look at them.
    first_expiry: Hours,
    /// Sum of `lots[..].amount`, kept so that `available()` is O(1).
    ///
    /// The sums of an agent's Connects are 64-bit, its lots and pieces 32-bit. A lot holds
    /// what was granted or bought at one instant (a few amounts of at most a million
    /// each, the validated limit), and what was refunded to it, never more than it held.
    /// But an agent can gather many lots: an interview bonus with a tiny window grants up
    /// to a million Connects an interview, so a balance can pass 2³² (it wrapped once). No
    /// validated scenario comes near 2⁶⁴: a million Connects a grant, a grant per event.
    in_lots: u64,
    /// Connects in escrow for boost bids: in the balance, not in any lot.
    held: u64,
    totals: Totals,
    /// Interview bonuses granted within the last window, oldest first.
    recent_bonuses: VecDeque<BonusGrant>,
    /// Sum of `recent_bonuses[..].amount`.
    bonus_in_window: Connects,
}

impl Ledger {
    /// An empty ledger: no lots, nothing held, all totals 0.
    pub fn new() -> Self {
        Ledger {
            first_expiry: Hours::INFINITY,
            ..Self::default()
        }
    }

    /// Keeps [`Ledger::first_expiry`] in step after the lots changed.
    #[inline]
    fn sync_first(&mut self) {
        self.first_expiry = self.lots.first().map_or(Hours::INFINITY, |l| l.expires_at);
    }

    /// Connects the agent owns (in lots plus held for boost bids), as of the last operation.
    #[inline]
    pub fn balance(&self) -> u64 {
        self.in_lots + self.held
    }

    /// Connects in lots, which a payment or hold can use, as of the last operation (call
    /// [`Ledger::expire_until`] first to drop lots that expired since).
    #[inline]
    pub fn available(&self) -> u64 {
        self.in_lots
    }

    /// Connects held in escrow for boost bids (in the balance, not available).
    #[inline]
    pub fn held(&self) -> u64 {
        self.held
    }

    /// The running totals of this agent.
    #[inline]
    pub fn totals(&self) -> Totals {
        self.totals
    }

    /// Conservation: `granted + bought == balance + spent - refunded + expired`.
    #[inline]
    pub fn conserves(&self) -> bool {
        self.totals.is_conserved(self.balance())
    }

    /// Grants: `amount` free Connects (sign-up, readiness test, monthly allowance, Rising
    /// Talent, certification) in a lot expiring at `now + lifetime_hours`; counted as
    /// granted. A lot with the same expiry is topped up instead. Amount 0 does nothing.
    #[inline]
    pub fn grant(&mut self, amount: Connects, now: Hours, lifetime_hours: Hours) {
        if amount == 0 {
            return;
        }
        self.add_lot(amount, now, lifetime_hours);
        self.totals.granted += u64::from(amount);
    }

    /// Purchases: a bundle of `amount` Connects in a lot expiring at
    /// `now + lifetime_hours`; counted as bought. Amount 0 does nothing.
    #[inline]
    pub fn buy(&mut self, amount: Connects, now: Hours, lifetime_hours: Hours) {
        if amount == 0 {
            return;
        }
        self.add_lot(amount, now, lifetime_hours);
        self.totals.bought += u64::from(amount);
    }

    /// Expiry: every lot with `expires_at <= now` is lost and what is left of it counted
    /// as expired. Returns the Connects that expired. Held Connects are not touched (their
    /// fate is settled when the hold is charged or released).
    #[inline]
    pub fn expire_until(&mut self, now: Hours) -> u64 {
        self.expire_where(|expires_at| expires_at <= now)
    }

    /// Whether some lot expires at or before `now` (what [`Ledger::expire_until`] would drop).
    #[inline]
    pub fn expires_by(&self, now: Hours) -> bool {
        self.first_expiry <= now
    }

    /// Expires the lots with `expires_at < end` only: the state at the very end of a period
    /// that ends at `end` (a lot expiring exactly at `end` expires in the next period).
    pub fn expire_before(&mut self, end: Hours) -> u64 {
        self.expire_where(|expires_at| expires_at < end)
    }

    fn expire_where(&mut self, stale: impl Fn(Hours) -> bool) -> u64 {
        if !stale(self.first_expiry) {
            return 0;
        }
        let stale = self
            .lots
            .iter()
            .take_while(|lot| stale(lot.expires_at))
            .count();
        if stale == 0 {
            self.sync_first();
            return 0;
        }
        let lost: u64 = self
            .lots
            .drain(..stale)
            .map(|lot| u64::from(lot.amount))
            .sum();
        self.sync_first();
        self.in_lots -= lost;
        self.totals.expired += lost;
        lost
    }

    /// Spending: pays `amount` Connects for a proposal, taking from the lot that expires
    /// soonest first (lots with `expires_at <= now` are expired first), and appends the
    /// pieces taken to `pieces_out` (soonest expiry first). Counted as spent.
    ///
    /// # Errors
    /// [`Refused`] when the unexpired lots hold fewer than `amount` Connects (held
    /// Connects cannot pay); the ledger is then left exactly as it was, stale lots included.
    #[inline]
    pub fn spend(
        &mut self,
        amount: Connects,
        now: Hours,
        pieces_out: &mut Vec<Piece>,
    ) -> Result<(), Refused> {
        self.withdraw(amount, now, pieces_out)?;
        self.totals.spent += u64::from(amount);
        Ok(())
    }

    /// Holds: puts `amount` Connects of a boost bid in escrow, taking from lots like a
    /// spend (soonest expiry first) and appending the pieces to `pieces_out`. The Connects
    /// stay in the balance (`held` rises) and are neither spent nor refunded until the hold
    /// is charged ([`Ledger::charge_hold`]) or released ([`Ledger::release_hold`]).
    ///
    /// # Errors
    /// [`Refused`] as for [`Ledger::spend`], leaving the ledger unchanged.
    #[inline]
    pub fn hold(
        &mut self,
        amount: Connects,
        now: Hours,
        pieces_out: &mut Vec<Piece>,
    ) -> Result<(), Refused> {
        self.withdraw(amount, now, pieces_out)?;
        self.held += u64::from(amount);
        Ok(())
    }

    /// Charging a hold when its auction closes: the first `charge` Connects of `hold` (in
    /// its piece order, soonest expiry first) become spent and are appended to
    /// `charged_out` (a piece is split if needed); the rest is released as by
    /// [`Ledger::release_hold`]. `hold` must be pieces returned by [`Ledger::hold`], charged
    /// or released only once, and `charge` at most their total.
    pub fn charge_hold(
        &mut self,
        hold: &[Piece],
        charge: Connects,
        now: Hours,
        charged_out: &mut Vec<Piece>,
    ) {
        debug_assert!(
            u64::from(charge) <= hold.iter().map(|p| u64::from(p.amount)).sum::<u64>(),
            "charge above the hold"
        );
        self.expire_until(now);
        let mut to_charge = charge;
        for &piece in hold {
            let charged = to_charge.min(piece.amount);
            to_charge -= charged;
            if charged > 0 {
                charged_out.push(Piece {
                    amount: charged,
                    ..piece
                });
                self.unhold(charged);
                self.totals.spent += u64::from(charged);
            }
            if piece.amount > charged {
                self.release_piece(
                    Piece {
                        amount: piece.amount - charged,
                        ..piece
                    },
                    now,
                );
            }
        }
    }

    /// Releasing a hold (outbid, or the post was removed): each piece goes back to its lot
    /// with the lot's original expiry, like a refund but not counted as refunded; a piece
    /// whose lot has expired meanwhile (`expires_at <= now`) is counted as expired now.
    pub fn release_hold(&mut self, hold: &[Piece], now: Hours) {
        self.expire_until(now);
        for &piece in hold {
            self.release_piece(piece, now);
        }
    }

    /// Refunds (the client cancels without hiring, or the post is removed): each piece of a
    /// payment or charged hold goes back to the lot it came from, with that lot's original
    /// expiry (the lot is re-created in expiry order if it had been emptied); counted as
    /// refunded. A piece whose lot has already expired (`expires_at <= now`) is counted as
    /// refunded and, at once, as expired.
    pub fn refund(&mut self, pieces: &[Piece], now: Hours) {
        self.expire_until(now);
        for &piece in pieces {
            self.totals.refunded += u64::from(piece.amount);
            if piece.expires_at > now {
                self.put_back(piece);
            } else {
                self.totals.expired += u64::from(piece.amount);
            }
        }
    }

    /// Rollover cap, applied on a billing day before the allowance: any balance above
    /// `cap` Connects is forfeited, taken from the soonest-expiring lots, and counted as
    /// expired. Returns the Connects forfeited.
    ///
    /// Held Connects count in the balance but are not forfeited: they are committed to a
    /// boost bid whose auction has not closed, and only lots can be taken from. So when
    /// `held > cap` the balance stays above the cap after this call (at `held`).
    pub fn forfeit_above(&mut self, cap: Connects, now: Hours) -> u64 {
        self.expire_until(now);
        let excess = self.balance().saturating_sub(u64::from(cap));
        let forfeited = excess.min(self.in_lots);
        if forfeited > 0 {
            self.take_soonest(forfeited, |_| {});
            self.totals.expired += forfeited;
        }
        forfeited
    }

    /// Interview bonus: grants `min(amount, cap - bonus granted in (now - window_hours,
    /// now])` Connects (0 when the window's bonuses already reach `cap`) in a lot expiring
    /// at `now + lifetime_hours`, counted as granted. Returns the Connects granted.
    pub fn interview_bonus(
        &mut self,
        amount: Connects,
        now: Hours,
        cap: Connects,
        window_hours: Hours,
        lifetime_hours: Hours,
    ) -> Connects {
        while let Some(&oldest) = self.recent_bonuses.front() {
            if oldest.at + window_hours > now {
                break;
            }
            self.recent_bonuses.pop_front();
            self.bonus_in_window -= oldest.amount;
        }
        let granted = amount.min(cap.saturating_sub(self.bonus_in_window));
        if granted > 0 {
            self.recent_bonuses.push_back(BonusGrant {
                at: now,
                amount: granted,
            });
            self.bonus_in_window += granted;
            self.grant(granted, now, lifetime_hours);
        }
        granted
    }

    /// Adds a lot of `amount` (> 0) Connects expiring at `now + lifetime_hours`.
    #[inline]
    fn add_lot(&mut self, amount: Connects, now: Hours, lifetime_hours: Hours) {
        debug_assert!(lifetime_hours > 0.0, "a lot must outlive its creation");
        self.expire_until(now);
        self.put_back(Piece {
            expires_at: now + lifetime_hours,
            amount,
        });
    }

    /// Puts `piece` into the lot with its expiry, creating the lot in expiry order if
    /// there is none. New lots usually expire last, so the back is tried first.
    #[inline]
    fn put_back(&mut self, piece: Piece) {
        debug_assert!(piece.amount > 0);
        self.in_lots += u64::from(piece.amount);
        let at = match self.lots.last_mut() {
            None => 0,
            Some(last) if last.expires_at < piece.expires_at => self.lots.len(),
            Some(last) if last.expires_at == piece.expires_at => {
                last.amount += piece.amount;
                return;
            }
            Some(_) => {
                let at = self
                    .lots
                    .partition_point(|lot| lot.expires_at < piece.expires_at);
                if self.lots[at].expires_at == piece.expires_at {
                    self.lots[at].amount += piece.amount;
                    return;
                }
                at
            }
        };
        self.lots.insert(
            at,
            Lot {
                expires_at: piece.expires_at,
                amount: piece.amount,
            },
        );
        self.sync_first();
    }

    /// Returns one held piece to its lot, or counts it as expired if its lot has expired.
    #[inline]
    fn release_piece(&mut self, piece: Piece, now: Hours) {
        self.unhold(piece.amount);
        if piece.expires_at > now {
            self.put_back(piece);
        } else {
            self.totals.expired += u64::from(piece.amount);
        }
    }

    /// Takes `amount` out of escrow.
    #[inline]
    fn unhold(&mut self, amount: Connects) {
        debug_assert!(
            u64::from(amount) <= self.held,
            "releasing more than is held"
        );
        self.held = self.held.saturating_sub(u64::from(amount));
    }

    /// Takes `amount` from the lots soonest expiry first after expiring stale lots, or
    /// refuses without changing anything.
    #[inline]
    fn withdraw(
        &mut self,
        amount: Connects,
        now: Hours,
        pieces_out: &mut Vec<Piece>,
    ) -> Result<(), Refused> {
        let stale: u64 = self
            .lots
            .iter()
            .take_while(|lot| lot.expires_at <= now)
            .map(|lot| u64::from(lot.amount))
            .sum();
        let available = self.in_lots - stale;
        if u64::from(amount) > available {
            return Err(Refused {
                needed: amount,
                available,
            });
        }
        self.expire_until(now);
        self.take_soonest(u64::from(amount), |piece| pieces_out.push(piece));
        Ok(())
    }

    /// Removes `amount` (<= `in_lots`) from the lots, soonest expiry first, passing each
    /// piece taken to `taken` and dropping the lots it empties.
    #[inline]
    fn take_soonest(&mut self, amount: u64, mut taken: impl FnMut(Piece)) {
        debug_assert!(amount <= self.in_lots);
        let mut left = amount;
        let mut emptied = 0;
        for lot in &mut self.lots {
            if left == 0 {
                break;
            }
            // At most the lot's amount, so it fits a lot's width.
            let take = left.min(u64::from(lot.amount)) as Connects;
            lot.amount -= take;
            left -= u64::from(take);
            taken(Piece {
                expires_at: lot.expires_at,
                amount: take,
            });
            if lot.amount == 0 {
                emptied += 1;
            }
        }
        self.lots.drain(..emptied);
        self.sync_first();
        self.in_lots -= amount - left;
    }
}

/// Purchases: the smallest bundle (Connects) of `bundles` (in any order) that is at least
/// `shortfall` Connects, or `None` if no bundle covers it. A shortfall of 0 gives the
/// smallest bundle; callers ask only when they are short.
pub fn smallest_covering_bundle(bundles: &[Connects], shortfall: Connects) -> Option<Connects> {
    bundles
        .iter()
        .copied()
        .filter(|&bundle| bundle >= shortfall)
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use proptest::sample::Index;

    const DAY: Hours = 24.0;

    impl Ledger {
        /// Structural invariants: lots non-empty and strictly sorted by expiry, cached sums
        /// right.
        fn well_formed(&self) -> bool {
            let sorted = self
                .lots
                .windows(2)
                .all(|w| w[0].expires_at < w[1].expires_at);
            let non_empty = self.lots.iter().all(|lot| lot.amount > 0);
            let in_lots = self
                .lots
                .iter()
                .map(|lot| u64::from(lot.amount))
                .sum::<u64>()
                == self.in_lots;
            let bonus = self
                .recent_bonuses
                .iter()
                .map(|b| b.amount)
                .sum::<Connects>()
                == self.bonus_in_window;
            sorted && non_empty && in_lots && bonus
        }

        fn lot_list(&self) -> Vec<(Hours, Connects)> {
            self.lots.iter().map(|l| (l.expires_at, l.amount)).collect()
        }
    }

    fn piece(expires_at: Hours, amount: Connects) -> Piece {
        Piece { expires_at, amount }
    }

    /// 10 Connects expiring at 100 h, 10 more expiring at 110 h.
    fn two_lots() -> Ledger {
        let mut ledger = Ledger::new();
        ledger.grant(10, 0.0, 100.0);
        ledger.buy(10, 10.0, 100.0);
        ledger
    }

    #[test]
    fn spend_takes_soonest_expiring_lot_first() {
        let mut ledger = two_lots();
        let mut pieces = Vec::new();
        ledger.spend(15, 20.0, &mut pieces).unwrap();
        assert_eq!(pieces, vec![piece(100.0, 10), piece(110.0, 5)]);
        assert_eq!(ledger.lot_list(), vec![(110.0, 5)]);
        assert_eq!(ledger.balance(), 5);
        let totals = ledger.totals();
        assert_eq!((totals.granted, totals.bought, totals.spent), (10, 10, 15));
        // A later grant with a shorter lifetime expires first and is used first.
        ledger.grant(4, 30.0, 50.0);
        assert_eq!(ledger.lot_list(), vec![(80.0, 4), (110.0, 5)]);
        pieces.clear();
        ledger.spend(6, 31.0, &mut pieces).unwrap();
        assert_eq!(pieces, vec![piece(80.0, 4), piece(110.0, 2)]);
        assert!(ledger.conserves() && ledger.well_formed());
    }

    #[test]
    fn a_balance_past_two_to_the_32_is_kept_whole() {
        // An interview bonus of a million Connects with a window shorter than the time
        // between interviews: 5 000 bonuses make 5e9 Connects, past u32::MAX.
        let mut ledger = Ledger::new();
        for i in 0..5_000 {
            let granted =
                ledger.interview_bonus(1_000_000, f64::from(i), 1_000_000, 1e-6, 365.0 * DAY);
            assert_eq!(granted, 1_000_000);
        }
        assert_eq!(ledger.balance(), 5_000_000_000);
        assert_eq!(ledger.available(), 5_000_000_000);
        let mut pieces = Vec::new();
        ledger.spend(3, 5_000.0, &mut pieces).unwrap();
        assert_eq!(ledger.balance(), 4_999_999_997);
        // They all expire together, a year on.
        assert_eq!(ledger.expire_until(5_000.0 + 365.0 * DAY), 4_999_999_997);
        assert!(ledger.conserves() && ledger.well_formed());
    }

    #[test]
    fn lots_created_at_the_same_instant_merge() {
        let mut ledger = Ledger::new();
        ledger.grant(40, 5.0, 365.0 * DAY);
        ledger.grant(40, 5.0, 365.0 * DAY);
        ledger.buy(10, 5.0, 365.0 * DAY);
        assert_eq!(ledger.lot_list(), vec![(5.0 + 365.0 * DAY, 90)]);
        assert_eq!(ledger.totals().granted, 80);
        assert_eq!(ledger.totals().bought, 10);
    }

    #[test]
    fn zero_grant_is_a_no_op() {
        let mut ledger = Ledger::new();
        ledger.grant(5, 0.0, 10.0);
        let before = ledger.clone();
        ledger.grant(0, 20.0, 10.0);
        ledger.buy(0, 20.0, 10.0);
        assert_eq!(ledger, before);
    }

    #[test]
    fn a_lot_expires_at_exactly_its_expiry() {
        let mut ledger = Ledger::new();
        ledger.grant(10, 0.0, 100.0);
        assert_eq!(ledger.expire_until(99.5), 0);
        assert_eq!(ledger.balance(), 10);
        let mut pieces = Vec::new();
        assert_eq!(
            ledger.spend(1, 100.0, &mut pieces),
            Err(Refused {
                needed: 1,
                available: 0
            })
        );
        assert_eq!(ledger.expire_until(100.0), 10);
        assert_eq!(ledger.balance(), 0);
        assert_eq!(ledger.totals().expired, 10);
        assert!(ledger.lot_list().is_empty());
        assert!(ledger.conserves());
    }

    #[test]
    fn refund_returns_pieces_to_their_lots_with_original_expiry() {
        let mut ledger = two_lots();
        let mut pieces = Vec::new();
        ledger.spend(15, 20.0, &mut pieces).unwrap();
        assert_eq!(ledger.lot_list(), vec![(110.0, 5)]);
        ledger.refund(&pieces, 30.0);
        assert_eq!(ledger.lot_list(), vec![(100.0, 10), (110.0, 10)]);
        assert_eq!(ledger.balance(), 20);
        let totals = ledger.totals();
        assert_eq!((totals.spent, totals.refunded, totals.expired), (15, 15, 0));
        assert!(ledger.conserves() && ledger.well_formed());
    }

    #[test]
    fn refund_recreates_a_lot_between_others() {
        let mut ledger = Ledger::new();
        ledger.grant(5, 0.0, 100.0);
        let mut pieces = Vec::new();
        ledger.spend(5, 1.0, &mut pieces).unwrap();
        ledger.grant(5, 1.0, 50.0); // expires at 51
        ledger.grant(5, 2.0, 200.0); // expires at 202
        ledger.refund(&pieces, 3.0);
        assert_eq!(ledger.lot_list(), vec![(51.0, 5), (100.0, 5), (202.0, 5)]);
        assert!(ledger.conserves() && ledger.well_formed());
    }

    #[test]
    fn refund_after_the_lot_expired_counts_as_expired() {
        let mut ledger = two_lots();
        let mut pieces = Vec::new();
        ledger.spend(15, 20.0, &mut pieces).unwrap();
        // At 100 h the first lot (10 Connects of the payment) has expired, the second not.
        ledger.refund(&pieces, 100.0);
        assert_eq!(ledger.lot_list(), vec![(110.0, 10)]);
        let totals = ledger.totals();
        assert_eq!(
            (totals.spent, totals.refunded, totals.expired),
            (15, 15, 10)
        );
        assert_eq!(ledger.balance(), 10);
        assert!(ledger.conserves());
    }

    #[test]
    fn hold_then_partial_charge_releases_the_rest() {
        let mut ledger = two_lots();
        let mut hold = Vec::new();
        ledger.hold(15, 20.0, &mut hold).unwrap();
        assert_eq!(hold, vec![piece(100.0, 10), piece(110.0, 5)]);
        assert_eq!(
            (ledger.held(), ledger.available(), ledger.balance()),
            (15, 5, 20)
        );
        assert_eq!(ledger.totals().spent, 0);
        assert!(ledger.conserves());

        let mut charged = Vec::new();
        ledger.charge_hold(&hold, 12, 30.0, &mut charged);
        assert_eq!(charged, vec![piece(100.0, 10), piece(110.0, 2)]);
        assert_eq!(ledger.held(), 0);
        assert_eq!(ledger.lot_list(), vec![(110.0, 8)]);
        assert_eq!(ledger.balance(), 8);
        let totals = ledger.totals();
        assert_eq!((totals.spent, totals.refunded, totals.expired), (12, 0, 0));
        assert!(ledger.conserves() && ledger.well_formed());

        // A charged hold can be refunded like a payment.
        ledger.refund(&charged, 40.0);
        assert_eq!(ledger.lot_list(), vec![(100.0, 10), (110.0, 10)]);
        assert_eq!(ledger.totals().refunded, 12);
        assert!(ledger.conserves());
    }

    #[test]
    fn hold_then_release_restores_the_lots() {
        let mut ledger = two_lots();
        let before = ledger.clone();
        let mut hold = Vec::new();
        ledger.hold(15, 20.0, &mut hold).unwrap();
        ledger.release_hold(&hold, 30.0);
        assert_eq!(ledger, before);
        assert_eq!(ledger.totals().refunded, 0);
    }

    #[test]
    fn release_after_expiry_counts_as_expired() {
        let mut ledger = two_lots();
        let mut hold = Vec::new();
        ledger.hold(15, 20.0, &mut hold).unwrap();
        ledger.release_hold(&hold, 105.0);
        assert_eq!(ledger.lot_list(), vec![(110.0, 10)]);
        assert_eq!(ledger.held(), 0);
        let totals = ledger.totals();
        assert_eq!((totals.spent, totals.refunded, totals.expired), (0, 0, 10));
        assert!(ledger.conserves());
    }

    #[test]
    fn charging_a_hold_after_its_lot_expired_still_spends_it() {
        let mut ledger = two_lots();
        let mut hold = Vec::new();
        ledger.hold(15, 20.0, &mut hold).unwrap();
        let mut charged = Vec::new();
        ledger.charge_hold(&hold, 3, 105.0, &mut charged);
        assert_eq!(charged, vec![piece(100.0, 3)]);
        // 7 released into the expired lot (lost), 5 back to the 110 h lot.
        assert_eq!(ledger.lot_list(), vec![(110.0, 10)]);
        let totals = ledger.totals();
        assert_eq!((totals.spent, totals.expired), (3, 7));
        assert!(ledger.conserves());
    }

    #[test]
    fn refused_spend_or_hold_changes_nothing() {
        let mut ledger = two_lots();
        let mut hold = Vec::new();
        ledger.hold(12, 20.0, &mut hold).unwrap();
        let before = ledger.clone();
        let mut pieces = vec![piece(1.0, 1)];
        // 20 in the balance but only 8 available: held Connects cannot pay.
        assert_eq!(
            ledger.spend(9, 30.0, &mut pieces),
            Err(Refused {
                needed: 9,
                available: 8
            })
        );
        assert_eq!(
            ledger.hold(9, 30.0, &mut pieces).map_err(|r| r.needed),
            Err(9)
        );
        assert_eq!(ledger, before);
        assert_eq!(pieces, vec![piece(1.0, 1)]);
        // Not even the stale lot at 100 h is expired by a refusal.
        let mut stale = Ledger::new();
        stale.grant(10, 0.0, 100.0);
        stale.grant(10, 50.0, 100.0);
        let before = stale.clone();
        assert!(stale.spend(11, 120.0, &mut pieces).is_err());
        assert_eq!(stale, before);
    }

    #[test]
    fn forfeit_above_takes_soonest_lots_and_spares_held() {
        let mut ledger = Ledger::new();
        ledger.grant(30, 0.0, 100.0);
        ledger.grant(30, 10.0, 100.0);
        let mut hold = Vec::new();
        ledger.hold(20, 20.0, &mut hold).unwrap();
        assert_eq!(ledger.lot_list(), vec![(100.0, 10), (110.0, 30)]);
        let mut capped = ledger.clone();

        assert_eq!(ledger.forfeit_above(25, 30.0), 35);
        assert_eq!(ledger.lot_list(), vec![(110.0, 5)]);
        assert_eq!((ledger.balance(), ledger.held()), (25, 20));
        assert_eq!(ledger.totals().expired, 35);
        assert!(ledger.conserves());
        assert_eq!(ledger.forfeit_above(25, 31.0), 0);

        // Cap below what is held: every lot goes, the held Connects stay.
        assert_eq!(capped.forfeit_above(10, 30.0), 40);
        assert!(capped.lot_list().is_empty());
        assert_eq!((capped.balance(), capped.held()), (20, 20));
        assert!(capped.conserves());
        capped.release_hold(&hold, 40.0);
        assert_eq!(capped.lot_list(), vec![(100.0, 20)]);
    }

    #[test]
    fn interview_bonus_is_capped_per_rolling_window() {
        let week = 7.0 * DAY;
        let year = 365.0 * DAY;
        let mut ledger = Ledger::new();
        let granted: Vec<Connects> = (0..6)
            .map(|i| ledger.interview_bonus(10, f64::from(i), 50, week, year))
            .collect();
        assert_eq!(granted, vec![10, 10, 10, 10, 10, 0]);
        assert_eq!(ledger.totals().granted, 50);
        // The window is (now - week, now]: the grant at 0 h leaves it at exactly a week.
        assert_eq!(ledger.interview_bonus(10, week - 0.5, 50, week, year), 0);
        assert_eq!(ledger.interview_bonus(10, week, 50, week, year), 10);
        assert_eq!(ledger.interview_bonus(10, week + 0.5, 50, week, year), 0);
        assert_eq!(ledger.interview_bonus(10, week + 1.0, 50, week, year), 10);
        assert_eq!(ledger.totals().granted, 70);
        assert_eq!(ledger.balance(), 70);
        assert!(ledger.conserves() && ledger.well_formed());

        let mut partial = Ledger::new();
        for i in 0..3 {
            assert_eq!(
                partial.interview_bonus(15, f64::from(i), 50, week, year),
                15
            );
        }
        assert_eq!(partial.interview_bonus(10, 3.0, 50, week, year), 5);
        assert_eq!(partial.interview_bonus(10, 4.0, 50, week, year), 0);
        assert_eq!(partial.totals().granted, 50);
        assert_eq!(partial.lot_list().last(), Some(&(3.0 + year, 5)));
    }

    #[test]
    fn smallest_covering_bundle_picks_the_smallest_sufficient() {
        let cases = [
            (0, Some(10)),
            (1, Some(10)),
            (10, Some(10)),
            (11, Some(20)),
            (80, Some(80)),
            (81, None),
        ];
        for bundles in [[10, 20, 40, 60, 80], [60, 80, 10, 40, 20]] {
            for (shortfall, expected) in cases {
                assert_eq!(
                    smallest_covering_bundle(&bundles, shortfall),
                    expected,
                    "{bundles:?} {shortfall}"
                );
            }
        }
        assert_eq!(smallest_covering_bundle(&[], 1), None);
    }

    #[test]
    fn totals_add_up() {
        let mut sum = Totals::default();
        let mut a = two_lots();
        let mut b = Ledger::new();
        b.grant(7, 0.0, 10.0);
        let mut pieces = Vec::new();
        a.spend(3, 1.0, &mut pieces).unwrap();
        b.expire_until(10.0);
        sum += a.totals();
        sum += b.totals();
        assert_eq!(
            sum,
            Totals {
                granted: 17,
                bought: 10,
                spent: 3,
                refunded: 0,
                expired: 7
            }
        );
        assert!(sum.is_conserved(a.balance() + b.balance()));
    }

    /// One random operation; indices pick among the holds and payments still open.
    #[derive(Debug, Clone)]
    enum Op {
        Grant(Connects, Hours),
        Buy(Connects, Hours),
        Spend(Connects),
        Hold(Connects),
        Charge(Index, u32),
        Release(Index),
        Refund(Index),
        Expire,
        Forfeit(Connects),
        Bonus(Connects, Hours),
    }

    fn lifetime() -> impl Strategy<Value = Hours> {
        prop::sample::select(vec![1.0, 24.0, 48.0, 100.0, 8760.0])
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (0..40u32, lifetime()).prop_map(|(a, l)| Op::Grant(a, l)),
            2 => (0..40u32, lifetime()).prop_map(|(a, l)| Op::Buy(a, l)),
            4 => (0..50u32).prop_map(Op::Spend),
            3 => (0..30u32).prop_map(Op::Hold),
            2 => (any::<Index>(), any::<u32>()).prop_map(|(i, c)| Op::Charge(i, c)),
            2 => any::<Index>().prop_map(Op::Release),
            2 => any::<Index>().prop_map(Op::Refund),
            1 => Just(Op::Expire),
            1 => (0..80u32).prop_map(Op::Forfeit),
            2 => (0..20u32, lifetime()).prop_map(|(a, l)| Op::Bonus(a, l)),
        ]
    }

    /// Hours between steps: often 0 (same instant), otherwise whole or half hours so that
    /// expiries are hit exactly.
    fn step() -> impl Strategy<Value = (Hours, Op)> {
        let dt = prop_oneof![Just(0.0), (1..100u32).prop_map(|h| f64::from(h) / 2.0)];
        (dt, op())
    }

    fn total(pieces: &[Piece]) -> u64 {
        pieces.iter().map(|p| u64::from(p.amount)).sum()
    }

    fn connects_in(pieces: &[Piece]) -> Connects {
        pieces.iter().map(|p| p.amount).sum()
    }

    /// Connects in lots that have not expired at `now`.
    fn unexpired(ledger: &Ledger, now: Hours) -> u64 {
        ledger
            .lots
            .iter()
            .filter(|lot| lot.expires_at > now)
            .map(|lot| u64::from(lot.amount))
            .sum()
    }

    /// Pieces taken soonest expiry first, none from an expired lot, each from a distinct
    /// lot, and no remaining lot expiring before the last one used.
    fn taken_soonest_first(ledger: &Ledger, pieces: &[Piece], now: Hours) -> bool {
        let ordered = pieces.windows(2).all(|w| w[0].expires_at < w[1].expires_at);
        let live = pieces.iter().all(|p| p.expires_at > now && p.amount > 0);
        let soonest = pieces.last().is_none_or(|last| {
            ledger
                .lots
                .first()
                .is_none_or(|lot| lot.expires_at >= last.expires_at)
        });
        ordered && live && soonest
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn random_sequences_keep_the_ledger_sound(
            steps in prop::collection::vec(step(), 1..120),
            bonus_cap in 0..60u32,
            bonus_window in prop::sample::select(vec![2.0, 24.0, 168.0]),
        ) {
            let mut ledger = Ledger::new();
            let mut now: Hours = 0.0;
            let mut open_holds: Vec<Vec<Piece>> = Vec::new();
            let mut payments: Vec<Vec<Piece>> = Vec::new();
            let mut bonuses: Vec<(Hours, Connects)> = Vec::new();
            let mut buffer: Vec<Piece> = Vec::new();
            for (dt, op) in steps {
                now += dt;
                let before = ledger.clone();
                buffer.clear();
                match op {
                    Op::Grant(amount, life) => ledger.grant(amount, now, life),
                    Op::Buy(amount, life) => ledger.buy(amount, now, life),
                    Op::Spend(amount) | Op::Hold(amount) => {
                        let is_hold = matches!(op, Op::Hold(_));
                        let result = if is_hold {
                            ledger.hold(amount, now, &mut buffer)
                        } else {
                            ledger.spend(amount, now, &mut buffer)
                        };
                        let could_pay = u64::from(amount) <= unexpired(&before, now);
                        prop_assert_eq!(result.is_ok(), could_pay);
                        match result {
                            Ok(()) => {
                                prop_assert_eq!(total(&buffer), u64::from(amount));
                                prop_assert!(taken_soonest_first(&ledger, &buffer, now));
                                prop_assert_eq!(ledger.balance() + if is_hold { 0 } else { u64::from(amount) },
                                    before.balance() - (before.available() - unexpired(&before, now)));
                                if is_hold {
                                    open_holds.push(buffer.clone());
                                } else {
                                    payments.push(buffer.clone());
                                }
                            }
                            Err(refused) => {
                                prop_assert_eq!(&ledger, &before);
                                prop_assert!(buffer.is_empty());
                                prop_assert_eq!(refused.available, unexpired(&before, now));
                            }
                        }
                    }
                    Op::Charge(index, pick) => {
                        if !open_holds.is_empty() {
                            let hold = open_holds.swap_remove(index.index(open_holds.len()));
                            let charge = pick % (connects_in(&hold) + 1);
                            ledger.charge_hold(&hold, charge, now, &mut buffer);
                            prop_assert_eq!(total(&buffer), u64::from(charge));
                            prop_assert_eq!(ledger.totals().spent, before.totals().spent + u64::from(charge));
                            payments.push(buffer.clone());
                        }
                    }
                    Op::Release(index) => {
                        if !open_holds.is_empty() {
                            let hold = open_holds.swap_remove(index.index(open_holds.len()));
                            ledger.release_hold(&hold, now);
                            prop_assert_eq!(ledger.totals().spent, before.totals().spent);
                            prop_assert_eq!(ledger.totals().refunded, before.totals().refunded);
                        }
                    }
                    Op::Refund(index) => {
                        if !payments.is_empty() {
                            let paid = payments.swap_remove(index.index(payments.len()));
                            ledger.refund(&paid, now);
                            prop_assert_eq!(ledger.totals().refunded, before.totals().refunded + total(&paid));
                        }
                    }
                    Op::Expire => {
                        let lost = ledger.expire_until(now);
                        prop_assert_eq!(lost, before.available() - unexpired(&before, now));
                        prop_assert!(ledger.lots.iter().all(|lot| lot.expires_at > now));
                    }
                    Op::Forfeit(cap) => {
                        let forfeited = ledger.forfeit_above(cap, now);
                        prop_assert!(ledger.balance() <= u64::from(cap) || ledger.available() == 0);
                        prop_assert_eq!(ledger.held(), before.held());
                        prop_assert!(forfeited <= unexpired(&before, now));
                    }
                    Op::Bonus(amount, life) => {
                        let granted = ledger.interview_bonus(amount, now, bonus_cap, bonus_window, life);
                        prop_assert!(granted <= amount);
                        if granted > 0 {
                            bonuses.push((now, granted));
                        }
                        let in_window: Connects = bonuses
                            .iter()
                            .filter(|(at, _)| at + bonus_window > now)
                            .map(|(_, a)| a)
                            .sum();
                        prop_assert!(in_window <= bonus_cap);
                        // Granting less than asked only when the window is full.
                        prop_assert!(granted == amount || in_window == bonus_cap);
                    }
                }
                // Lots are never created already expired: stale lots are only ever old
                // ones left alone (a refusal or a no-op).
                let stale = |l: &Ledger| -> Vec<Lot> {
                    l.lots.iter().copied().filter(|lot| lot.expires_at <= now).collect()
                };
                let stale_after = stale(&ledger);
                prop_assert!(stale_after.is_empty() || stale_after == stale(&before));
                let totals = ledger.totals();
                prop_assert!(ledger.conserves(), "{:?} {:?}", totals, ledger);
                prop_assert!(ledger.well_formed(), "{:?}", ledger);
                let balance = i64::try_from(totals.granted + totals.bought + totals.refunded).unwrap()
                    - i64::try_from(totals.spent + totals.expired).unwrap();
                prop_assert!(balance >= 0);
                prop_assert_eq!(balance, i64::try_from(ledger.balance()).unwrap());
                prop_assert!(ledger.held() <= ledger.balance());
                let open_held: u64 = open_holds.iter().map(|h| total(h)).sum();
                prop_assert_eq!(open_held, ledger.held());
                prop_assert!(totals.refunded <= totals.spent);
            }
        }
    }
}
