//! Common random numbers (issue 7), end to end through the `connectsim` binary.
//!
//! MODEL.md ("Randomness and common random numbers") promises that two scenarios differing
//! only in a rule (boost pricing or slots, a strategy's filters) see the same posts and the
//! same agents in every replication, so that paired differences between them are far less
//! noisy than differences between independent runs. Checked here:
//!
//! 1. the posts (`jobs_posted` per month) and the agents' attributes are identical between
//!    smoke and three one-rule variants, replication by replication, while the variants'
//!    outcomes differ (so a variant that silently did nothing would be caught);
//! 2. over 16 replications of first- vs second-price boosts (boost-large boosting every
//!    tier), the paired 95% interval of each strategy's ROI difference over the first month
//!    is at least 2.5 times narrower than the unpaired one (the ratios, and those over the
//!    whole 2 months, are printed: `cargo test --test crn -- --nocapture`);
//! 3. the files added with the version-2 engine (`post_proposals.csv`,
//!    `agent_spend_quantiles.csv`) do not depend on `--threads` or on `--shard` + `merge`.
//!    `tests/cli.rs` already compares every CSV file of a run byte for byte across threads
//!    and shards (on `tests/data/tiny.toml`), which covers `strategy_monthly.csv` and
//!    `market_monthly.csv`; this test checks that the two new files are there, hold every
//!    replication, and agree on the smoke scenario.
//!
//! Every run is small (smoke: 300 agents, 12 posts a day, at most 2 months) and passes
//! `--no-plots --quiet`, so the file runs in a few seconds with the debug binary.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use connectsim::stats::t_975;

mod common;

use common::{connectsim, run, tempdir};

// ---- Helpers --------------------------------------------------------------------------

/// The named columns of a CSV file of a run directory, one `Vec` of fields per row, read
/// by header name (so the test does not depend on the other columns).
fn columns(dir: &Path, file: &str, names: &[&str]) -> Vec<Vec<String>> {
    let path = dir.join(file);
    let mut reader =
        csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = reader.headers().expect("a header").clone();
    let index: Vec<usize> = names
        .iter()
        .map(|n| {
            header
                .iter()
                .position(|h| h == *n)
                .unwrap_or_else(|| panic!("{file}: no column {n} in {header:?}"))
        })
        .collect();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap_or_else(|e| panic!("{file}: {e}"));
            index.iter().map(|&i| r[i].to_string()).collect()
        })
        .collect()
}

/// Every row of a CSV file, whole.
fn records(dir: &Path, file: &str) -> Vec<Vec<String>> {
    let path = dir.join(file);
    let mut reader =
        csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    reader
        .records()
        .map(|r| {
            r.unwrap_or_else(|e| panic!("{file}: {e}"))
                .iter()
                .map(str::to_string)
                .collect()
        })
        .collect()
}

/// Groups rows by their first field (the replication), in order.
fn by_replication(rows: Vec<Vec<String>>) -> BTreeMap<u32, Vec<Vec<String>>> {
    let mut out: BTreeMap<u32, Vec<Vec<String>>> = BTreeMap::new();
    for row in rows {
        let rep = row[0].parse().expect("a replication number");
        out.entry(rep).or_default().push(row);
    }
    out
}

fn num(field: &str) -> f64 {
    field
        .parse()
        .unwrap_or_else(|e| panic!("{field:?} is not a number: {e}"))
}

/// smoke.toml's `[[strategies]]` array: the file the binary embeds as `smoke`.
fn smoke_strategies() -> Vec<toml::Table> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/smoke.toml");
    let text = fs::read_to_string(&path).expect("scenarios/smoke.toml");
    let table: toml::Table = text.parse().expect("smoke.toml is TOML");
    table["strategies"]
        .as_array()
        .expect("smoke.toml has [[strategies]]")
        .iter()
        .map(|s| s.as_table().expect("a strategy table").clone())
        .collect()
}

