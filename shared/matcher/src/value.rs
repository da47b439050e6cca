//! Per-field value matchers: every value pattern that names one field path, indexed so a
//! leaf value is tested with a few hash lookups plus short lists.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::cidr::{self, IpRange};
use crate::fold::Folded;
use crate::number::{self, NumKey};
use crate::parse::{Range, Value};
use crate::wildcard::Wildcard;

/// An `anything-but` test; it matches a leaf that is *not* described.
#[derive(Debug)]
enum AnythingBut {
    Str(FxHashSet<Box<[u8]>>),
    Num(FxHashSet<u64>),
    Prefix(Vec<Box<[u8]>>),
    Suffix(Vec<Box<[u8]>>),
    Eic(Vec<Folded>),
    Wildcard(Vec<Wildcard>),
}

/// Byte strings to predicate ids.
type ByteMap = FxHashMap<Box<[u8]>, u32>;

/// Affixes grouped by length: one hash lookup per distinct length.
#[derive(Debug, Default)]
struct AffixTable {
    by_len: Vec<(usize, ByteMap)>,
}

impl AffixTable {
    fn insert(&mut self, affix: &[u8], pred: u32) {
        let len = affix.len();
        let slot = match self.by_len.iter().position(|(l, _)| *l == len) {
            Some(i) => i,
            None => {
                self.by_len.push((len, FxHashMap::default()));
                self.by_len.sort_by_key(|(l, _)| *l);
                self.by_len.iter().position(|(l, _)| *l == len).unwrap_or(0)
            }
        };
        if let Some((_, map)) = self.by_len.get_mut(slot) {
            map.insert(affix.into(), pred);
        }
    }

    #[inline]
    fn find(&self, s: &[u8], suffix: bool, out: &mut impl FnMut(u32)) {
        for (len, map) in &self.by_len {
            if *len > s.len() {
                break;
            }
            let part = if suffix {
                &s[s.len() - len..]
            } else {
                &s[..*len]
            };
            if let Some(&p) = map.get(part) {
                out(p);
            }
        }
    }
}

/// Numeric ranges, indexed once there are many.
#[derive(Debug, Default)]
struct NumericIndex {
    /// All ranges (searched linearly while few).
    all: Vec<(Range, u32)>,
    indexed: bool,
    /// Ranges without upper bound, by ascending low end (closed first on ties).
    up: Vec<(Range, u32)>,
    /// Ranges without lower bound, by descending high end.
    down: Vec<(Range, u32)>,
    /// Bounded ranges by ascending low end, with the running maximum of high ends.
    bounded: Vec<(Range, u32)>,
    max_hi: Vec<f64>,
}

impl NumericIndex {
    fn finish(&mut self) {
        if self.all.len() <= 8 {
            return;
        }
        self.indexed = true;
        for &(r, p) in &self.all {
            if r.hi == f64::INFINITY {
                self.up.push((r, p));
            } else if r.lo == f64::NEG_INFINITY {
                self.down.push((r, p));
            } else {
                self.bounded.push((r, p));
            }
        }
        self.up.sort_by(|a, b| {
            a.0.lo
                .total_cmp(&b.0.lo)
                .then(a.0.lo_open.cmp(&b.0.lo_open))
        });
        self.down.sort_by(|a, b| {
            b.0.hi
                .total_cmp(&a.0.hi)
                .then(a.0.hi_open.cmp(&b.0.hi_open))
        });
        self.bounded.sort_by(|a, b| a.0.lo.total_cmp(&b.0.lo));
        let mut max = f64::NEG_INFINITY;
        self.max_hi = self
            .bounded
            .iter()
            .map(|(r, _)| {
                max = max.max(r.hi);
                max
            })
            .collect();
    }

    #[inline]
    fn query(&self, v: f64, out: &mut impl FnMut(u32)) {
        if !self.indexed {
            for (r, p) in &self.all {
                if r.contains(v) {
                    out(*p);
                }
            }
            return;
        }
        for (r, p) in &self.up {
            if r.lo > v {
                break;
            }
            if r.contains(v) {
                out(*p);
            }
        }
        for (r, p) in &self.down {
            if r.hi < v {
                break;
            }
            if r.contains(v) {
                out(*p);
            }
        }
        let k = self.bounded.partition_point(|(r, _)| r.lo <= v);
        for j in (0..k).rev() {
            if self.max_hi[j] < v {
                break;
            }
            let (r, p) = &self.bounded[j];
            if r.contains(v) {
                out(*p);
            }
        }
    }
}

