//! The agents' calendar: joining, billing days and the expiry of lots, applied lazily
//! ([`Sim::catch_up`]); the 7-day weeks of the weekly cap; the month of a time. The time
//! units and the month arithmetic live in `scenario::model` (`HOURS_PER_MONTH`,
//! `HOURS_PER_WEEK`, `month_of`, `month_start`).

use super::Sim;
use super::agents::Agent;
use crate::scenario::model::{HOURS_PER_MONTH, HOURS_PER_WEEK, month_of};

impl Agent {
    /// The agent's week at `t`: weeks of 7 days from its joining.
    #[inline]
    pub(super) fn week_of(&self, t: f64) -> u32 {
        ((t - self.joined_at) / HOURS_PER_WEEK) as u32
    }
}

impl<'m> Sim<'m> {
    pub(super) fn month_of(&self, t: f64) -> usize {
        month_of(t).min(self.market.len() - 1)
    }

    /// Brings an agent's ledger up to `t`: its joining grants, every billing day at or
    /// before `t` (`inclusive`) or before `t`, and the expiry of its lots (at or before `t`,
    /// or before `t`: a lot that expires exactly at a month's end expires in the next month).
    pub(super) fn catch_up(&mut self, id: usize, t: f64, inclusive: bool) {
        let due = |at: f64| if inclusive { at <= t } else { at < t };
        let a = &self.agents[id];
        if !due(a.joined_at) {
            return;
        }
        while due(self.agents[id].next_billing) {
            let b = self.agents[id].next_billing;
            self.billing_day(id, b);
            self.agents[id].next_billing += HOURS_PER_MONTH;
        }
        if !self.agents[id].joined {
            self.join(id);
        }
        if inclusive {
            self.ledgers[id].expire_until(t);
        } else {
            self.ledgers[id].expire_before(t);
        }
    }

    /// Joining: the sign-up grant, the readiness-test grant and the certification bonus
    /// (after the first billing day, which falls at joining).
    fn join(&mut self, id: usize) {
        let c = &self.model.connects;
        let a = &mut self.agents[id];
        a.joined = true;
        let at = a.joined_at;
        let profile = &self.profiles[id];
        let mut amount = c.signup;
        if profile.takes_readiness_test {
            amount += c.readiness;
        }
        if profile.certified {
            amount += c.certification;
        }
        self.ledgers[id].grant(amount, at, c.lifetime_hours);
    }

    /// A billing day: the rollover cap, the plan's allowance and fee, and the month's
    /// bundle budget.
    fn billing_day(&mut self, id: usize, at: f64) {
        let model = self.model;
        let a = &mut self.agents[id];
        let strategy = &model.strategies[a.strategy as usize];
        let plan = &model.plans[strategy.plan];
        let ledger = &mut self.ledgers[id];
        if let Some(cap) = model.connects.rollover_cap {
            ledger.forfeit_above(cap, at);
        }
        ledger.grant(plan.allowance, at, model.connects.lifetime_hours);
        a.budget_left_usd = strategy.bundle_budget_usd;
        self.activity[id].usd_plan += plan.price_usd;
        let month = self.month_of(at);
        self.market[month].platform_usd_plans += plan.price_usd;
    }

    /// The weekly cap on paid proposals, over 7-day weeks from the agent's joining.
    pub(super) fn below_weekly_cap(&mut self, id: usize, t: f64) -> bool {
        let a = &mut self.agents[id];
        let Some(cap) = self.model.strategies[a.strategy as usize].weekly_cap else {
            return true;
        };
        let week = a.week_of(t);
        if week != a.week {
            a.week = week;
            a.paid_this_week = 0;
        }
        a.paid_this_week < cap
    }

    /// Whether the weekly cap, reached already at `now`, still holds at `at` (the same
    /// week): then the agent cannot apply at `at`, whatever happens in between.
    pub(super) fn weekly_cap_reached_until(&self, id: usize, now: f64, at: f64) -> bool {
        let a = &self.agents[id];
        self.weekly_cap_lifts_at(id, now).is_some() && a.week_of(at) == a.week
    }

    /// When the weekly cap, reached already at `now`, lifts (the week's end); `None` when
    /// it is not reached.
    pub(super) fn weekly_cap_lifts_at(&self, id: usize, now: f64) -> Option<f64> {
        let a = &self.agents[id];
        let cap = self.model.strategies[a.strategy as usize].weekly_cap?;
        let reached = a.joined_at <= now && a.week_of(now) == a.week && a.paid_this_week >= cap;
        reached.then(|| a.joined_at + f64::from(a.week + 1) * HOURS_PER_WEEK)
    }
}
