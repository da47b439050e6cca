//! The pattern compiler: pattern text → sub-patterns (one per `$or` branch), each a list of
//! (dotted field path, value list). It follows event-ruler's `JsonRuleCompiler` step by
//! step so that the first error found is the one AWS reports, with the same text.

mod expressions;
mod json;
mod shadowed_branches;

use crate::cidr::{self, IpRange};
use crate::error::PatternError;
use crate::number::{self, NumKey};
use crate::wildcard::{self, Wildcard};
use json::{Token, Tokenizer};

/// Deepest nesting accepted in a pattern (Jackson's default limit).
pub(crate) const MAX_PATTERN_DEPTH: usize = 1000;
/// Most sub-patterns a pattern may expand to through `$or` (AWS's documented limit).
pub(crate) const MAX_COMBINATIONS: usize = 1000;
/// Wildcard complexity (largest number of simultaneously active NFA states, see
/// [`wildcard::complexity`]) at which a rule is rejected. AWS accepted patterns scoring up
/// to 8 on this scale and rejected `*:*:*:*:*:event-bus/*`, which scores 13.
pub(crate) const MAX_WILDCARD_COMPLEXITY: usize = 12;

/// Field names that may not appear directly inside `$or`.
const RESERVED_IN_OR: &[&str] = &[
    "exactly",
    "equals-ignore-case",
    "prefix",
    "suffix",
    "anything-but",
    "exists",
    "wildcard",
    "numeric",
    "cidr",
    "=",
    "<",
    "<=",
    ">",
    ">=",
    "regex",
    "not-wildcard",
    "not-equals-ignore-case",
    "date-after",
    "date-on-or-after",
    "date-before",
    "date-on-or-before",
    "in-date-range",
    "ip-address-in-range",
    "ip-address-not-in-range",
];

/// One element of a field's value list.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    /// Exact string.
    Str(String),
    /// A string literal that is an IP address: matches the same address in any spelling.
    Ip(IpRange),
    /// Exact number, by value or (not comparable) by text.
    Num(NumKey),
    True,
    False,
    Null,
    Prefix(String),
    Suffix(String),
    PrefixEic(String),
    SuffixEic(String),
    Eic(String),
    Wildcard(Wildcard),
    AbStr(Vec<String>),
    AbNum(Vec<u64>),
    AbPrefix(Vec<String>),
    AbSuffix(Vec<String>),
    AbEic(Vec<String>),
    AbWildcard(Vec<Wildcard>),
    Numeric(Range),
    Cidr(IpRange),
    Exists(bool),
}

/// A numeric interval; infinite ends are unbounded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Range {
    pub(crate) lo: f64,
    pub(crate) lo_open: bool,
    pub(crate) hi: f64,
    pub(crate) hi_open: bool,
}

impl Range {
    pub(crate) fn contains(&self, v: f64) -> bool {
        let above = if self.lo_open {
            v > self.lo
        } else {
            v >= self.lo
        };
        let below = if self.hi_open {
            v < self.hi
        } else {
            v <= self.hi
        };
        above && below
    }
}

/// One `$or` branch: fields (AND) with their value lists (OR).
pub(crate) type SubPattern = Vec<(String, Vec<Value>)>;

type Res<T> = Result<T, PatternError>;

fn barf<T>(msg: impl Into<String>) -> Res<T> {
    Err(PatternError::Invalid(msg.into()))
}

struct Compiler<'a> {
    tok: Tokenizer<'a>,
    path: Vec<String>,
    depth: usize,
}

/// Compiles pattern text.
pub(crate) fn compile(text: &str) -> Res<Vec<SubPattern>> {
    let mut c = Compiler {
        tok: Tokenizer::new(text),
        path: Vec::new(),
        depth: 0,
    };
    let mut rules: Vec<SubPattern> = Vec::new();
    if c.next()? != Some(Token::StartObject) {
        return barf("Filter is not an object");
    }
    c.parse_object(&mut rules, false)?;
    for rule in &rules {
        check_wildcard_complexity(rule)?;
    }
    Ok(shadowed_branches::kept(rules))
}

fn check_wildcard_complexity(rule: &SubPattern) -> Res<()> {
    for (_, values) in rule {
        let ws: Vec<&Wildcard> = values
            .iter()
            .filter_map(|v| match v {
                Value::Wildcard(w) => Some(w),
                _ => None,
            })
            .collect();
        if !ws.is_empty()
            && wildcard::complexity(&ws, MAX_WILDCARD_COMPLEXITY) >= MAX_WILDCARD_COMPLEXITY
        {
            return Err(PatternError::TooComplex);
        }
    }
    Ok(())
}

fn put(rules: &mut Vec<SubPattern>, name: &str, values: Vec<Value>) {
    if rules.is_empty() {
        rules.push(Vec::new());
    }
    for rule in rules.iter_mut() {
        if let Some(slot) = rule.iter_mut().find(|(n, _)| n == name) {
            slot.1 = values.clone();
        } else {
            rule.push((name.to_owned(), values.clone()));
        }
    }
}

