//! Distinct counting in fixed memory: an exact set of 32-bit hashes while small, a HyperLogLog
//! sketch past the cap; learned sets of known values; and windows of two generations.
//!
//! Hashes come from [`super::hashing`], a fixed-key SipHash, so sketches built on different
//! instances (or before and after a restart) merge: union is a register-wise maximum.

use serde::{Deserialize, Serialize};

/// Exact set of up to `B / 4` hashes, then a HyperLogLog of `B` one-byte registers.
///
/// `B` must be a power of two between 16 and 128.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "DistinctRepr", try_from = "DistinctRepr")]
pub(crate) struct Distinct<const B: usize> {
    /// Hashes held while exact; `SKETCH` once the bytes are registers.
    len: u8,
    bytes: [u8; B],
}

const SKETCH: u8 = u8::MAX;

impl<const B: usize> Default for Distinct<B> {
    fn default() -> Self {
        Distinct {
            len: 0,
            bytes: [0; B],
        }
    }
}

impl<const B: usize> Distinct<B> {
    const INDEX_BITS: u32 = B.trailing_zeros();

    /// The most hashes held exactly.
    pub const EXACT_CAP: usize = B / 4;

    fn exact(&self) -> impl Iterator<Item = u32> + '_ {
        let n = if self.len == SKETCH { 0 } else { self.len } as usize;
        self.bytes[..n * 4]
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
    }

    fn contains_exact(&self, hash: u32) -> bool {
        self.exact().any(|h| h == hash)
    }

    /// Whether this counter has turned into a sketch.
    pub fn is_sketch(&self) -> bool {
        self.len == SKETCH
    }

    /// Adds a hash. `cap` (at most `EXACT_CAP`) is how many are kept exactly.
    pub fn insert(&mut self, hash: u32, cap: usize) {
        if self.len == SKETCH {
            self.register(hash);
        } else if !self.contains_exact(hash) {
            if (self.len as usize) < cap.min(Self::EXACT_CAP) {
                let at = self.len as usize * 4;
                self.bytes[at..at + 4].copy_from_slice(&hash.to_le_bytes());
                self.len += 1;
            } else {
                self.become_sketch();
                self.register(hash);
            }
        }
    }

    fn become_sketch(&mut self) {
        let mut held = [0u32; 32];
        let mut n = 0;
        for h in self.exact() {
            held[n] = h;
            n += 1;
        }
        self.bytes = [0; B];
        self.len = SKETCH;
        for &h in &held[..n] {
            self.register(h);
        }
    }

    fn register(&mut self, hash: u32) {
        let index = (hash >> (32 - Self::INDEX_BITS)) as usize;
        let rest = hash << Self::INDEX_BITS;
        let rank = (rest.leading_zeros() + 1).min(32 - Self::INDEX_BITS + 1) as u8;
        if self.bytes[index] < rank {
            self.bytes[index] = rank;
        }
    }

    /// The number of distinct hashes: exact while exact, a HyperLogLog estimate after.
    pub fn estimate(&self) -> u64 {
        if self.len != SKETCH {
            return self.len as u64;
        }
        hll_estimate(&self.bytes)
    }

    /// Adds everything in `other` (set union).
    pub fn merge(&mut self, other: &Distinct<B>, cap: usize) {
        if other.len == SKETCH {
            if self.len != SKETCH {
                self.become_sketch();
            }
            for (mine, theirs) in self.bytes.iter_mut().zip(other.bytes.iter()) {
                *mine = (*mine).max(*theirs);
            }
        } else {
            for h in other.exact() {
                self.insert(h, cap);
            }
        }
    }

    /// The estimate of `self ∪ other` without building it.
    pub fn union_estimate(&self, other: &Distinct<B>) -> u64 {
        if self.len != SKETCH && other.len != SKETCH {
            let extra = other.exact().filter(|h| !self.contains_exact(*h)).count();
            return self.len as u64 + extra as u64;
        }
        let mut joined = self.clone();
        joined.merge(other, Self::EXACT_CAP);
        joined.estimate()
    }
}

