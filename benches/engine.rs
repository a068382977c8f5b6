//! Criterion benchmarks of the engine's parts, each with a fixed seed: a whole replication
//! of the small `smoke` scenario, the ledger's hot operations, the boost auction on a post
//! with 50 bids, one client review of 30 proposals, and the event queue. Run with
//! `cargo bench`; `connectsim bench` measures whole runs and thread scaling.

use std::hint::black_box;

use connectsim::auction::{Bid, Win, close_auction};
use connectsim::ledger::Ledger;
use connectsim::random::{Stream, Streams};
use connectsim::review::{Shown, display_order, gumbel, hire_score, walk};
use connectsim::rows::simulate;
use connectsim::scenario::Scenario;
use connectsim::scenario::file::Pricing;
use connectsim::sim::queue::EventQueue;
use criterion::{Criterion, criterion_group, criterion_main};
use rand::RngExt;

fn scenario(name: &str) -> connectsim::scenario::Model {
    match Scenario::load(name) {
        Ok(s) => s.model,
        Err(e) => panic!("the embedded {name} scenario must validate: {e}"),
    }
}

fn replication(c: &mut Criterion) {
    let model = scenario("smoke");
    c.bench_function("replication/smoke", |b| {
        b.iter(|| simulate(black_box(&model), black_box(0), false))
    });
}

fn ledger(c: &mut Criterion) {
    c.bench_function("ledger/grant_spend_refund", |b| {
        let mut pieces = Vec::with_capacity(16);
        b.iter(|| {
            let mut ledger = Ledger::new();
            for month in 0..12 {
                ledger.grant(10, f64::from(month) * 720.0, 8760.0);
            }
            pieces.clear();
            let _ = ledger.spend(black_box(25), 8000.0, &mut pieces);
            ledger.refund(&pieces, 8100.0);
            black_box(ledger.balance())
        })
    });
    c.bench_function("ledger/hold_and_charge", |b| {
        let mut pieces = Vec::with_capacity(16);
        let mut scratch = Vec::with_capacity(16);
        b.iter(|| {
            let mut ledger = Ledger::new();
            ledger.grant(80, 0.0, 8760.0);
            ledger.buy(40, 1.0, 8760.0);
            pieces.clear();
            scratch.clear();
            let _ = ledger.hold(black_box(27), 2.0, &mut pieces);
            ledger.charge_hold(&pieces, 20, 3.0, &mut scratch);
            black_box(ledger.balance())
        })
    });
}

fn auction(c: &mut Criterion) {
    let mut rng = Streams::new(42, 0).rng(Stream::Post, 7);
    let bids: Vec<Bid> = (0..50)
        .map(|i| Bid {
            proposal: i,
            connects: rng.random_range(1..=50),
            submitted: rng.random::<f64>() * 168.0,
        })
        .collect();
    let mut wins: Vec<Win> = Vec::with_capacity(4);
    let mut scratch = bids.clone();
    c.bench_function("auction/50_bids_4_slots_second_price", |b| {
        b.iter(|| {
            scratch.copy_from_slice(&bids);
            wins.clear();
            close_auction(black_box(&mut scratch), 4, Pricing::Second, 1, &mut wins);
            black_box(wins.len())
        })
    });
}

fn review(c: &mut Criterion) {
    let model = scenario("default");
    let review = &model.review;
    let mut rng = Streams::new(42, 0).rng(Stream::Post, 9);
    let proposals: Vec<Shown> = (0..30)
        .map(|i| Shown {
            proposal: i,
            submitted: rng.random::<f64>() * 200.0,
            fit: rng.random(),
            reputation: rng.random(),
            quality: rng.random(),
            boost_slot: (i < 4).then_some(i),
            invited: i % 10 == 9,
        })
        .collect();
    let streams = Streams::new(42, 0);
    let mut shown = proposals.clone();
    let mut interviewed: Vec<(f64, u32)> = Vec::with_capacity(8);
    c.bench_function("review/30_proposals", |b| {
        let mut post = 0;
        b.iter(|| {
            post += 1;
            shown.copy_from_slice(&proposals);
            display_order(&mut shown, review);
            interviewed.clear();
            let own = |s: &Shown| streams.rng2(Stream::Review, post, 1 + u64::from(s.proposal));
            walk(&shown, review, own, |s, rng| {
                let noise = gumbel(review.hire_score.noise_scale, rng);
                interviewed.push((hire_score(s, review) + noise, s.proposal));
            });
            black_box(interviewed.len())
        })
    });
}

fn queue(c: &mut Criterion) {
    let mut rng = Streams::new(42, 0).rng(Stream::Arrivals, 3);
    let times: Vec<f64> = (0..10_000).map(|_| rng.random::<f64>() * 1000.0).collect();
    c.bench_function("queue/10000_schedule_then_pop", |b| {
        b.iter(|| {
            let mut queue: EventQueue<u32> = EventQueue::new(2000.0, 0.2);
            for (i, &t) in times.iter().enumerate() {
                queue.schedule(t, i as u32);
            }
            let mut last = 0;
            while let Some((_, k)) = queue.pop() {
                last = k;
            }
            black_box(last)
        })
    });
}

criterion_group!(benches, replication, ledger, auction, review, queue);
criterion_main!(benches);
