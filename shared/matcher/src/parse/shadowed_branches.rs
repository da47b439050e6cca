//! `$or` branches that event-ruler drops as duplicates of earlier ones.
//!
//! event-ruler adds a pattern's sub-patterns (one per `$or` branch) to its state machine one
//! after the other, with the fields of each in sorted order. Before adding one, it walks
//! the states the branch's values lead to and looks for an earlier branch of the same rule
//! that registered *any* of the branch's values for *every* field (`GenericMachine.addStep`:
//! the candidates are a union over the field's values, not an intersection). If it finds
//! one, the branch is taken for a duplicate and never registered: the values it has beyond
//! the earlier branch match nothing.
//!
//! Which values share a state decides what "registered" covers. A value already in the
//! field's byte machine keeps the state it had; a new one joins the state of the value
//! before it in the list; `{"exists": false}` always goes to the field's single
//! absence state. So with `{"$or": [{"a": [{"exists": false}]}, {"a": [{"exists": false},
//! "x"]}]}` the second branch's `"x"` joins the absence state, the earlier branch has the
//! absence pattern registered there, and the branch is dropped: `{"a": "x"}` does not match.
//! The same list in the other order (`"x"` first) lands in two states, and which one Java's
//! `HashSet` visits last decides the outcome at random; this model visits them in the order
//! they were reached.
//!
//! This module replays that bookkeeping for one pattern's branches (the pattern alone in a
//! machine, as `TestEventPattern` evaluates it) and keeps the branches event-ruler keeps.

use std::collections::{BTreeSet, HashMap};

use super::{SubPattern, Value};
use crate::number::NumKey;

/// One event-ruler pattern object, by identity (equal keys = the same `Patterns`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Pat {
    Absent,
    Value(String),
}

/// The event-ruler patterns one value of a list stands for: a number is both a numeric
/// equality and an exact match of its text (`JsonRuleCompiler.writeRules`).
fn patterns_of(v: &Value) -> Vec<Pat> {
    match v {
        Value::Exists(false) => vec![Pat::Absent],
        Value::Num(NumKey::Value(bits)) => vec![
            Pat::Value(format!("numeric-equals {bits}")),
            Pat::Value(format!("exact number {bits}")),
        ],
        Value::AbStr(list) | Value::AbPrefix(list) | Value::AbSuffix(list) | Value::AbEic(list) => {
            // Sets in event-ruler: the order of the list does not matter.
            let set: BTreeSet<&String> = list.iter().collect();
            let kind = format!("{v:?}");
            let kind = kind.split('(').next().unwrap_or_default();
            vec![Pat::Value(format!("{kind} {set:?}"))]
        }
        Value::AbNum(list) => {
            let set: BTreeSet<&u64> = list.iter().collect();
            vec![Pat::Value(format!("AbNum {set:?}"))]
        }
        other => vec![Pat::Value(format!("{other:?}"))],
    }
}

/// A `NameState`: where each field's values lead, and which branches are registered for
/// which pattern (as the last field of the branch, or not).
#[derive(Default)]
struct State {
    by_value: HashMap<(String, Pat), usize>,
    absent: HashMap<String, usize>,
    terminal: HashMap<Pat, BTreeSet<usize>>,
    non_terminal: HashMap<Pat, BTreeSet<usize>>,
}

struct Machine {
    states: Vec<State>,
    branches: usize,
}

/// One branch being added: its fields in event-ruler's order and their patterns.
struct Branch {
    keys: Vec<String>,
    pats: Vec<Vec<Pat>>,
    /// States reached by each field's patterns, over the whole walk.
    reached: Vec<Vec<usize>>,
}

impl Machine {
    fn new_state(&mut self) -> usize {
        self.states.push(State::default());
        self.states.len() - 1
    }