impl Compiler<'_> {
    fn next(&mut self) -> Res<Option<Token>> {
        let t = self.tok.next_token().map_err(PatternError::Json)?;
        match t {
            Some(Token::StartObject | Token::StartArray) => {
                self.depth += 1;
                if self.depth > MAX_PATTERN_DEPTH {
                    return Err(PatternError::Json(format!(
                        "Document nesting depth ({}) exceeds the maximum allowed ({MAX_PATTERN_DEPTH}, from `StreamReadConstraints.getMaxNestingDepth()`)",
                        self.depth
                    )));
                }
            }
            Some(Token::EndObject | Token::EndArray) => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
        Ok(t)
    }

    /// Next token, treating end of input as a syntax error.
    fn need(&mut self) -> Res<Token> {
        self.next()?.ok_or_else(|| {
            PatternError::Json("Unexpected end-of-input: expected close marker for Object".into())
        })
    }

    fn extended_name(&self, step: &str) -> String {
        if self.path.is_empty() {
            step.to_owned()
        } else {
            let mut s = self.path.join(".");
            s.push('.');
            s.push_str(step);
            s
        }
    }

    fn parse_object(&mut self, rules: &mut Vec<SubPattern>, inside_or: bool) -> Res<()> {
        let mut fields_present = false;
        loop {
            let t = self.need()?;
            let name = match t {
                Token::EndObject => break,
                Token::FieldName(n) => n,
                _ => return barf("Unexpected token"),
            };
            fields_present = true;
            if name == "$or" {
                self.parse_or(rules)?;
                continue;
            }
            if inside_or && RESERVED_IN_OR.contains(&name.as_str()) {
                return barf(format!(
                    "{name} is Ruler reserved fieldName which cannot be used inside $or."
                ));
            }
            match self.need()? {
                Token::StartObject => {
                    self.path.push(name);
                    self.parse_object(rules, inside_or)?;
                    self.path.pop();
                }
                Token::StartArray => {
                    let full = self.extended_name(&name);
                    self.write_rules(rules, &full)?;
                }
                _ => return barf(format!("\"{name}\" must be an object or an array")),
            }
        }
        if !fields_present {
            return barf("Empty objects are not allowed");
        }
        Ok(())
    }

    fn parse_or(&mut self, rules: &mut Vec<SubPattern>) -> Res<()> {
        let current = std::mem::take(rules);
        if self.need()? != Token::StartArray {
            return barf("It must be an Array followed with $or.");
        }
        let mut count = 0;
        loop {
            match self.need()? {
                Token::EndArray => break,
                Token::StartObject => {
                    count += 1;
                    let mut branch = current.clone();
                    if branch.is_empty() {
                        branch.push(Vec::new());
                    }
                    self.parse_object(&mut branch, true)?;
                    rules.extend(branch);
                    if rules.len() > MAX_COMBINATIONS {
                        return Err(PatternError::TooManyCombinations);
                    }
                }
                _ => return barf("Only JSON object is allowed in array of $or relationship."),
            }
        }
        if count < 2 {
            return barf("There must have at least 2 Objects in $or relationship.");
        }
        Ok(())
    }

    fn write_rules(&mut self, rules: &mut Vec<SubPattern>, name: &str) -> Res<()> {
        let mut values = Vec::new();
        loop {
            match self.need()? {
                Token::EndArray => break,
                Token::StartObject => values.push(self.match_expression()?),
                Token::Str(s) => {
                    let ip = if cidr::looks_like_ip(s.as_bytes()) {
                        cidr::parse_ip(s.as_bytes())
                    } else {
                        None
                    };
                    values.push(match ip {
                        Some(ip) => Value::Ip(IpRange::single(ip)),
                        None => Value::Str(s),
                    });
                }
                Token::Num(n) => values.push(Value::Num(number::num_key(n.as_bytes()))),
                Token::True => values.push(Value::True),
                Token::False => values.push(Value::False),
                Token::Null => values.push(Value::Null),
                _ => return barf("Match value must be String, number, true, false, or null"),
            }
        }
        if values.is_empty() {
            return barf("Empty arrays are not allowed");
        }
        // event-ruler reads a number as text against CIDR ranges only when the field has no
        // numeric test (see `IpRange`).
        if values.iter().any(|v| {
            matches!(
                v,
                Value::Num(NumKey::Value(_)) | Value::Numeric(_) | Value::AbNum(_)
            )
        }) {
            for v in &mut values {
                if let Value::Ip(r) | Value::Cidr(r) = v {
                    r.numeric_neighbours = true;
                }
            }
        }
        put(rules, name, values);
        Ok(())
    }

    /// Expects the end of a one-key match object.
    fn end_object(&mut self, msg: &str) -> Res<()> {
        if self.need()? == Token::EndObject {
            Ok(())
        } else {
            barf(msg)
        }
    }
}