/// All value patterns on one field path.
#[derive(Debug, Default)]
pub(crate) struct FieldIndex {
    exact: FxHashMap<Box<[u8]>, u32>,
    num_value: FxHashMap<u64, u32>,
    num_text: FxHashMap<Box<[u8]>, u32>,
    lit_true: Option<u32>,
    lit_false: Option<u32>,
    lit_null: Option<u32>,
    prefix: AffixTable,
    suffix: AffixTable,
    eic: Vec<(Folded, u32)>,
    prefix_eic: Vec<(Folded, u32)>,
    suffix_eic: Vec<(Folded, u32)>,
    wildcard: Vec<(Wildcard, u32)>,
    anything_but: Vec<(AnythingBut, u32)>,
    numeric: NumericIndex,
    ip: Vec<(IpRange, u32)>,
    exists: Option<u32>,
    /// Some pattern needs a number's comparable value.
    wants_value: bool,
    /// Some string test beyond exact/affix lookups exists.
    string_lists: bool,
}

impl FieldIndex {
    /// Registers a value pattern under predicate id `pred`.
    pub(crate) fn insert(&mut self, v: &Value, pred: u32) {
        match v {
            Value::Str(s) => {
                self.exact.insert(s.as_bytes().into(), pred);
            }
            Value::Ip(r) | Value::Cidr(r) => self.ip.push((*r, pred)),
            Value::Num(NumKey::Value(bits)) => {
                self.num_value.insert(*bits, pred);
                self.wants_value = true;
            }
            Value::Num(NumKey::Text(t)) => {
                self.num_text.insert(t.clone(), pred);
            }
            Value::True => self.lit_true = Some(pred),
            Value::False => self.lit_false = Some(pred),
            Value::Null => self.lit_null = Some(pred),
            Value::Prefix(s) => self.prefix.insert(s.as_bytes(), pred),
            Value::Suffix(s) => self.suffix.insert(s.as_bytes(), pred),
            Value::PrefixEic(s) => self.prefix_eic.push((Folded::new(s), pred)),
            Value::SuffixEic(s) => self.suffix_eic.push((Folded::new(s), pred)),
            Value::Eic(s) => self.eic.push((Folded::new(s), pred)),
            Value::Wildcard(w) => self.wildcard.push((w.clone(), pred)),
            Value::AbStr(list) => self.anything_but.push((
                AnythingBut::Str(list.iter().map(|s| s.as_bytes().into()).collect()),
                pred,
            )),
            Value::AbNum(list) => {
                self.anything_but
                    .push((AnythingBut::Num(list.iter().copied().collect()), pred));
                self.wants_value = true;
            }
            Value::AbPrefix(list) => self.anything_but.push((
                AnythingBut::Prefix(list.iter().map(|s| s.as_bytes().into()).collect()),
                pred,
            )),
            Value::AbSuffix(list) => self.anything_but.push((
                AnythingBut::Suffix(list.iter().map(|s| s.as_bytes().into()).collect()),
                pred,
            )),
            Value::AbEic(list) => self.anything_but.push((
                AnythingBut::Eic(list.iter().map(|s| Folded::new(s)).collect()),
                pred,
            )),
            Value::AbWildcard(list) => self
                .anything_but
                .push((AnythingBut::Wildcard(list.clone()), pred)),
            Value::Numeric(r) => {
                self.numeric.all.push((*r, pred));
                self.wants_value = true;
            }
            Value::Exists(true) => self.exists = Some(pred),
            Value::Exists(false) => {}
        }
        self.string_lists = !self.eic.is_empty()
            || !self.prefix_eic.is_empty()
            || !self.suffix_eic.is_empty()
            || !self.wildcard.is_empty()
            || !self.ip.is_empty();
    }

    /// Builds the search structures once all values are in.
    pub(crate) fn finish(&mut self) {
        self.numeric.finish();
    }

