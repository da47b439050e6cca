//! A serde [`Deserializer`](serde::Deserializer) over the one-pass reader, for the detail of an
//! event (the envelope reader's fast path).
//!
//! serde_json spends most of a small detail's time on its strings; this reader finds them eight
//! bytes at a time and hands the detail's `Deserialize` borrowed text, as serde_json does. Every
//! `visit_*` call it makes is the one serde_json makes for the same text (floats and escaped
//! strings are even converted by serde_json itself). What it does not handle exactly as
//! serde_json does (an enum with data, bytes, 128-bit integers, non-string map keys, a struct
//! written as an array, deep nesting, …) is an [`Unsupported`] error, and the caller then reads
//! the detail with serde_json, which decides; so does any error of the detail's own.

use super::json::{MAX_DEPTH, Reader};
use serde::de::value::{BorrowedStrDeserializer, StrDeserializer};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// Why this deserializer left a detail to serde_json. Never reported.
#[derive(Debug)]
pub(super) struct Unsupported;

impl fmt::Display for Unsupported {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("left to serde_json")
    }
}

impl std::error::Error for Unsupported {}

impl de::Error for Unsupported {
    fn custom<M: fmt::Display>(_message: M) -> Self {
        Self
    }
}

type Result<T> = std::result::Result<T, Unsupported>;

/// A string's text: borrowed from the payload, or unescaped.
enum Text<'a> {
    Borrowed(&'a str),
    Unescaped(String),
}

/// The `f64` serde_json reads from a number token (the same code as inside a document).
fn float(token: &str) -> Result<f64> {
    serde_json::from_str(token).map_err(|_| Unsupported)
}

/// Reads one JSON value at the reader's position.
pub(super) struct Deserializer<'r, 'a> {
    reader: &'r mut Reader<'a>,
    /// How many more arrays and objects may be entered.
    depth: u32,
}

impl<'r, 'a> Deserializer<'r, 'a> {
    pub(super) fn new(reader: &'r mut Reader<'a>) -> Self {
        Self {
            reader,
            depth: MAX_DEPTH,
        }
    }

    fn peek(&mut self) -> Result<u8> {
        self.reader.peek().ok_or(Unsupported)
    }

    /// A string (at its opening quote), as serde_json visits it: borrowed when it has no escapes,
    /// else unescaped (by serde_json) into a temporary.
    fn string<V: Visitor<'a>>(&mut self, visitor: V) -> Result<V::Value> {
        match self.string_text()? {
            Text::Borrowed(text) => visitor.visit_borrowed_str(text),
            Text::Unescaped(text) => visitor.visit_str(&text),
        }
    }

    fn string_text(&mut self) -> Result<Text<'a>> {
        if self.peek()? != b'"' {
            return Err(Unsupported);
        }
        let start = self.reader.pos;
        self.reader.pos += 1;
        let escaped = self.reader.skip_string().ok_or(Unsupported)?;
        let token = self
            .reader
            .text
            .get(start..self.reader.pos)
            .ok_or(Unsupported)?;
        if escaped {
            Ok(Text::Unescaped(
                serde_json::from_str(token).map_err(|_| Unsupported)?,
            ))
        } else {
            Ok(Text::Borrowed(
                token.get(1..token.len() - 1).ok_or(Unsupported)?,
            ))
        }
    }

    /// A number, as serde_json visits it: an integer as `u64` (or `i64` when negative), anything
    /// else (a fraction, an exponent, `-0`, an integer out of range) as the `f64` serde_json
    /// itself reads from it.
    fn number<V: Visitor<'a>>(&mut self, visitor: V) -> Result<V::Value> {
        let start = self.reader.pos;
        self.reader.skip_number().ok_or(Unsupported)?;
        let token = self
            .reader
            .text
            .get(start..self.reader.pos)
            .ok_or(Unsupported)?;
        let (negative, digits) = match token.strip_prefix('-') {
            Some(digits) => (true, digits),
            None => (false, token),
        };
        let integer = digits.bytes().try_fold(0u64, |value, digit| {
            if !digit.is_ascii_digit() {
                return None;
            }
            value.checked_mul(10)?.checked_add(u64::from(digit - b'0'))
        });
        match (negative, integer) {
            (false, Some(value)) => visitor.visit_u64(value),
            (true, Some(value)) => match 0i64.checked_sub_unsigned(value) {
                Some(value) if value < 0 => visitor.visit_i64(value),
                _ => visitor.visit_f64(float(token)?),
            },
            (_, None) => visitor.visit_f64(float(token)?),
        }
    }

    fn enter(&mut self) -> Result<()> {
        self.depth = self.depth.checked_sub(1).ok_or(Unsupported)?;
        self.reader.pos += 1;
        Ok(())
    }

    /// The object at the reader's position, visited as a map, then its closing brace.
    fn object<V: Visitor<'a>>(&mut self, visitor: V) -> Result<V::Value> {
        if self.peek()? != b'{' {
            return Err(Unsupported);
        }
        self.enter()?;
        let value = visitor.visit_map(Entries {
            de: self,
            first: true,
        })?;
        self.close(b'}')?;
        Ok(value)
    }

    /// The array at the reader's position, visited as a sequence, then its closing bracket.
    fn array<V: Visitor<'a>>(&mut self, visitor: V) -> Result<V::Value> {
        if self.peek()? != b'[' {
            return Err(Unsupported);
        }
        self.enter()?;
        let value = visitor.visit_seq(Elements {
            de: self,
            first: true,
        })?;
        self.close(b']')?;
        Ok(value)
    }

    fn close(&mut self, byte: u8) -> Result<()> {
        self.depth += 1;
        self.reader.expect(byte).ok_or(Unsupported)
    }

    fn literal(&mut self, word: &[u8]) -> Result<()> {
        self.reader.literal(word).ok_or(Unsupported)
    }
}