fn hll_estimate(registers: &[u8]) -> u64 {
    let m = registers.len() as f64;
    let alpha = match registers.len() {
        16 => 0.673,
        32 => 0.697,
        64 => 0.709,
        _ => 0.7213 / (1.0 + 1.079 / m),
    };
    let sum: f64 = registers.iter().map(|&r| 1.0 / (1u64 << r) as f64).sum();
    let raw = alpha * m * m / sum;
    let zeros = registers.iter().filter(|&&r| r == 0).count();
    let estimate = if raw <= 2.5 * m && zeros > 0 {
        // Linear counting is more accurate for small cardinalities.
        m * (m / zeros as f64).ln()
    } else {
        raw
    };
    estimate.round() as u64
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DistinctRepr {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    exact: Option<Vec<u32>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    registers: Option<Vec<u8>>,
}

impl<const B: usize> From<Distinct<B>> for DistinctRepr {
    fn from(d: Distinct<B>) -> DistinctRepr {
        if d.is_sketch() {
            DistinctRepr {
                exact: None,
                registers: Some(d.bytes.to_vec()),
            }
        } else {
            DistinctRepr {
                exact: Some(d.exact().collect()),
                registers: None,
            }
        }
    }
}

impl<const B: usize> TryFrom<DistinctRepr> for Distinct<B> {
    type Error = String;

    fn try_from(r: DistinctRepr) -> Result<Distinct<B>, String> {
        let mut d = Distinct::<B>::default();
        match (r.exact, r.registers) {
            (Some(hashes), None) if hashes.len() <= Self::EXACT_CAP => {
                for h in hashes {
                    d.insert(h, Self::EXACT_CAP);
                }
                Ok(d)
            }
            (None, Some(regs))
                if regs.len() == B && regs.iter().all(|&r| u32::from(r) <= 33 - Self::INDEX_BITS) =>
            {
                d.len = SKETCH;
                d.bytes.copy_from_slice(&regs);
                Ok(d)
            }
            _ => Err(format!(
                "distinct counter needs either at most {} exact hashes or {B} registers of at most {}",
                Self::EXACT_CAP,
                33 - Self::INDEX_BITS
            )),
        }
    }
}

/// Distinct values in a sliding window made of two generations of `period` ms: the estimate
/// covers the current generation and the one before, so between one and two periods.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RecentDistinct<const B: usize> {
    generation: i64,
    current: Distinct<B>,
    previous: Distinct<B>,
}

impl<const B: usize> RecentDistinct<B> {
    /// The current generation.
    pub fn generation(&self) -> i64 {
        self.generation
    }

    /// Rotates generations so `generation` is current.
    pub fn advance(&mut self, generation: i64) {
        if generation <= self.generation {
            return;
        }
        self.previous = if generation == self.generation + 1 {
            std::mem::take(&mut self.current)
        } else {
            Distinct::default()
        };
        self.current = Distinct::default();
        self.generation = generation;
    }

    /// Adds a hash seen in `generation` (late hashes go to the previous generation or are
    /// dropped).
    pub fn insert(&mut self, generation: i64, hash: u32, cap: usize) {
        self.advance(generation);
        if generation == self.generation {
            self.current.insert(hash, cap);
        } else if generation + 1 == self.generation {
            self.previous.insert(hash, cap);
        }
    }

    /// The distinct count over both generations, as of `generation`.
    pub fn estimate(&self, generation: i64) -> u64 {
        if generation > self.generation + 1 {
            0
        } else if generation == self.generation + 1 {
            self.current.estimate()
        } else {
            self.current.union_estimate(&self.previous)
        }
    }

    /// Union with another window: generations are aligned first.
    pub fn merge(&mut self, other: &RecentDistinct<B>, cap: usize) {
        self.advance(other.generation);
        if other.generation == self.generation {
            self.current.merge(&other.current, cap);
            self.previous.merge(&other.previous, cap);
        } else if other.generation + 1 == self.generation {
            self.previous.merge(&other.current, cap);
        }
    }
}

/// A learned set of up to `N` values. Once full, the next new value marks it saturated: the
/// token is too diverse in that dimension for novelty to mean anything.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(serialize = "T: Serialize", deserialize = "T: Deserialize<'de>"))]
pub(crate) struct KnownSet<T: Copy + Default + PartialEq, const N: usize> {
    #[serde(with = "array_serde")]
    items: [T; N],
    len: u8,
    saturated: bool,
}

impl<T: Copy + Default + PartialEq, const N: usize> Default for KnownSet<T, N> {
    fn default() -> Self {
        KnownSet {
            items: [T::default(); N],
            len: 0,
            saturated: false,
        }
    }
}

/// What [`KnownSet::learn`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Novelty {
    /// Seen before.
    Known,
    /// Never seen; now remembered.
    New,
    /// Never seen, and the set is saturated: novelty is not meaningful.
    Saturated,
}

impl<T: Copy + Default + PartialEq, const N: usize> KnownSet<T, N> {
    pub fn contains(&self, value: T) -> bool {
        self.items[..self.len as usize].contains(&value)
    }

