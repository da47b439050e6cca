//! After the scan: combine the recorded hits into sub-pattern verdicts, run the deferred
//! checks, and check array consistency.

use std::collections::BTreeMap;

use super::{Leaf, LeafKind, MatchScratch, unescape};
use crate::matcher::{Matcher, NONE};
use crate::number;
use crate::value::FieldIndex;

/// Combines hits into sub-pattern verdicts.
pub(super) fn evaluate(m: &Matcher, s: &mut MatchScratch, event: &[u8], out: &mut Vec<usize>) {
    let epoch = s.epoch;
    for &(pred, ctx) in &s.hits {
        let (start, len) = m.pred_conds[pred as usize];
        for c in &m.conds[start as usize..(start + len) as usize] {
            let sub = c.sub as usize;
            if s.sub_stamp[sub] != epoch {
                s.sub_stamp[sub] = epoch;
                s.sub_mask[sub] = 0;
                s.sub_root[sub] = 0;
                s.touched.push(c.sub);
            }
            let bit = 1u64 << c.field;
            s.sub_mask[sub] |= bit;
            if ctx == 0 {
                s.sub_root[sub] |= bit;
            }
        }
    }
    let touched = std::mem::take(&mut s.touched);
    for &sub in touched.iter().chain(m.always.iter()) {
        let info = &m.subs[sub as usize];
        if s.rule_stamp[info.rule as usize] == epoch {
            continue;
        }
        let (mut eff, mut root) = if s.sub_stamp[sub as usize] == epoch {
            (s.sub_mask[sub as usize], s.sub_root[sub as usize])
        } else {
            (0, 0)
        };
        for &(bit, state) in &info.absent {
            if s.seen[state as usize] != epoch {
                eff |= bit;
                root |= bit;
            }
        }
        if eff | info.deferred_bits != info.all {
            continue;
        }
        s.extra.clear();
        if !info.deferred.is_empty() {
            let mut ok = true;
            for d in &info.deferred {
                let mut found = false;
                let head = s.leaf_head[d.state as usize];
                let mut at = if head.0 == epoch { head.1 } else { NONE };
                while let Some(leaf) = s.leaves.get(at as usize) {
                    at = leaf.prev;
                    if leaf_matches(&d.index, leaf, event, &mut s.buf) {
                        found = true;
                        if leaf.ctx == 0 {
                            root |= d.bit;
                        } else {
                            s.extra.push((leaf.ctx, d.bit));
                        }
                    }
                }
                if !found {
                    ok = false;
                    break;
                }
            }
            if !ok {
                continue;
            }
        }
        let need = info.all & !root;
        if need.count_ones() > 1 && !consistent(m, s, sub, need) {
            continue;
        }
        s.rule_stamp[info.rule as usize] = epoch;
        out.push(info.rule as usize);
    }
    s.touched = touched;
    out.sort_unstable();
}

/// Whether a recorded leaf passes one of a deferred field's tests.
fn leaf_matches(index: &FieldIndex, leaf: &Leaf, event: &[u8], buf: &mut Vec<u8>) -> bool {
    let mut hit = false;
    let raw = &event[leaf.start..leaf.end];
    match leaf.kind {
        LeafKind::Str => index.eval_str(raw, &mut |_| hit = true),
        LeafKind::EscapedStr => {
            buf.clear();
            if unescape(raw, buf) {
                index.eval_str(buf, &mut |_| hit = true);
            }
        }
        LeafKind::Num => {
            if let Some((_, parts)) = number::scan(raw, 0) {
                index.eval_num(raw, &parts, &mut |_| hit = true);
            }
        }
        LeafKind::Lit(lit) => index.eval_literal(lit, &mut |_| hit = true),
    }
    hit
}

/// Keeps only the maximal masks.
/// Keeps only the maximal masks; returns the number of comparisons made.
fn reduce(set: &mut Vec<u64>) -> usize {
    set.sort_unstable_by_key(|m| std::cmp::Reverse(m.count_ones()));
    set.dedup();
    let mut kept: Vec<u64> = Vec::with_capacity(set.len());
    let mut ops = 0;
    for &m in set.iter() {
        ops += kept.len();
        if !kept.iter().any(|&k| k & m == m) {
            kept.push(m);
        }
    }
    *set = kept;
    ops
}

/// Most mask combinations one consistency check may try (see `consistent`).
const DP_BUDGET: usize = 1 << 22;

/// Whether the fields in `need` (each hit only inside arrays) can all be satisfied by
/// leaves that sit in the same element of every array they share.
fn consistent(m: &Matcher, s: &MatchScratch, sub: u32, need: u64) -> bool {
    #[derive(Default)]
    struct Node {
        direct: u64,
        arrays: Vec<(u32, Vec<u64>)>,
    }
    let mut nodes: BTreeMap<u32, Node> = BTreeMap::new();
    let mut work = 0usize;
    for &(ctx, bit) in &s.extra {
        if need & bit != 0 {
            nodes.entry(ctx).or_default().direct |= bit;
        }
    }
    for &(pred, ctx) in &s.hits {
        if ctx == 0 {
            continue;
        }
        let (start, len) = m.pred_conds[pred as usize];
        for c in &m.conds[start as usize..(start + len) as usize] {
            let bit = 1u64 << c.field;
            if c.sub == sub && need & bit != 0 {
                nodes.entry(ctx).or_default().direct |= bit;
            }
        }
    }
    while let Some((ctx, node)) = nodes.pop_last() {
        // Everything reachable inside this context: its own hits plus one element of each
        // nested array.
        let mut sets = vec![node.direct];
        for (_, union) in node.arrays {
            work += sets.len() * (union.len() + 1);
            if work > DP_BUDGET {
                // Only reachable with dozens of fields inside arrays in one pattern.
                return false;
            }
            let mut next = Vec::with_capacity(sets.len() * (union.len() + 1));
            for &a in &sets {
                next.push(a);
                for &u in &union {
                    next.push(a | u);
                }
            }
            work += reduce(&mut next);
            sets = next;
        }
        if sets.iter().any(|&x| x & need == need) {
            return true;
        }
        if ctx == 0 {
            return false;
        }
        let parent = s.ctx_parent[ctx as usize];
        let array = s.ctx_array[ctx as usize];
        let pnode = nodes.entry(parent).or_default();
        match pnode.arrays.iter_mut().find(|(a, _)| *a == array) {
            Some((_, union)) => {
                union.extend(sets);
                work += reduce(union);
                if work > DP_BUDGET {
                    return false;
                }
            }
            None => pnode.arrays.push((array, sets)),
        }
    }
    false
}
