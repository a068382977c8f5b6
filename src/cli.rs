//! The command line, as clap builds it. Nothing here does any work: `app` turns these raw
//! arguments into validated objects and runs them.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::runner::Shard;

/// Monte Carlo simulator of freelancer bidding strategies on marketplaces that charge for
/// proposals in tokens (Upwork's Connects).
#[derive(Debug, Parser)]
#[command(
    name = "connectsim",
    version,
    about,
    propagate_version = true,
    after_help = "Examples:\n  \
    connectsim run            the default; then open output/default/report.html\n  \
    connectsim run my.toml --replications 32\n  \
    connectsim compare output/upwork-2021 output/default\n\n\
    `connectsim help COMMAND` shows a command's flags and examples."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario: replications in parallel, CSV results, a manifest and charts.
    #[command(
        after_help = "Examples:\n  connectsim run                          the embedded default: output/default/\n  connectsim run upwork-2021 --replications 32 --months 12\n  connectsim run my.toml --out output/mine --seed 7\n  connectsim run --shard 0/4 --out output/s0   one of 4 shards; then `connectsim merge`\n  connectsim run my.toml --resume         finish a run stopped by Ctrl-C\n\nThe report to open: <out>/report.html."
    )]
    Run(RunArgs),
    /// Run a scenario with its paired counterfactuals (placebo posts, capped posts) and
    /// print MODEL.md's calibration table; also writes calibration.csv.
    #[command(
        after_help = "Examples:\n  connectsim calibrate                    the default scenario against MODEL.md's targets\n  connectsim calibrate my.toml --replications 16"
    )]
    Calibrate(CalibrateArgs),
    /// Search the calibration knobs for a scenario that meets MODEL.md's targets
    /// (Nelder–Mead on shortened calibration runs with common random numbers).
    #[command(
        after_help = "Examples:\n  connectsim tune --knobs position_decay,badge_lift --evaluations 60\n  connectsim tune my.toml --replications 8 --months 12"
    )]
    Tune(TuneArgs),
    /// Check scenario files without running them.
    #[command(
        after_help = "Examples:\n  connectsim validate my.toml\n  connectsim validate scenarios/*.toml"
    )]
    Validate {
        /// Scenario files (or names of embedded scenarios).
        #[arg(required = true, value_name = "SCENARIO")]
        scenarios: Vec<String>,
    },
    /// Redraw every chart (and the report) of a run directory from its CSV files alone.
    #[command(after_help = "Example:\n  connectsim plot output/default")]
    Plot {
        #[arg(value_name = "RUN_DIR")]
        run_dir: PathBuf,
    },
    /// Draw several runs on one chart and write a comparison table.
    #[command(after_help = "Example (the same seed, so replications pair):\n  \
        connectsim run upwork-2021 && connectsim run default\n  \
        connectsim compare output/upwork-2021 output/default --out output/2021-vs-now")]
    Compare {
        #[arg(required = true, num_args = 2.., value_name = "RUN_DIR")]
        run_dirs: Vec<PathBuf>,
        /// Where to write the comparison [default: output/compare]
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Combine shard directories into the output of the unsharded run.
    #[command(after_help = "Example:\n  \
        for k in 0 1 2; do connectsim run --shard $k/3 --out output/s$k; done\n  \
        connectsim merge output/s0 output/s1 output/s2 --out output/default")]
    Merge {
        #[arg(required = true, value_name = "SHARD_DIR")]
        shard_dirs: Vec<PathBuf>,
        #[arg(long, required = true, value_name = "DIR")]
        out: PathBuf,
        /// Do not draw the charts.
        #[arg(long)]
        no_plots: bool,
    },
    /// Measure simulation throughput and thread scaling, and print a table.
    #[command(
        after_help = "Examples:\n  connectsim bench                        the default scenario on 1 and all cores\n  \
        connectsim bench large --threads 1,2 --json"
    )]
    Bench {
        /// Scenario file or embedded name [default: the embedded default scenario]
        #[arg(value_name = "SCENARIO")]
        scenario: Option<String>,
        /// Thread counts to measure, comma-separated [default: 1 and all cores]
        #[arg(long, value_delimiter = ',', value_name = "LIST")]
        threads: Option<Vec<usize>>,
        /// Replications per measurement [default: 2 × the largest thread count]
        #[arg(long, value_name = "N")]
        replications: Option<u32>,
        /// Run each row until its runs take at least this many seconds (and at least 3 runs)
        #[arg(long, value_name = "S", default_value_t = crate::bench::MIN_SECONDS)]
        min_seconds: f64,
        /// Print the measurement as JSON instead of a table
        #[arg(long)]
        json: bool,
    },
    /// List the scenarios embedded in the binary.
    #[command(after_help = "Example:\n  connectsim scenarios")]
    Scenarios,
}

