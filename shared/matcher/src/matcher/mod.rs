//! The compiled matcher: many named patterns in one structure.
//!
//! Field paths form a trie keyed by path segment (keys are split at dots, so `{"a.b":…}`
//! and `{"a":{"b":…}}` reach the same node). Each node that a pattern names holds a
//! [`FieldIndex`]; every distinct value test there is a *predicate*, and each predicate
//! lists the (sub-pattern, field) conditions it satisfies.

mod build;

use std::cell::RefCell;

use rustc_hash::FxHashMap;

use crate::error::{EventError, PatternError};
use crate::parse::{self, SubPattern};
use crate::scan::{self, MatchScratch};
use crate::value::FieldIndex;

/// Limits applied to patterns and events.
///
/// ```
/// use eventbridge_pattern::{Limits, Matcher};
///
/// let limits = Limits { max_pattern_chars: 4096, ..Limits::default() };
/// let mut builder = Matcher::builder();
/// builder.limits(limits);
/// builder.add("r", r#"{"source": ["aws.ec2"]}"#).unwrap();
/// assert_eq!(builder.build().len(), 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest accepted pattern, in characters (AWS's default quota is 2048).
    pub max_pattern_chars: usize,
    /// Largest accepted event, in bytes.
    pub max_event_bytes: usize,
    /// Deepest accepted nesting of objects and arrays in an event.
    pub max_event_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_pattern_chars: 2048,
            max_event_bytes: 4 * 1024 * 1024,
            max_event_depth: 1000,
        }
    }
}

pub(crate) const NONE: u32 = u32::MAX;

/// Children of a trie node.
#[derive(Debug)]
pub(crate) enum Children {
    Small(Vec<(Box<[u8]>, u32)>),
    Map(FxHashMap<Box<[u8]>, u32>),
}

/// A trie node: one dotted field path prefix.
#[derive(Debug)]
pub(crate) struct PathState {
    pub(crate) children: Children,
    pub(crate) has_children: bool,
    /// Index into `Matcher::fields`, or `NONE`.
    pub(crate) field: u32,
    /// Some pattern asks whether this path is absent.
    pub(crate) track_seen: bool,
    /// Leaves here are recorded for deferred checks.
    pub(crate) record: bool,
}

impl PathState {
    fn new() -> Self {
        PathState {
            children: Children::Small(Vec::new()),
            has_children: false,
            field: NONE,
            track_seen: false,
            record: false,
        }
    }

    #[inline]
    pub(crate) fn child(&self, seg: &[u8]) -> u32 {
        match &self.children {
            Children::Small(v) => {
                for (k, s) in v {
                    if k.len() == seg.len() && k.first() == seg.first() && k.as_ref() == seg {
                        return *s;
                    }
                }
                NONE
            }
            Children::Map(m) => m.get(seg).copied().unwrap_or(NONE),
        }
    }
}

/// One condition: field `field` of sub-pattern `sub`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cond {
    pub(crate) sub: u32,
    pub(crate) field: u32,
}

/// A field whose test matches most values (`anything-but`, `exists: true`) in a
/// sub-pattern that also has a selective field: it is checked only when the selective
/// fields already hold, against the leaves recorded at its path.
#[derive(Debug)]
pub(crate) struct Deferred {
    pub(crate) bit: u64,
    pub(crate) state: u32,
    /// The field's value tests (predicate ids are local and ignored).
    pub(crate) index: FieldIndex,
}

/// Static facts about one sub-pattern.
#[derive(Debug)]
pub(crate) struct SubInfo {
    pub(crate) rule: u32,
    /// One bit per field.
    pub(crate) all: u64,
    /// Fields that are also satisfied when their path has no value: (bit, path state).
    pub(crate) absent: Vec<(u64, u32)>,
    /// Fields checked after the others hold.
    pub(crate) deferred: Vec<Deferred>,
    /// Bits of the deferred fields.
    pub(crate) deferred_bits: u64,
}

/// Many named patterns compiled together; ask which names match an event.
///
/// Patterns added under the same name are alternatives (the name matches if any does).
///
/// ```
/// use eventbridge_pattern::Matcher;
///
/// let matcher = Matcher::new([
///     ("ec2", r#"{"source": ["aws.ec2"]}"#),
///     ("big", r#"{"detail": {"size": [{"numeric": [">", 100]}]}}"#),
/// ])
/// .unwrap();
/// let event = r#"{"source": "aws.ec2", "detail": {"size": 500}}"#;
/// assert_eq!(matcher.matching_names(event).unwrap(), ["ec2", "big"]);
/// ```
#[derive(Debug)]
pub struct Matcher {
    pub(crate) names: Vec<String>,
    pub(crate) states: Vec<PathState>,
    pub(crate) fields: Vec<FieldIndex>,
    pub(crate) pred_conds: Vec<(u32, u32)>,
    pub(crate) conds: Vec<Cond>,
    pub(crate) subs: Vec<SubInfo>,
    /// Sub-patterns that can match with no value hit (all fields accept absence).
    pub(crate) always: Vec<u32>,
    pub(crate) limits: Limits,
}

/// Collects patterns, then [`build`](MatcherBuilder::build)s a [`Matcher`].
///
/// ```
/// use eventbridge_pattern::Matcher;
///
/// let mut builder = Matcher::builder();
/// builder.add("a", r#"{"source": ["a"]}"#).unwrap();
/// assert!(builder.add("bad", r#"{"source": "a"}"#).is_err());
/// builder.add("b", r#"{"source": [{"prefix": "b"}]}"#).unwrap();
/// let matcher = builder.build();
/// assert_eq!(matcher.matching_names(r#"{"source": "bee"}"#).unwrap(), ["b"]);
/// ```
#[derive(Debug, Default)]
pub struct MatcherBuilder {
    limits: Limits,
    rules: Vec<(String, Vec<SubPattern>)>,
}

