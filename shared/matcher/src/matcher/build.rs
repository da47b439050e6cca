//! Building a [`Matcher`]: the path trie, one predicate per distinct value test, and the
//! choice of each sub-pattern's trigger field (its most selective one).

use rustc_hash::FxHashMap;

use super::{Children, Cond, Deferred, Limits, Matcher, NONE, PathState, SubInfo};
use crate::parse::{SubPattern, Value};
use crate::value::FieldIndex;

/// Compiles named sub-pattern lists into a matcher.
pub(super) fn compile(rules: Vec<(String, Vec<SubPattern>)>, limits: Limits) -> Matcher {
    let mut b = Build {
        m: Matcher {
            names: Vec::new(),
            states: vec![PathState::new()],
            fields: Vec::new(),
            pred_conds: Vec::new(),
            conds: Vec::new(),
            subs: Vec::new(),
            always: Vec::new(),
            limits,
        },
        name_ids: FxHashMap::default(),
        pred_keys: FxHashMap::default(),
        pred_lists: Vec::new(),
        freq: FxHashMap::default(),
    };
    // How many sub-patterns test each (path, value): a test shared by many is a poor
    // trigger, as every hit fans out to all of them.
    for (_, subs) in &rules {
        for sub in subs {
            for (path, values) in sub {
                for v in values {
                    *b.freq.entry((path.clone(), format!("{v:?}"))).or_insert(0) += 1;
                }
            }
        }
    }
    for (name, subs) in rules {
        b.add_rule(name, subs);
    }
    b.finish()
}

/// Whether a value list matches most values, so it is better checked late.
fn dense(values: &[Value]) -> bool {
    values.iter().all(|v| {
        matches!(
            v,
            Value::AbStr(_)
                | Value::AbNum(_)
                | Value::AbPrefix(_)
                | Value::AbSuffix(_)
                | Value::AbEic(_)
                | Value::AbWildcard(_)
                | Value::Exists(true)
        )
    })
}

struct Build {
    m: Matcher,
    name_ids: FxHashMap<String, u32>,
    /// (field index, debug form of the value) → predicate id.
    pred_keys: FxHashMap<(u32, String), u32>,
    pred_lists: Vec<Vec<Cond>>,
    freq: FxHashMap<(String, String), u32>,
}

/// Fields whose values are all shared by more sub-patterns than this are checked late
/// (when the sub-pattern has a more selective field).
const SHARED_LIMIT: u32 = 4;

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(NONE)
}

impl Build {
    fn state_for(&mut self, path: &str) -> u32 {
        let mut cur = 0u32;
        for seg in path.split('.') {
            let next = self.m.states[cur as usize].child(seg.as_bytes());
            cur = if next == NONE {
                let id = to_u32(self.m.states.len());
                self.m.states.push(PathState::new());
                let st = &mut self.m.states[cur as usize];
                st.has_children = true;
                if let Children::Small(v) = &mut st.children {
                    v.push((seg.as_bytes().into(), id));
                    if v.len() > 8 {
                        let map = v.drain(..).collect();
                        st.children = Children::Map(map);
                    }
                } else if let Children::Map(m) = &mut st.children {
                    m.insert(seg.as_bytes().into(), id);
                }
                id
            } else {
                next
            };
        }
        cur
    }

    fn add_rule(&mut self, name: String, subs: Vec<SubPattern>) {
        let next_id = to_u32(self.name_ids.len());
        let rule = *self.name_ids.entry(name.clone()).or_insert_with(|| {
            self.m.names.push(name);
            next_id
        });
        for sub in subs {
            let sub_id = to_u32(self.m.subs.len());
            let mut info = SubInfo {
                rule,
                all: 0,
                absent: Vec::new(),
                deferred: Vec::new(),
                deferred_bits: 0,
            };
            let mut needs_hit = false;
            let selective = |values: &[Value]| {
                !dense(values) && !values.iter().any(|v| matches!(v, Value::Exists(false)))
            };
            // Fan-out of each field: sub-patterns sharing its tests.
            let fanout: Vec<u32> = sub
                .iter()
                .map(|(path, values)| {
                    values
                        .iter()
                        .map(|v| {
                            self.freq
                                .get(&(path.clone(), format!("{v:?}")))
                                .copied()
                                .unwrap_or(0)
                        })
                        .sum()
                })
                .collect();
            let trigger = sub
                .iter()
                .enumerate()
                .filter(|(_, (_, values))| selective(values))
                .min_by_key(|(i, _)| fanout[*i])
                .map(|(i, _)| i);
            for (i, (path, values)) in sub.iter().enumerate() {
                let bit = 1u64 << i;
                info.all |= bit;
                let state = self.state_for(path);
                let late = trigger.is_some_and(|t| {
                    t != i && (dense(values) || (selective(values) && fanout[i] > SHARED_LIMIT))
                });
                if late {
                    let mut index = FieldIndex::default();
                    for v in values {
                        index.insert(v, 0);
                    }
                    index.finish();
                    info.deferred.push(Deferred { bit, state, index });
                    info.deferred_bits |= bit;
                    self.m.states[state as usize].record = true;
                    continue;
                }
                let field = {
                    let st = &mut self.m.states[state as usize];
                    if st.field == NONE {
                        st.field = to_u32(self.m.fields.len());
                        self.m.fields.push(FieldIndex::default());
                    }
                    st.field
                };
                let mut absent_ok = false;
                for v in values {
                    if matches!(v, Value::Exists(false)) {
                        absent_ok = true;
                        continue;
                    }
                    let key = (field, format!("{v:?}"));
                    let pred = match self.pred_keys.get(&key) {
                        Some(&p) => p,
                        None => {
                            let p = to_u32(self.pred_lists.len());
                            self.pred_lists.push(Vec::new());
                            self.m.fields[field as usize].insert(v, p);
                            self.pred_keys.insert(key, p);
                            p
                        }
                    };
                    let list = &mut self.pred_lists[pred as usize];
                    let cond = Cond {
                        sub: sub_id,
                        field: to_u32(i),
                    };
                    if !list
                        .iter()
                        .any(|c| c.sub == cond.sub && c.field == cond.field)
                    {
                        list.push(cond);
                    }
                }
                if absent_ok {
                    info.absent.push((bit, state));
                    self.m.states[state as usize].track_seen = true;
                } else {
                    needs_hit = true;
                }
            }
            if !needs_hit {
                self.m.always.push(sub_id);
            }
            self.m.subs.push(info);
        }
    }

    fn finish(mut self) -> Matcher {
        for f in &mut self.m.fields {
            f.finish();
        }
        for list in self.pred_lists {
            let start = to_u32(self.m.conds.len());
            self.m.conds.extend(list.iter().copied());
            self.m
                .pred_conds
                .push((start, to_u32(self.m.conds.len()) - start));
        }
        self.m
    }
}