    /// Remembers `value`, reporting whether it was new.
    pub fn learn(&mut self, value: T) -> Novelty {
        if self.contains(value) {
            return Novelty::Known;
        }
        if (self.len as usize) < N {
            self.items[self.len as usize] = value;
            self.len += 1;
            if self.saturated {
                Novelty::Saturated
            } else {
                Novelty::New
            }
        } else {
            self.saturated = true;
            Novelty::Saturated
        }
    }

    /// Whether the length fits the array (a deserialised set may lie).
    pub fn is_valid(&self) -> bool {
        self.len as usize <= N
    }

    pub fn is_saturated(&self) -> bool {
        self.saturated
    }

    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn iter(&self) -> impl Iterator<Item = T> + '_ {
        self.items[..self.len as usize].iter().copied()
    }

    /// Union; overflow saturates.
    pub fn merge(&mut self, other: &KnownSet<T, N>) {
        for v in other.iter() {
            self.learn(v);
        }
        self.saturated |= other.saturated;
    }
}

/// Serde for fixed arrays of any length (serde's own stop at 32).
pub(crate) mod array_serde {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer, T: Serialize, const N: usize>(
        items: &[T; N],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        items.as_slice().serialize(s)
    }

    pub fn deserialize<'de, D, T, const N: usize>(d: D) -> Result<[T; N], D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        let items = Vec::<T>::deserialize(d)?;
        let len = items.len();
        items
            .try_into()
            .map_err(|_| serde::de::Error::invalid_length(len, &format!("{N} items").as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(i: u32) -> u32 {
        super::super::hashing::hash_u64(u64::from(i))
    }

    #[test]
    fn exact_then_sketch_within_error() {
        let mut d = Distinct::<64>::default();
        for i in 0..16 {
            d.insert(h(i), 16);
            d.insert(h(i), 16);
        }
        assert!(!d.is_sketch());
        assert_eq!(d.estimate(), 16);
        for n in [17u32, 100, 1000, 100_000] {
            let mut d = Distinct::<64>::default();
            for i in 0..n {
                d.insert(h(i), 16);
            }
            let e = d.estimate() as f64;
            // 64 registers: ~13% standard error; allow 4 sigma.
            assert!((e - n as f64).abs() <= 0.52 * n as f64 + 2.0, "n={n} e={e}");
        }
    }

    #[test]
    fn merge_equals_seeing_both() {
        for (a_n, b_n) in [(3u32, 4u32), (10, 10), (5, 500), (300, 700)] {
            let (mut a, mut b, mut all) = (
                Distinct::<64>::default(),
                Distinct::<64>::default(),
                Distinct::<64>::default(),
            );
            for i in 0..a_n {
                a.insert(h(i), 16);
                all.insert(h(i), 16);
            }
            for i in a_n / 2..a_n / 2 + b_n {
                b.insert(h(i), 16);
                all.insert(h(i), 16);
            }
            assert_eq!(a.union_estimate(&b), all.estimate());
            a.merge(&b, 16);
            assert_eq!(a.estimate(), all.estimate());
        }
    }

    #[test]
    fn serde_round_trip_and_rejects_bad_shapes() {
        let mut d = Distinct::<32>::default();
        for i in 0..5 {
            d.insert(h(i), 8);
        }
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(serde_json::from_str::<Distinct<32>>(&json).unwrap(), d);
        for i in 0..100 {
            d.insert(h(i), 8);
        }
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(serde_json::from_str::<Distinct<32>>(&json).unwrap(), d);
        assert!(serde_json::from_str::<Distinct<32>>(r#"{"registers":[1,2]}"#).is_err());
        assert!(serde_json::from_str::<Distinct<32>>(r#"{}"#).is_err());
        let huge = format!(r#"{{"registers":{:?}}}"#, vec![200u8; 32]);
        assert!(serde_json::from_str::<Distinct<32>>(&huge).is_err());
    }

    #[test]
    fn recent_window_forgets_old_generations() {
        let mut w = RecentDistinct::<64>::default();
        w.insert(10, h(1), 16);
        w.insert(10, h(2), 16);
        w.insert(11, h(3), 16);
        assert_eq!(w.estimate(11), 3);
        assert_eq!(w.estimate(12), 1);
        assert_eq!(w.estimate(13), 0);
        w.insert(20, h(4), 16);
        assert_eq!(w.estimate(20), 1);
    }

    #[test]
    fn known_set_learns_and_saturates() {
        let mut k = KnownSet::<u16, 2>::default();
        assert_eq!(k.learn(1), Novelty::New);
        assert_eq!(k.learn(1), Novelty::Known);
        assert_eq!(k.learn(2), Novelty::New);
        assert_eq!(k.learn(3), Novelty::Saturated);
        assert!(k.is_saturated());
        assert_eq!(k.len(), 2);
    }
}