/// Checks the size limit, then compiles.
pub(crate) fn compile_checked(
    pattern: &str,
    limits: &Limits,
) -> Result<Vec<SubPattern>, PatternError> {
    let chars = pattern.chars().count();
    if chars > limits.max_pattern_chars {
        return Err(PatternError::TooLong {
            actual: chars,
            limit: limits.max_pattern_chars,
        });
    }
    let subs = parse::compile(pattern)?;
    for sub in &subs {
        if sub.len() > 64 {
            return Err(PatternError::Invalid(
                "A pattern may name at most 64 fields in one $or branch".into(),
            ));
        }
    }
    Ok(subs)
}

impl MatcherBuilder {
    /// Sets the limits (pattern size, event size and depth).
    pub fn limits(&mut self, limits: Limits) -> &mut Self {
        self.limits = limits;
        self
    }

    /// Validates and adds one pattern under `name`.
    ///
    /// ```
    /// let mut b = eventbridge_pattern::Matcher::builder();
    /// b.add("a", r#"{"x": [1]}"#)?.add("b", r#"{"y": [2]}"#)?;
    /// assert_eq!(b.len(), 2);
    /// # Ok::<(), eventbridge_pattern::PatternError>(())
    /// ```
    ///
    /// # Errors
    /// The pattern is invalid or over the size limit; the builder is unchanged then.
    pub fn add(
        &mut self,
        name: impl Into<String>,
        pattern: &str,
    ) -> Result<&mut Self, PatternError> {
        let subs = compile_checked(pattern, &self.limits)?;
        self.rules.push((name.into(), subs));
        Ok(self)
    }

    /// Number of patterns added so far.
    #[must_use]
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether no pattern was added.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Compiles everything added into a matcher (the builder is emptied).
    pub fn build(&mut self) -> Matcher {
        build::compile(std::mem::take(&mut self.rules), self.limits)
    }
}

thread_local! {
    static SCRATCH: RefCell<MatchScratch> = RefCell::new(MatchScratch::default());
}

impl Matcher {
    /// A builder with default [`Limits`].
    #[must_use]
    pub fn builder() -> MatcherBuilder {
        MatcherBuilder::default()
    }

    /// Compiles `(name, pattern)` pairs with default limits.
    ///
    /// # Errors
    /// The first invalid pattern's error.
    pub fn new<N, P>(patterns: impl IntoIterator<Item = (N, P)>) -> Result<Matcher, PatternError>
    where
        N: Into<String>,
        P: AsRef<str>,
    {
        let mut b = Matcher::builder();
        for (n, p) in patterns {
            b.add(n, p.as_ref())?;
        }
        Ok(b.build())
    }

    /// Number of distinct names.
    ///
    /// ```
    /// let m = eventbridge_pattern::Matcher::new([("a", r#"{"x": [1]}"#), ("a", r#"{"y": [1]}"#)]).unwrap();
    /// assert_eq!(m.len(), 1);
    /// assert_eq!(m.name(0), Some("a"));
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether the matcher holds no pattern.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The name with index `id` (indices are in order of first addition).
    #[must_use]
    pub fn name(&self, id: usize) -> Option<&str> {
        self.names.get(id).map(String::as_str)
    }

    /// Names of the patterns that match `event` (JSON text as `&str` or bytes), in order of
    /// first addition.
    ///
    /// # Errors
    /// The event is not a JSON object, is malformed, or is over a limit.
    pub fn matching_names(&self, event: impl AsRef<[u8]>) -> Result<Vec<&str>, EventError> {
        let mut ids = Vec::new();
        SCRATCH.with(|s| match s.try_borrow_mut() {
            Ok(mut scratch) => self.matching_ids_with(&mut scratch, event.as_ref(), &mut ids),
            Err(_) => {
                self.matching_ids_with(&mut MatchScratch::default(), event.as_ref(), &mut ids)
            }
        })?;
        Ok(ids.iter().filter_map(|&i| self.name(i)).collect())
    }

    /// Whether any pattern matches `event`.
    ///
    /// ```
    /// let m = eventbridge_pattern::Matcher::new([("r", r#"{"a": [1]}"#)]).unwrap();
    /// assert!(m.matches_any(r#"{"a": 1.0}"#).unwrap());
    /// assert!(!m.matches_any(r#"{"a": "1"}"#).unwrap());
    /// ```
    ///
    /// # Errors
    /// As [`matching_names`](Matcher::matching_names).
    pub fn matches_any(&self, event: impl AsRef<[u8]>) -> Result<bool, EventError> {
        Ok(!self.matching_names(event)?.is_empty())
    }

    /// The allocation-free form of [`matching_names`](Matcher::matching_names): clears
    /// `out` and fills it with the indices (see [`name`](Matcher::name)) of matching names,
    /// ascending. Reuse one scratch per thread.
    ///
    /// ```
    /// use eventbridge_pattern::{MatchScratch, Matcher};
    ///
    /// let m = Matcher::new([("a", r#"{"x": ["1"]}"#), ("b", r#"{"x": [{"exists": true}]}"#)]).unwrap();
    /// let mut scratch = MatchScratch::default();
    /// let mut out = Vec::new();
    /// m.matching_ids_with(&mut scratch, br#"{"x": "1"}"#, &mut out).unwrap();
    /// assert_eq!(out, [0, 1]);
    /// ```
    ///
    /// # Errors
    /// As [`matching_names`](Matcher::matching_names).
    pub fn matching_ids_with(
        &self,
        scratch: &mut MatchScratch,
        event: &[u8],
        out: &mut Vec<usize>,
    ) -> Result<(), EventError> {
        scan::run(self, scratch, event, out)
    }
}
