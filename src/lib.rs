//! connectsim: a Monte Carlo simulator of freelancer bidding strategies on marketplaces
//! that charge for proposals in tokens (Upwork's Connects).
//!
//! Start with `ARCHITECTURE.md` at the repository's root for the map of the modules.

pub mod app;
pub mod atomic;
pub mod auction;
pub mod bench;
pub mod calibration;
pub mod charts;
pub mod checkpoint;
pub mod cli;
pub mod compare;
pub mod estimate;
pub mod export;
pub mod ledger;
pub mod market;
pub mod present;
pub mod random;
pub mod report;
pub mod results;
pub mod review;
pub mod rows;
pub mod runner;
pub mod scenario;
pub mod sim;
pub mod stats;
pub mod strategy;
pub mod sweep;
pub mod tune;
