//! Throughput of the engine: one replication of the small `smoke` scenario, and the
//! ledger's hot operations. Run with `cargo bench`; `connectsim bench` measures whole runs
//! and thread scaling.

use std::hint::black_box;

use connectsim::engine::simulate;
use connectsim::ledger::Ledger;
use connectsim::scenario::Scenario;
use criterion::{Criterion, criterion_group, criterion_main};

fn replication(c: &mut Criterion) {
    let model = match Scenario::load("smoke") {
        Ok(s) => s.model,
        Err(e) => panic!("the embedded smoke scenario must validate: {e}"),
    };
    c.bench_function("simulate smoke, one replication", |b| {
        b.iter(|| simulate(black_box(&model), black_box(0), false))
    });
}

fn ledger(c: &mut Criterion) {
    c.bench_function("ledger: grant, spend, refund", |b| {
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
}

criterion_group!(benches, replication, ledger);
criterion_main!(benches);
