//! Match expressions: the operator objects inside a value list (`prefix`, `suffix`,
//! `equals-ignore-case`, `wildcard`, `anything-but`, `numeric`, `exists`, `cidr`, …), in
//! event-ruler's order of checks.

use super::json::Token;
use super::{Compiler, Range, Res, Value, barf};
use crate::cidr;
use crate::error::PatternError;
use crate::number;
use crate::wildcard;

impl Compiler<'_> {
    pub(super) fn match_expression(&mut self) -> Res<Value> {
        let Token::FieldName(op) = self.need()? else {
            return barf("Match expression name not found");
        };
        const ONE_KEY: &str = "Only one key allowed in match expression";
        const TOO_MANY: &str = "Too many elements in numeric expression";
        match op.as_str() {
            "exactly" => {
                let Token::Str(s) = self.need()? else {
                    return barf("exact match pattern must be a string");
                };
                self.end_object(ONE_KEY)?;
                Ok(Value::Str(s))
            }
            "prefix" | "suffix" => {
                let prefix = op == "prefix";
                let t = self.need()?;
                if t == Token::StartObject {
                    return self.affix_ignore_case(prefix);
                }
                let Token::Str(s) = t else {
                    return barf(format!("{op} match pattern must be a string"));
                };
                self.end_object(ONE_KEY)?;
                Ok(if prefix {
                    Value::Prefix(s)
                } else {
                    Value::Suffix(s)
                })
            }
            "numeric" => {
                if self.need()? != Token::StartArray {
                    return barf("Value of numeric must be an array.");
                }
                let range = self.numeric()?;
                self.end_object(TOO_MANY)?;
                Ok(Value::Numeric(range))
            }
            "anything-but" => self.anything_but(),
            "exists" => {
                let v = match self.need()? {
                    Token::True => true,
                    Token::False => false,
                    _ => return barf("exists match pattern must be either true or false."),
                };
                self.end_object(ONE_KEY)?;
                Ok(Value::Exists(v))
            }
            "cidr" => {
                let Token::Str(s) = self.need()? else {
                    return barf("prefix match pattern must be a string");
                };
                let range = cidr::parse_cidr(&s).map_err(PatternError::Invalid)?;
                self.end_object(ONE_KEY)?;
                Ok(Value::Cidr(range))
            }
            "equals-ignore-case" => {
                let Token::Str(s) = self.need()? else {
                    return barf("equals-ignore-case match pattern must be a string");
                };
                self.end_object(ONE_KEY)?;
                Ok(Value::Eic(s))
            }
            "wildcard" => {
                let Token::Str(s) = self.need()? else {
                    return barf("wildcard match pattern must be a string");
                };
                let w = wildcard::parse_wildcard(&s).map_err(PatternError::Invalid)?;
                self.end_object(ONE_KEY)?;
                Ok(Value::Wildcard(w))
            }
            _ => barf(format!("Unrecognized match type {op}")),
        }
    }

    fn affix_ignore_case(&mut self, prefix: bool) -> Res<Value> {
        let (kind, cap) = if prefix {
            ("prefix", "Prefix")
        } else {
            ("suffix", "Suffix")
        };
        let Token::FieldName(op) = self.need()? else {
            return barf(format!("{cap} expression name not found"));
        };
        if op != "equals-ignore-case" {
            return barf(format!("Unsupported {kind} pattern: {op}"));
        }
        let Token::Str(s) = self.need()? else {
            return barf("equals-ignore-case match pattern must be a string");
        };
        self.end_object("Only one key allowed in match expression")?;
        self.end_object("Only one key allowed in match expression")?;
        Ok(if prefix {
            Value::PrefixEic(s)
        } else {
            Value::SuffixEic(s)
        })
    }

    fn anything_but(&mut self) -> Res<Value> {
        #[derive(PartialEq, Clone, Copy)]
        enum Kind {
            Plain,
            Eic,
            Prefix,
            Suffix,
            Wildcard,
        }
        let mut kind = Kind::Plain;
        let mut t = self.need()?;
        if t == Token::StartObject {
            let Token::FieldName(op) = self.need()? else {
                return barf("Anything-But expression name not found");
            };
            kind = match op.as_str() {
                "equals-ignore-case" => Kind::Eic,
                "prefix" => Kind::Prefix,
                "suffix" => Kind::Suffix,
                "wildcard" => Kind::Wildcard,
                _ => return barf(format!("Unsupported anything-but pattern: {op}")),
            };
            t = self.need()?;
        }
        if !matches!(t, Token::StartArray | Token::Str(_) | Token::Num(_)) {
            return barf("Value of anything-but must be an array or single string/number value.");
        }
        let non_string_msg = match kind {
            Kind::Eic => {
                "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."
            }
            Kind::Wildcard => "wildcard match pattern must be a string",
            _ => "prefix/suffix match pattern must be a string",
        };
        let value = if kind == Kind::Plain {
            let mut strs = Vec::new();
            let mut nums = Vec::new();
            let mut list = false;
            let mut items = Vec::new();
            if t == Token::StartArray {
                list = true;
                loop {
                    match self.need()? {
                        Token::EndArray => break,
                        tok @ (Token::Str(_) | Token::Num(_)) => items.push(tok),
                        _ => {
                            return barf(
                                "Inside anything but list, start|null|boolean is not supported.",
                            );
                        }
                    }
                }
            } else {
                items.push(t);
            }
            for item in items {
                match item {
                    Token::Str(s) => strs.push(s),
                    Token::Num(n) => match number::comparable(n.as_bytes()) {
                        Some(v) => nums.push(number::value_bits(v)),
                        None => return barf(format!("Cannot compare number : {n}")),
                    },
                    _ => {}
                }
            }
            if list && (strs.is_empty() == nums.is_empty()) {
                return barf(
                    "Inside anything but list, either all values are number or string, mixed type is not supported",
                );
            }
            if nums.is_empty() {
                Value::AbStr(strs)
            } else {
                Value::AbNum(nums)
            }
        } else {
            let mut texts = Vec::new();
            let mut add = |s: String| -> Res<()> {
                if matches!(kind, Kind::Prefix | Kind::Suffix) && s.is_empty() {
                    return barf("Null prefix/suffix not allowed");
                }
                texts.push(s);
                Ok(())
            };
            match t {
                Token::StartArray => loop {
                    match self.need()? {
                        Token::EndArray => break,
                        Token::Str(s) => add(s)?,
                        _ => return barf(non_string_msg),
                    }
                },
                Token::Str(s) => add(s)?,
                _ => return barf(non_string_msg),
            }
            match kind {
                Kind::Eic => Value::AbEic(texts),
                Kind::Prefix => Value::AbPrefix(texts),
                Kind::Suffix => Value::AbSuffix(texts),
                _ => {
                    let mut ws = Vec::new();
                    for s in texts {
                        ws.push(wildcard::parse_wildcard(&s).map_err(PatternError::Invalid)?);
                    }
                    Value::AbWildcard(ws)
                }
            }
        };
        const TOO_MANY: &str = "Too many elements in numeric expression";
        self.end_object(TOO_MANY)?;
        if kind != Kind::Plain {
            self.end_object(TOO_MANY)?;
        }
        Ok(value)
    }

    fn number_value(raw: &str) -> Res<f64> {
        number::comparable(raw.as_bytes())
            .ok_or_else(|| PatternError::Invalid(format!("Cannot compare number : {raw}")))
    }

    fn numeric(&mut self) -> Res<Range> {
        const TOO_MANY: &str = "Too many elements in numeric expression";
        let t = self.need()?;
        let Token::Str(op) = t else {
            return barf(format!("Invalid member in numeric match: {}", t.text()));
        };
        let val = self.need()?;
        let must_be_numeric = |name: &str| format!("Value of {name} must be numeric");
        let inf = f64::INFINITY;
        match op.as_str() {
            "=" => {
                let Token::Num(n) = val else {
                    return barf(must_be_numeric("equals"));
                };
                self.expect_end_array(TOO_MANY)?;
                let v = Self::number_value(&n)?;
                Ok(Range {
                    lo: v,
                    lo_open: false,
                    hi: v,
                    hi_open: false,
                })
            }
            ">=" | ">" => {
                let Token::Num(n) = val else {
                    return barf(must_be_numeric(&op));
                };
                let open = op == ">";
                match self.need()? {
                    Token::EndArray => {
                        let v = Self::number_value(&n)?;
                        Ok(Range {
                            lo: v,
                            lo_open: open,
                            hi: inf,
                            hi_open: true,
                        })
                    }
                    t => self.complete_range(&t, &n, open),
                }
            }
            "<=" | "<" => {
                let Token::Num(n) = val else {
                    return barf(must_be_numeric(&op));
                };
                self.expect_end_array(TOO_MANY)?;
                let v = Self::number_value(&n)?;
                Ok(Range {
                    lo: -inf,
                    lo_open: true,
                    hi: v,
                    hi_open: op == "<",
                })
            }
            _ => barf(format!("Unrecognized numeric range operator: {op}")),
        }
    }

    fn expect_end_array(&mut self, msg: &str) -> Res<()> {
        if self.need()? == Token::EndArray {
            Ok(())
        } else {
            barf(msg)
        }
    }

    fn complete_range(&mut self, t: &Token, bottom: &str, open_bottom: bool) -> Res<Range> {
        let Token::Str(op) = t else {
            return barf(format!("Bad value in numeric range: {}", t.text()));
        };
        let open_top = match op.as_str() {
            "<" => true,
            "<=" => false,
            _ => return barf(format!("Bad numeric range operator: {op}")),
        };
        let Token::Num(n) = self.need()? else {
            return barf(format!("Value of {op} must be numeric"));
        };
        self.expect_end_array("Too many terms in numeric range expression")?;
        let bottom = Self::number_value(bottom)?;
        let top = Self::number_value(&n)?;
        if bottom >= top {
            return barf("Bottom must be less than top");
        }
        Ok(Range {
            lo: bottom,
            lo_open: open_bottom,
            hi: top,
            hi_open: open_top,
        })
    }
}