    /// `GenericMachine.addStep`: adds the transitions for field `idx` from `state` and
    /// returns the earlier branches that already cover this branch from here on.
    fn add_step(&mut self, state: usize, b: &mut Branch, idx: usize) -> BTreeSet<usize> {
        let key = b.keys[idx].clone();
        let mut last: Option<usize> = None;
        let mut reached: Vec<usize> = Vec::new();
        for p in b.pats[idx].clone() {
            let next = match &p {
                Pat::Absent => match self.states[state].absent.get(&key) {
                    Some(&s) => s,
                    None => {
                        let s = last.unwrap_or_else(|| self.new_state());
                        self.states[state].absent.insert(key.clone(), s);
                        s
                    }
                },
                Pat::Value(_) => match self.states[state].by_value.get(&(key.clone(), p.clone())) {
                    Some(&s) => s,
                    None => {
                        let s = last.unwrap_or_else(|| self.new_state());
                        self.states[state]
                            .by_value
                            .insert((key.clone(), p.clone()), s);
                        s
                    }
                },
            };
            last = Some(next);
            if !reached.contains(&next) {
                reached.push(next);
            }
            if !b.reached[idx].contains(&next) {
                b.reached[idx].push(next);
            }
        }
        let terminal = idx + 1 == b.keys.len();
        // Java visits `reached` (a `HashSet`) in an order that changes from run to run, and
        // the last state visited decides. With one state that is deterministic; with more,
        // this model takes the order that keeps the branch whenever one exists (any state
        // without covering branches), which is what event-ruler does most of the time.
        let mut results: Vec<BTreeSet<usize>> = Vec::new();
        for &ns in &reached {
            if terminal {
                // All registered branches belong to this one rule.
                results.push(
                    b.pats[idx]
                        .iter()
                        .filter_map(|p| self.states[ns].terminal.get(p))
                        .flatten()
                        .copied()
                        .collect(),
                );
                continue;
            }
            let mut candidates = self.add_step(ns, b, idx + 1);
            if !candidates.is_empty() {
                let single = b.pats[idx].len() == 1 && reached.len() == 1;
                let for_this_key: Option<BTreeSet<usize>> = if single {
                    self.states[ns].non_terminal.get(&b.pats[idx][0]).cloned()
                } else {
                    Some(
                        b.pats[idx]
                            .iter()
                            .filter_map(|p| self.states[ns].non_terminal.get(p))
                            .flatten()
                            .copied()
                            .collect(),
                    )
                };
                match for_this_key {
                    None => candidates.clear(),
                    Some(keep) => candidates.retain(|c| keep.contains(c)),
                }
            }
            results.push(candidates);
        }
        if results.iter().any(BTreeSet::is_empty) {
            return BTreeSet::new();
        }
        results.pop().unwrap_or_default()
    }

    /// Adds a branch; `false` when event-ruler takes it for a duplicate and drops it.
    fn add(&mut self, sub: &SubPattern) -> bool {
        let mut fields: Vec<(&String, &Vec<Value>)> = sub.iter().map(|(k, v)| (k, v)).collect();
        // Java sorts the keys as UTF-16 strings.
        fields.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
        let mut b = Branch {
            keys: fields.iter().map(|(k, _)| (*k).clone()).collect(),
            pats: fields
                .iter()
                .map(|(_, vs)| vs.iter().flat_map(patterns_of).collect())
                .collect(),
            reached: vec![Vec::new(); fields.len()],
        };
        if b.keys.is_empty() || !self.add_step(0, &mut b, 0).is_empty() {
            return false;
        }
        let id = self.branches;
        self.branches += 1;
        for (i, pats) in b.pats.iter().enumerate() {
            let terminal = i + 1 == b.keys.len();
            for p in pats {
                for &ns in &b.reached[i] {
                    let st = &mut self.states[ns];
                    let map = if terminal {
                        &mut st.terminal
                    } else {
                        &mut st.non_terminal
                    };
                    map.entry(p.clone()).or_default().insert(id);
                }
            }
        }
        true
    }
}

/// The branches event-ruler keeps, in order.
pub(super) fn kept(subs: Vec<SubPattern>) -> Vec<SubPattern> {
    if subs.len() < 2 {
        return subs;
    }
    let mut m = Machine {
        states: Vec::new(),
        branches: 0,
    };
    m.new_state();
    subs.into_iter().filter(|sub| m.add(sub)).collect()
}