    /// Tests a string leaf (unescaped bytes).
    #[inline]
    pub(crate) fn eval_str(&self, s: &[u8], out: &mut impl FnMut(u32)) {
        if let Some(p) = self.exists {
            out(p);
        }
        if !self.exact.is_empty()
            && let Some(&p) = self.exact.get(s)
        {
            out(p);
        }
        self.prefix.find(s, false, out);
        self.suffix.find(s, true, out);
        if self.string_lists {
            for (f, p) in &self.eic {
                if f.equals(s) {
                    out(*p);
                }
            }
            for (f, p) in &self.prefix_eic {
                if f.is_prefix_of(s) {
                    out(*p);
                }
            }
            for (f, p) in &self.suffix_eic {
                if f.is_suffix_of(s) {
                    out(*p);
                }
            }
            for (w, p) in &self.wildcard {
                if w.matches(s) {
                    out(*p);
                }
            }
            if !self.ip.is_empty()
                && let Some(ip) = cidr::parse_ip(s)
            {
                for (r, p) in &self.ip {
                    if r.contains(ip) {
                        out(*p);
                    }
                }
            }
        }
        for (ab, p) in &self.anything_but {
            let excluded = match ab {
                AnythingBut::Str(set) => set.contains(s),
                AnythingBut::Num(_) => false,
                AnythingBut::Prefix(list) => list.iter().any(|a| s.starts_with(a)),
                AnythingBut::Suffix(list) => list.iter().any(|a| s.ends_with(a)),
                AnythingBut::Eic(list) => list.iter().any(|f| f.equals(s)),
                AnythingBut::Wildcard(list) => list.iter().any(|w| w.matches(s)),
            };
            if !excluded {
                out(*p);
            }
        }
    }

    /// Tests a number leaf given as its JSON text. Whether the number is comparable (the
    /// costly part) is only worked out when some value test would pass.
    #[inline]
    pub(crate) fn eval_num(&self, raw: &[u8], p: &number::Parts, out: &mut impl FnMut(u32)) {
        let p_parts = p;
        if let Some(p) = self.exists {
            out(p);
        }
        let value = if self.wants_value {
            number::to_f64(p, raw)
        } else {
            None
        };
        let mut checked: Option<bool> = None;
        let mut comparable =
            |v: f64| -> bool { *checked.get_or_insert_with(|| number::text_comparable(raw, p, v)) };
        if let Some(v) = value {
            if !self.num_value.is_empty()
                && let Some(&p) = self.num_value.get(&number::value_bits(v))
                && comparable(v)
            {
                out(p);
            }
            if !self.numeric.all.is_empty() {
                self.numeric.query(v, &mut |p| {
                    if comparable(v) {
                        out(p);
                    }
                });
            }
        }
        if !self.num_text.is_empty()
            && !value.is_some_and(&mut comparable)
            && let Some(&p) = self.num_text.get(raw)
        {
            out(p);
        }
        for (r, p) in &self.ip {
            // Numbers reach event-ruler's CIDR automaton as text (see `IpRange`).
            if r.contains_number_text(raw)
                && (!r.numeric_neighbours
                    || !number::to_f64(p_parts, raw).is_some_and(&mut comparable))
            {
                out(*p);
            }
        }
        for (ab, p) in &self.anything_but {
            let excluded = match ab {
                AnythingBut::Num(set) => {
                    value.is_some_and(|v| set.contains(&number::value_bits(v)) && comparable(v))
                }
                _ => false,
            };
            if !excluded {
                out(*p);
            }
        }
    }

    /// Tests `true`, `false` or `null`.
    #[inline]
    pub(crate) fn eval_literal(&self, lit: Literal, out: &mut impl FnMut(u32)) {
        if let Some(p) = self.exists {
            out(p);
        }
        let hit = match lit {
            Literal::True => self.lit_true,
            Literal::False => self.lit_false,
            Literal::Null => self.lit_null,
        };
        if let Some(p) = hit {
            out(p);
        }
        for (_, p) in &self.anything_but {
            out(*p);
        }
    }
}

/// The three JSON literals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Literal {
    True,
    False,
    Null,
}