/// `connectsim calibrate`'s arguments.
#[derive(Debug, clap::Args)]
pub struct CalibrateArgs {
    /// Scenario file or embedded name [default: the embedded default scenario]
    #[arg(value_name = "SCENARIO")]
    pub scenario: Option<String>,
    /// Replications of each of the three runs (overrides run.replications)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub replications: Option<u32>,
    /// Output directory [default: output/<scenario name>-calibration]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Master seed (overrides run.seed)
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Worker threads [default: all cores]; results never depend on it
    #[arg(long, value_name = "T", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: Option<u32>,
    /// Do not draw the market run's charts
    #[arg(long)]
    pub no_plots: bool,
    /// No progress bar and no table
    #[arg(long)]
    pub quiet: bool,
}

/// `connectsim tune`'s arguments.
#[derive(Debug, clap::Args)]
pub struct TuneArgs {
    /// Scenario file or embedded name [default: the embedded default scenario]
    #[arg(value_name = "SCENARIO")]
    pub scenario: Option<String>,
    /// Replications of each calibration run per evaluation
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..))]
    pub replications: u32,
    /// Months of each calibration run per evaluation
    #[arg(long, value_name = "M", default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..))]
    pub months: u32,
    /// At most this many evaluations
    #[arg(long, value_name = "N", default_value_t = 120)]
    pub evaluations: usize,
    /// The first simplex's step along each knob, as a share of the knob's range
    #[arg(long, value_name = "X", default_value_t = 0.15)]
    pub step: f64,
    /// The knobs to search, comma-separated [default: all]: position_decay,
    /// max_interviews, interview_intercept, badge_lift, decision_delay, hand_delay_median,
    /// hand_delay_sigma, appeal_sigma, client_quality
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub knobs: Option<Vec<String>>,
    /// Master seed (overrides run.seed): the same for every evaluation
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Worker threads [default: all cores]
    #[arg(long, value_name = "T", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: Option<u32>,
    /// Where to write tune.csv [default: output/<scenario name>-tune]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// No line per evaluation
    #[arg(long)]
    pub quiet: bool,
}

/// `connectsim run`'s arguments.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Scenario file or embedded name [default: the embedded default scenario]
    #[arg(value_name = "SCENARIO")]
    pub scenario: Option<String>,
    /// Output directory [default: output/<scenario name>]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replications (overrides the scenario's run.replications)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub replications: Option<u32>,
    /// Master seed (overrides run.seed)
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Worker threads [default: all cores]; results never depend on it
    #[arg(long, value_name = "T", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: Option<u32>,
    /// Months to simulate (overrides run.months)
    #[arg(long, value_name = "M", value_parser = clap::value_parser!(u32).range(1..))]
    pub months: Option<u32>,
    /// Agents in the market (overrides population.agents): strategies given as shares
    /// follow it, strategies given as counts are rescaled by largest remainder
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub agents: Option<u32>,
    /// Run only shard K of N (replications r with r % N == K); `merge` combines shards
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,
    /// Also write agents.csv (one row per replication × agent)
    #[arg(long)]
    pub agents_csv: bool,
    /// Do not draw the charts
    #[arg(long)]
    pub no_plots: bool,
    /// Finish an interrupted run of the same command: simulate only the replications it
    /// did not finish (starts from the beginning if there is nothing to resume)
    #[arg(long)]
    pub resume: bool,
    /// No progress bar and no closing summary
    #[arg(long)]
    pub quiet: bool,
    /// Run even past the size limits (an estimated half of the machine's memory, or an
    /// hour); never past the machine's memory
    #[arg(long)]
    pub allow_large: bool,
}