/// smoke's strategies with one strategy edited (which must exist).
fn edited_strategies(name: &str, edit: impl FnOnce(&mut toml::Table)) -> Vec<toml::Table> {
    let mut strategies = smoke_strategies();
    let s = strategies
        .iter_mut()
        .find(|s| s["name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("smoke has no strategy {name}"));
    edit(s);
    strategies
}

/// A scenario extending smoke: `body` (TOML tables such as `[boost]`) and, if given, a
/// whole `[[strategies]]` array (`replace_strategies = true`: it replaces the base's whole).
fn smoke_variant(name: &str, body: &str, strategies: Option<Vec<toml::Table>>) -> String {
    let replace = if strategies.is_some() {
        "replace_strategies = true\n"
    } else {
        ""
    };
    let mut text = format!(
        "extends = \"smoke\"\n{replace}name = \"{name}\"\ndescription = \"crn.rs: smoke, {name}\"\n\n{body}\n"
    );
    if let Some(strategies) = strategies {
        let mut table = toml::Table::new();
        let array = strategies.into_iter().map(toml::Value::Table).collect();
        table.insert("strategies".into(), toml::Value::Array(array));
        text.push_str(&toml::to_string(&table).expect("strategies serialize"));
    }
    text
}

fn write_scenario(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(format!("{name}.toml"));
    fs::write(&path, text).expect("a writable temporary directory");
    path
}

// ---- 1. The same posts and agents under a changed rule --------------------------------

#[test]
fn rule_variants_see_the_same_posts_and_agents_as_the_base() {
    let tmp = tempdir();
    let args = ["--replications", "3", "--threads", "2", "--agents-csv"];
    let base = tmp.path().join("base");
    run("smoke", &base, &args);

    let min_fit = edited_strategies("boost-large", |s| {
        assert_eq!(
            s["min_fit"].as_float(),
            Some(0.6),
            "smoke's boost-large min_fit"
        );
        s.insert("min_fit".into(), toml::Value::Float(0.5));
    });
    let variants = [
        (
            "second-price",
            smoke_variant("second-price", "[boost]\npricing = \"second\"", None),
        ),
        (
            "two-slots",
            smoke_variant("two-slots", "[boost]\nslots = 2", None),
        ),
        (
            "min-fit",
            smoke_variant("boost-large-min-fit-0.5", "", Some(min_fit)),
        ),
    ];

    let posts = |dir: &Path| {
        by_replication(columns(
            dir,
            "market_monthly.csv",
            &["replication", "month", "jobs_posted"],
        ))
    };
    let agents = |dir: &Path| {
        by_replication(columns(
            dir,
            "agents.csv",
            &[
                "replication",
                "agent",
                "strategy",
                "categories",
                "skill",
                "joined_day",
            ],
        ))
    };
    let (base_posts, base_agents) = (posts(&base), agents(&base));
    let base_outcomes = records(&base, "strategy_monthly.csv");

    // The check is not vacuous: 3 replications × 2 months of posts, 300 agents each.
    assert_eq!(
        base_posts.keys().copied().collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
    for (rep, rows) in &base_posts {
        assert_eq!(rows.len(), 2, "months of replication {rep}");
        assert!(rows.iter().all(|r| num(&r[2]) > 0.0), "no posts: {rows:?}");
        assert_eq!(base_agents[rep].len(), 300, "agents of replication {rep}");
    }
    // ... and the replications are different worlds.
    assert_ne!(base_agents[&0][0][4], base_agents[&1][0][4], "same skill");

    for (label, text) in &variants {
        let out = tmp.path().join(label);
        run(write_scenario(tmp.path(), label, text), &out, &args);
        let (p, a) = (posts(&out), agents(&out));
        assert_eq!(
            p.keys().collect::<Vec<_>>(),
            base_posts.keys().collect::<Vec<_>>()
        );
        for rep in base_posts.keys() {
            assert_eq!(
                p[rep], base_posts[rep],
                "{label}: jobs_posted differ from smoke's in replication {rep}"
            );
            assert_eq!(
                a[rep], base_agents[rep],
                "{label}: agents differ from smoke's in replication {rep}"
            );
        }
        // The rule did something: some strategy's month turned out differently.
        let outcomes = records(&out, "strategy_monthly.csv");
        assert_eq!(outcomes.len(), base_outcomes.len());
        let changed = outcomes
            .iter()
            .zip(&base_outcomes)
            .filter(|(a, b)| a != b)
            .count();
        assert!(
            changed > 0,
            "{label}: strategy_monthly.csv is smoke's: the variant changed nothing"
        );
    }
}

// ---- 2. Paired differences are narrower -----------------------------------------------

/// Per strategy and replication, the ROI over the first `months` months:
/// (Σ usd_earned − cost) / cost with cost = (Σ spent − Σ refunded) × price + Σ usd_plan;
/// `None` where the cost is 0.
fn roi_by_strategy(dir: &Path, months: u32, price: f64) -> BTreeMap<String, Vec<Option<f64>>> {
    let rows = columns(
        dir,
        "strategy_monthly.csv",
        &[
            "replication",
            "month",
            "strategy",
            "usd_earned",
            "connects_spent",
            "connects_refunded",
            "usd_plan",
        ],
    );
    // (earned, spent − refunded, plan) per (strategy, replication).
    let mut totals: BTreeMap<(String, u32), (f64, f64, f64)> = BTreeMap::new();
    for r in rows {
        let (rep, month): (u32, u32) = (r[0].parse().unwrap(), r[1].parse().unwrap());
        let t = totals.entry((r[2].clone(), rep)).or_default();
        if month < months {
            t.0 += num(&r[3]);
            t.1 += num(&r[4]) - num(&r[5]);
            t.2 += num(&r[6]);
        }
    }
    let mut out: BTreeMap<String, Vec<Option<f64>>> = BTreeMap::new();
    for ((strategy, _), (earned, connects, plan)) in totals {
        let cost = connects * price + plan;
        out.entry(strategy)
            .or_default()
            .push((cost > 0.0).then(|| (earned - cost) / cost));
    }
    out
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

fn variance(x: &[f64]) -> f64 {
    let m = mean(x);
    x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len() - 1) as f64
}

/// One strategy's comparison of two runs.
struct Comparison {
    mean_difference: f64,
    paired_half_width: f64,
    unpaired_half_width: f64,
}

/// Paired: d_r = b_r − a_r, t(0.975, n − 1) sd(d) / √n. Unpaired (as if the runs were
/// independent): t(0.975, 2n − 2) √(s_a² / n + s_b² / n).
fn compare(a: &[f64], b: &[f64]) -> Comparison {
    let n = a.len();
    assert_eq!(n, b.len());
    let d: Vec<f64> = a.iter().zip(b).map(|(a, b)| b - a).collect();
    let nf = n as f64;
    Comparison {
        mean_difference: mean(&d),
        paired_half_width: t_975(n - 1) * (variance(&d) / nf).sqrt(),
        unpaired_half_width: t_975(2 * n - 2) * (variance(a) / nf + variance(b) / nf).sqrt(),
    }
}

#[test]
fn paired_roi_differences_are_several_times_narrower_than_unpaired() {
    // Smoke, with boost-large boosting every tier by value (not only large posts), so that
    // the boost auction, and its pricing, matter; first- vs second-price, 16 replications.
    let tmp = tempdir();
    let all_tiers = || {
        edited_strategies("boost-large", |s| {
            let boost: toml::Table =
                toml::from_str("value = { share = 0.002, max = 40 }").expect("a boost policy");
            s.insert("boost".into(), toml::Value::Table(boost));
        })
    };
    let price = 0.15; // connects.price_usd of default.toml, which smoke extends
    let reps = 16;
    let args = ["--replications", "16", "--threads", "2"];
    let first = tmp.path().join("first");
    let second = tmp.path().join("second");
    let text = smoke_variant("boost-all-first", "", Some(all_tiers()));
    run(write_scenario(tmp.path(), "first", &text), &first, &args);
    let text = smoke_variant(
        "boost-all-second",
        "[boost]\npricing = \"second\"",
        Some(all_tiers()),
    );
    run(write_scenario(tmp.path(), "second", &text), &second, &args);

    // Boosting is common: boost wins per post posted (measured 0.8; slots = 4).
    for dir in [&first, &second] {
        let rows = columns(dir, "market_monthly.csv", &["jobs_posted", "boost_wins"]);
        let posts: f64 = rows.iter().map(|r| num(&r[0])).sum();
        let wins: f64 = rows.iter().map(|r| num(&r[1])).sum();
        assert!(
            wins > 0.25 * posts,
            "{}: {wins} boost wins in {posts} posts: boosting is not common",
            dir.display()
        );
    }

    // The same world in both runs: a pair, not two samples.
    let posted = |dir: &Path| columns(dir, "market_monthly.csv", &["replication", "jobs_posted"]);
    assert_eq!(posted(&first), posted(&second));

    // Two horizons, from the same runs: the first month, and the whole two months. The
    // agents' own streams are drawn in the order they meet posts, so once a changed price
    // changes one application, the agents' later draws (and so who is hired) drift apart
    // between the runs; the advantage of pairing shrinks with the horizon. Measured with
    // this seed (42): over 1 month the ratio is 5.6 (boost-large) to 55 (auto-bidder),
    // over 2 months 3.8 to 4.2. Over 41 master seeds (same scenario, 16 replications), the
    // smallest of the three strategies' ratios over 1 month was never below 2.7 (median
    // about 6); over 2 months it fell below 2 in 3 of 11 seeds (1.2 to 1.8). So the
    // assertion is on the first month, at ≥ 2.5 (below half the 5.6 measured here, and
    // below the worst seed); the 2-month ratios are printed, not asserted.
    for months in [1, 2] {
        let (a, b) = (
            roi_by_strategy(&first, months, price),
            roi_by_strategy(&second, months, price),
        );
        assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
        let mut compared = BTreeSet::new();
        for (strategy, ra) in &a {
            let rb = &b[strategy];
            assert_eq!(
                (ra.len(), rb.len()),
                (reps, reps),
                "{strategy}: replications"
            );
            // Only strategies whose ROI is defined in every replication of both runs.
            let (Some(ra), Some(rb)) = (
                ra.iter().copied().collect::<Option<Vec<f64>>>(),
                rb.iter().copied().collect::<Option<Vec<f64>>>(),
            ) else {
                println!("{months}-month ROI of {strategy}: undefined in some replication");
                continue;
            };
            let c = compare(&ra, &rb);
            let ratio = c.unpaired_half_width / c.paired_half_width;
            println!(
                "{months}-month ROI, second − first price, {strategy}: mean difference \
                 {:+.3}, paired ±{:.3}, unpaired ±{:.3}, unpaired/paired {ratio:.2}",
                c.mean_difference, c.paired_half_width, c.unpaired_half_width
            );
            if months == 1 {
                assert!(
                    ratio >= 2.5,
                    "{strategy}: the paired half-width {:.4} is only {ratio:.2} times \
                     narrower than the unpaired one {:.4}",
                    c.paired_half_width,
                    c.unpaired_half_width
                );
                if strategy == "boost-large" {
                    // Second price charges winners less: the pair sees boost-large's ROI
                    // rise, its paired interval excluding 0 (measured +5.5 ± 1.4).
                    assert!(
                        c.mean_difference > c.paired_half_width,
                        "boost-large: paired difference {:+.3} ± {:.3} does not exclude 0",
                        c.mean_difference,
                        c.paired_half_width
                    );
                }
            }
            compared.insert(strategy.clone());
        }
        if months == 1 {
            let expected: BTreeSet<String> = smoke_strategies()
                .iter()
                .map(|s| s["name"].as_str().unwrap().to_string())
                .collect();
            assert_eq!(
                compared, expected,
                "every strategy of smoke pays for proposals in every replication"
            );
        }
    }
}

// ---- 3. The version-2 files across threads and shards ---------------------------------

#[test]
fn post_proposals_and_agent_spend_do_not_depend_on_threads_or_shards() {
    const FILES: [&str; 2] = ["post_proposals.csv", "agent_spend_quantiles.csv"];
    let tmp = tempdir();
    let dir = |name: &str| tmp.path().join(name);
    let args = ["--replications", "4"];
    run(
        "smoke",
        &dir("one"),
        &[&args[..], &["--threads", "1"]].concat(),
    );
    run(
        "smoke",
        &dir("two"),
        &[&args[..], &["--threads", "2"]].concat(),
    );
    for (name, shard) in [("shard0", "0/2"), ("shard1", "1/2")] {
        run(
            "smoke",
            &dir(name),
            &[&args[..], &["--threads", "2", "--shard", shard]].concat(),
        );
    }
    connectsim()
        .arg("merge")
        .arg(dir("shard1")) // out of order on purpose
        .arg(dir("shard0"))
        .arg("--out")
        .arg(dir("merged"))
        .arg("--no-plots")
        .assert()
        .success();

    // The files hold every replication, with content: posts with proposals, the `all`
    // row and each strategy's.
    let reps = |d: &Path, file: &str| -> BTreeSet<u32> {
        columns(d, file, &["replication"])
            .iter()
            .map(|r| r[0].parse().unwrap())
            .collect()
    };
    for file in FILES {
        assert_eq!(
            reps(&dir("one"), file),
            BTreeSet::from([0, 1, 2, 3]),
            "{file}"
        );
        assert_eq!(reps(&dir("shard0"), file), BTreeSet::from([0, 2]), "{file}");
        assert_eq!(reps(&dir("shard1"), file), BTreeSet::from([1, 3]), "{file}");
    }
    let histogram = columns(
        &dir("one"),
        "post_proposals.csv",
        &["replication", "proposals", "posts"],
    );
    let posted = columns(
        &dir("one"),
        "market_monthly.csv",
        &["replication", "jobs_posted"],
    );
    for rep in 0..4 {
        let of = |rows: &[Vec<String>], col: usize| -> f64 {
            rows.iter()
                .filter(|r| r[0] == rep.to_string())
                .map(|r| num(&r[col]))
                .sum()
        };
        let resolved = of(&histogram, 2);
        assert!(
            resolved > 0.0 && resolved <= of(&posted, 1),
            "replication {rep}: {resolved} posts resolved of {} posted",
            of(&posted, 1)
        );
        assert!(
            histogram
                .iter()
                .any(|r| r[0] == rep.to_string() && num(&r[1]) > 0.0),
            "replication {rep}: no post received a proposal"
        );
    }
    let spend = columns(
        &dir("one"),
        "agent_spend_quantiles.csv",
        &["replication", "strategy", "agents"],
    );
    let strategies: BTreeSet<&str> = spend.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(
        strategies,
        BTreeSet::from(["all", "auto-bidder", "boost-large", "spray"])
    );
    assert!(
        spend
            .iter()
            .filter(|r| r[1] == "all")
            .all(|r| r[2] == "300"),
        "the `all` row counts smoke's 300 agents: {spend:?}"
    );

    for file in FILES {
        let bytes = |name: &str| {
            fs::read(dir(name).join(file)).unwrap_or_else(|e| panic!("{name}/{file}: {e}"))
        };
        let one = bytes("one");
        assert!(one == bytes("two"), "{file}: --threads 1 and 2 differ");
        assert!(
            one == bytes("merged"),
            "{file}: the merged shards differ from the unsharded run"
        );
    }
}
