//! The event queue: a calendar of time buckets, O(1) amortized per event.
//!
//! Events are ordered by time (`total_cmp`), then by the order they were scheduled (FIFO
//! among equal times). The horizon is cut into buckets of equal width; an event goes into
//! its bucket unsorted, and a bucket is sorted once, when the queue reaches it. An event
//! scheduled into the bucket being drained (or an earlier, empty one) is inserted into the
//! drained bucket at its place. Events at or after the horizon are not kept: nothing after
//! the horizon is simulated.

/// A scheduled event: its time, its scheduling number and what it is.
#[derive(Debug, Clone, Copy)]
struct Entry<K> {
    time: f64,
    seq: u64,
    kind: K,
}

impl<K> Entry<K> {
    /// Later events first, so the drained bucket pops from its end.
    #[inline]
    fn later_first(a: &Entry<K>, b: &Entry<K>) -> std::cmp::Ordering {
        b.time.total_cmp(&a.time).then(b.seq.cmp(&a.seq))
    }
}

/// A calendar queue over `[0, horizon)`.
#[derive(Debug)]
pub struct EventQueue<K> {
    width: f64,
    horizon: f64,
    buckets: Vec<Vec<Entry<K>>>,
    /// The bucket whose events are in `head`.
    current: usize,
    /// The current bucket's events, sorted later first.
    head: Vec<Entry<K>>,
    seq: u64,
    len: usize,
}

/// At most this many buckets (a long horizon gets wider buckets).
const MAX_BUCKETS: usize = 1 << 18;

impl<K: Copy> EventQueue<K> {
    /// A queue over `[0, horizon)` hours with buckets about `width` hours wide.
    pub fn new(horizon: f64, width: f64) -> EventQueue<K> {
        let horizon = horizon.max(0.0);
        let wanted = if width > 0.0 && width.is_finite() {
            (horizon / width).ceil()
        } else {
            1.0
        };
        let count = (wanted as usize).clamp(1, MAX_BUCKETS);
        EventQueue {
            width: (horizon / count as f64).max(f64::MIN_POSITIVE),
            horizon,
            buckets: (0..count).map(|_| Vec::new()).collect(),
            current: 0,
            head: Vec::new(),
            seq: 0,
            len: 0,
        }
    }

    #[inline]
    fn bucket_of(&self, time: f64) -> usize {
        ((time / self.width) as usize).min(self.buckets.len() - 1)
    }

    /// Schedules `kind` at `time` (never earlier than the last event popped). Returns false,
    /// and keeps nothing, when `time` is at or after the horizon.
    #[inline]
    pub fn schedule(&mut self, time: f64, kind: K) -> bool {
        if time.is_nan() || time >= self.horizon {
            return false;
        }
        self.seq += 1;
        let entry = Entry {
            time,
            seq: self.seq,
            kind,
        };
        let b = self.bucket_of(time);
        if b <= self.current {
            // Every event in `head` is at or after `entry` or was scheduled before it.
            let at = self
                .head
                .partition_point(|e| Entry::later_first(e, &entry).is_lt());
            self.head.insert(at, entry);
        } else {
            self.buckets[b].push(entry);
        }
        self.len += 1;
        true
    }

    /// Makes `head` hold the next events, if there are any.
    fn refill(&mut self) {
        while self.head.is_empty() && self.current + 1 < self.buckets.len() && self.len > 0 {
            self.current += 1;
            // A passed bucket keeps no storage: memory follows the events pending, not the
            // time simulated.
            let mut bucket = std::mem::take(&mut self.buckets[self.current]);
            bucket.sort_unstable_by(Entry::later_first);
            self.head = bucket;
        }
    }

    /// The time of the next event.
    #[inline]
    pub fn peek_time(&mut self) -> Option<f64> {
        if self.head.is_empty() {
            self.refill();
        }
        self.head.last().map(|e| e.time)
    }

    /// Takes the next event.
    #[inline]
    pub fn pop(&mut self) -> Option<(f64, K)> {
        if self.head.is_empty() {
            self.refill();
        }
        let e = self.head.pop()?;
        self.len -= 1;
        Some((e.time, e.kind))
    }

    /// Events waiting.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::Xoshiro256PlusPlus;
    use rand::{RngExt, SeedableRng};

    fn drain(q: &mut EventQueue<u32>) -> Vec<(f64, u32)> {
        std::iter::from_fn(|| q.pop()).collect()
    }

    #[test]
    fn equal_times_keep_fifo_order() {
        let mut q = EventQueue::new(100.0, 1.0);
        for k in 0..5 {
            q.schedule(10.0, k);
        }
        q.schedule(3.0, 99);
        let order: Vec<u32> = drain(&mut q).into_iter().map(|(_, k)| k).collect();
        assert_eq!(order, vec![99, 0, 1, 2, 3, 4]);
    }

    #[test]
    fn events_at_or_after_the_horizon_are_dropped() {
        let mut q = EventQueue::new(10.0, 1.0);
        assert!(q.schedule(9.99, 1));
        assert!(!q.schedule(10.0, 2));
        assert!(!q.schedule(f64::NAN, 3));
        assert_eq!(drain(&mut q), vec![(9.99, 1)]);
        assert!(q.is_empty());
    }

    /// Against a sorted reference: random events, some scheduled while the queue drains
    /// (into the current bucket, and into an earlier empty one after a peek moved on).
    #[test]
    fn matches_a_sorted_reference_while_draining() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
        let mut q = EventQueue::new(1000.0, 0.7);
        let mut reference: Vec<(f64, u64, u32)> = Vec::new();
        let mut seq = 0;
        let mut push = |q: &mut EventQueue<u32>, r: &mut Vec<(f64, u64, u32)>, t: f64, k| {
            if q.schedule(t, k) {
                seq += 1;
                r.push((t, seq, k));
            }
        };
        for k in 0..2000 {
            let t = (rng.random::<f64>() * 1000.0).floor() / 4.0 + 100.0;
            push(&mut q, &mut reference, t, k);
        }
        let mut now = 0.0;
        let mut got = Vec::new();
        let mut k = 10_000;
        while let Some(next) = q.peek_time() {
            // Schedule from a time before the next event (a post between events).
            if rng.random::<f64>() < 0.3 {
                let at = now + (next - now) * rng.random::<f64>();
                let t = at + rng.random::<f64>() * 3.0;
                push(&mut q, &mut reference, t, k);
                k += 1;
                continue;
            }
            let (t, kind) = q.pop().unwrap();
            assert!(t >= now);
            now = t;
            got.push((t, kind));
        }
        reference.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let want: Vec<(f64, u32)> = reference.into_iter().map(|(t, _, k)| (t, k)).collect();
        assert_eq!(got, want);
    }
}
