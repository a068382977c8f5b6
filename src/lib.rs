//! connectsim: a Monte Carlo simulator of freelancer bidding strategies on marketplaces
//! that charge for proposals in tokens (Upwork's Connects).

pub mod ledger;
pub mod random;
pub mod scenario;
pub mod stats;