impl<'a> de::Deserializer<'a> for &mut Deserializer<'_, 'a> {
    type Error = Unsupported;

    fn deserialize_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        match self.peek()? {
            b'{' => self.object(visitor),
            b'[' => self.array(visitor),
            b'"' => self.string(visitor),
            b't' => {
                self.literal(b"true")?;
                visitor.visit_bool(true)
            }
            b'f' => {
                self.literal(b"false")?;
                visitor.visit_bool(false)
            }
            b'n' => {
                self.literal(b"null")?;
                visitor.visit_unit()
            }
            b'-' | b'0'..=b'9' => self.number(visitor),
            _ => Err(Unsupported),
        }
    }

    fn deserialize_option<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        if self.peek()? == b'n' {
            self.literal(b"null")?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        if self.peek()? != b'n' {
            return Err(Unsupported);
        }
        self.literal(b"null")?;
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'a>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        // serde_json captures its `RawValue` through this name; left to it.
        if name.starts_with("$serde_json") {
            return Err(Unsupported);
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        self.array(visitor)
    }

    fn deserialize_tuple<V: Visitor<'a>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        self.array(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value> {
        self.array(visitor)
    }

    fn deserialize_map<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        self.object(visitor)
    }

    fn deserialize_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        // (serde_json also reads a struct from an array; that is left to it.)
        self.object(visitor)
    }

    fn deserialize_str<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        self.string(visitor)
    }

    fn deserialize_string<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        self.string(visitor)
    }

    fn deserialize_identifier<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        self.string(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        self.reader.skip_value(self.depth).ok_or(Unsupported)?;
        visitor.visit_unit()
    }

    fn deserialize_enum<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        // A unit variant, by its name; a variant with data (an object) is left to serde_json.
        match self.string_text()? {
            Text::Borrowed(name) => visitor.visit_enum(BorrowedStrDeserializer::new(name)),
            Text::Unescaped(name) => visitor.visit_enum(StrDeserializer::new(&name)),
        }
    }

    fn deserialize_i128<V: Visitor<'a>>(self, _visitor: V) -> Result<V::Value> {
        Err(Unsupported)
    }

    fn deserialize_u128<V: Visitor<'a>>(self, _visitor: V) -> Result<V::Value> {
        Err(Unsupported)
    }

    fn deserialize_bytes<V: Visitor<'a>>(self, _visitor: V) -> Result<V::Value> {
        Err(Unsupported)
    }

    fn deserialize_byte_buf<V: Visitor<'a>>(self, _visitor: V) -> Result<V::Value> {
        Err(Unsupported)
    }

    // serde_json reads these from the value's own form (a number, a bool, a string for `char`)
    // and visits it exactly as `deserialize_any` does.
    serde::forward_to_deserialize_any! {
        <W: Visitor<'a>>
        bool i8 i16 i32 i64 u8 u16 u32 u64 f32 f64 char
    }
}

/// The entries of an object.
struct Entries<'d, 'r, 'a> {
    de: &'d mut Deserializer<'r, 'a>,
    first: bool,
}

impl<'a> MapAccess<'a> for Entries<'_, '_, 'a> {
    type Error = Unsupported;

    fn next_key_seed<K: DeserializeSeed<'a>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        match self.de.peek()? {
            b'}' => return Ok(None),
            b',' if !self.first => self.de.reader.pos += 1,
            _ if self.first => {}
            _ => return Err(Unsupported),
        }
        self.first = false;
        seed.deserialize(Key { de: &mut *self.de }).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'a>>(&mut self, seed: V) -> Result<V::Value> {
        self.de.reader.expect(b':').ok_or(Unsupported)?;
        seed.deserialize(&mut *self.de)
    }
}

/// The elements of an array.
struct Elements<'d, 'r, 'a> {
    de: &'d mut Deserializer<'r, 'a>,
    first: bool,
}

impl<'a> SeqAccess<'a> for Elements<'_, '_, 'a> {
    type Error = Unsupported;

    fn next_element_seed<T: DeserializeSeed<'a>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        match self.de.peek()? {
            b']' => return Ok(None),
            b',' if !self.first => self.de.reader.pos += 1,
            _ if self.first => {}
            _ => return Err(Unsupported),
        }
        self.first = false;
        seed.deserialize(&mut *self.de).map(Some)
    }
}

/// An object's key: a string, visited as serde_json visits a key it reads as a string. (serde_json
/// also reads numbers and booleans from keys; left to it: those visitors refuse a string.)
struct Key<'d, 'r, 'a> {
    de: &'d mut Deserializer<'r, 'a>,
}

impl<'a> de::Deserializer<'a> for Key<'_, '_, 'a> {
    type Error = Unsupported;

    fn deserialize_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        self.de.string(visitor)
    }

    fn deserialize_option<V: Visitor<'a>>(self, _visitor: V) -> Result<V::Value> {
        Err(Unsupported)
    }

    fn deserialize_newtype_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _visitor: V,
    ) -> Result<V::Value> {
        Err(Unsupported)
    }

    fn deserialize_enum<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value> {
        Err(Unsupported)
    }

    fn deserialize_bytes<V: Visitor<'a>>(self, _visitor: V) -> Result<V::Value> {
        Err(Unsupported)
    }

    fn deserialize_byte_buf<V: Visitor<'a>>(self, _visitor: V) -> Result<V::Value> {
        Err(Unsupported)
    }

    serde::forward_to_deserialize_any! {
        <W: Visitor<'a>>
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string unit unit_struct seq
        tuple tuple_struct map struct identifier ignored_any
    }
}
