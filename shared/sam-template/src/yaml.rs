//! CloudFormation YAML to JSON, with short-form intrinsic functions in their long form.
//!
//! CloudFormation reads `!Ref X` as `{"Ref": "X"}`, `!GetAtt A.B` as `{"Fn::GetAtt": ["A", "B"]}`
//! and every other `!Name value` as `{"Fn::Name": value}`; [`to_json`] does the same, so the
//! rest of the crate only sees JSON.

use crate::TemplateError;
use saphyr::{LoadableYamlNode, Scalar, Tag, Yaml};
use serde_json::{Map, Number, Value};

/// Short-form tags CloudFormation knows, besides `!Ref`, `!Condition` and `!GetAtt`.
const FUNCTIONS: &[&str] = &[
    "Base64",
    "Cidr",
    "FindInMap",
    "GetAZs",
    "ImportValue",
    "Join",
    "Length",
    "Select",
    "Split",
    "Sub",
    "ToJsonString",
    "Transform",
    "If",
    "Equals",
    "And",
    "Or",
    "Not",
];

/// Reads one CloudFormation YAML (or JSON) document as JSON.
///
/// ```
/// use sam_template::yaml::to_json;
/// use serde_json::json;
///
/// let value = to_json("Bus: !Ref OrdersBus\nArn: !GetAtt Queue.Arn\nName: !Sub orders-${Stage}\n")?;
/// assert_eq!(
///     value,
///     json!({
///         "Bus": {"Ref": "OrdersBus"},
///         "Arn": {"Fn::GetAtt": ["Queue", "Arn"]},
///         "Name": {"Fn::Sub": "orders-${Stage}"},
///     })
/// );
/// # Ok::<(), sam_template::TemplateError>(())
/// ```
///
/// # Errors
/// [`TemplateError::Yaml`] for a syntax error, [`TemplateError::DocumentCount`] unless the text
/// holds exactly one document, [`TemplateError::Unsupported`] for aliases, unknown tags and
/// non-scalar mapping keys.
pub fn to_json(source: &str) -> Result<Value, TemplateError> {
    let documents = Yaml::load_from_str(source).map_err(|error| TemplateError::Yaml {
        message: error.to_string(),
    })?;
    match documents.as_slice() {
        [document] => convert(document, ""),
        _ => Err(TemplateError::DocumentCount {
            documents: documents.len(),
        }),
    }
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn convert(node: &Yaml<'_>, path: &str) -> Result<Value, TemplateError> {
    match node {
        Yaml::Value(scalar) => scalar_to_json(scalar, path),
        Yaml::Representation(text, _, _) => Ok(Value::String(text.to_string())),
        Yaml::Sequence(items) => items
            .iter()
            .enumerate()
            .map(|(index, item)| convert(item, &format!("{path}[{index}]")))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        Yaml::Mapping(entries) => {
            let mut map = Map::new();
            for (key, value) in entries {
                let key = mapping_key(key, path)?;
                let value = convert(value, &child(path, &key))?;
                map.insert(key, value);
            }
            Ok(Value::Object(map))
        }
        Yaml::Tagged(tag, inner) => intrinsic(tag, inner, path),
        Yaml::Alias(_) => Err(unsupported(path, "an alias")),
        Yaml::BadValue => Err(unsupported(path, "a value that does not match its tag")),
    }
}

fn unsupported(path: &str, what: &str) -> TemplateError {
    TemplateError::Unsupported {
        path: path.to_owned(),
        what: what.to_owned(),
    }
}

fn scalar_to_json(scalar: &Scalar<'_>, path: &str) -> Result<Value, TemplateError> {
    Ok(match scalar {
        Scalar::Null => Value::Null,
        Scalar::Boolean(b) => Value::Bool(*b),
        Scalar::Integer(i) => Value::Number(Number::from(*i)),
        Scalar::FloatingPoint(f) => Number::from_f64(f.into_inner())
            .map(Value::Number)
            .ok_or_else(|| unsupported(path, "a non-finite number"))?,
        Scalar::String(s) => Value::String(s.to_string()),
    })
}

fn mapping_key(key: &Yaml<'_>, path: &str) -> Result<String, TemplateError> {
    match key {
        Yaml::Value(Scalar::String(s)) => Ok(s.to_string()),
        Yaml::Representation(text, _, _) => Ok(text.to_string()),
        Yaml::Value(Scalar::Null) => Ok("null".to_owned()),
        Yaml::Value(scalar) => match scalar_to_json(scalar, path)? {
            Value::String(s) => Ok(s),
            other => Ok(other.to_string()),
        },
        _ => Err(unsupported(path, "a mapping key that is not a scalar")),
    }
}

fn intrinsic(tag: &Tag, inner: &Yaml<'_>, path: &str) -> Result<Value, TemplateError> {
    if tag.handle != "!" {
        return Err(unsupported(
            path,
            &format!("the tag {}{}", tag.handle, tag.suffix),
        ));
    }
    let name = tag.suffix.as_str();
    let value = convert(inner, &child(path, &format!("!{name}")))?;
    let (key, value) = match name {
        "Ref" | "Condition" => (name.to_owned(), value),
        "GetAtt" => {
            let value = match value {
                // `!GetAtt Resource.Attribute`: the attribute may itself contain dots.
                Value::String(text) => match text.split_once('.') {
                    Some((resource, attribute)) => Value::Array(vec![
                        Value::String(resource.to_owned()),
                        Value::String(attribute.to_owned()),
                    ]),
                    None => Value::String(text),
                },
                other => other,
            };
            ("Fn::GetAtt".to_owned(), value)
        }
        _ if FUNCTIONS.contains(&name) => (format!("Fn::{name}"), value),
        _ => return Err(unsupported(path, &format!("the tag !{name}"))),
    };
    let mut map = Map::new();
    map.insert(key, value);
    Ok(Value::Object(map))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use serde_json::json;

    #[test]
    fn short_forms_become_long_forms() {
        let value = to_json(
            "a: !If [IsProd, !Ref A, !GetAtt B.Outputs.Url]\nb: !Select [1, !Split ['@', !Ref S]]\n",
        )
        .unwrap();
        assert_eq!(
            value,
            json!({
                "a": {"Fn::If": ["IsProd", {"Ref": "A"}, {"Fn::GetAtt": ["B", "Outputs.Url"]}]},
                "b": {"Fn::Select": [1, {"Fn::Split": ["@", {"Ref": "S"}]}]},
            })
        );
    }

    #[test]
    fn scalars_keep_their_types() {
        let value =
            to_json("v: \"2012-10-17\"\nn: 10\nf: 1.5\nt: true\nz: ~\nd: 2010-09-09\n").unwrap();
        assert_eq!(
            value,
            json!({"v": "2012-10-17", "n": 10, "f": 1.5, "t": true, "z": null, "d": "2010-09-09"})
        );
    }

    #[test]
    fn json_templates_read_too() {
        let value = to_json(r#"{"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}"#).unwrap();
        assert_eq!(value["Resources"]["Q"]["Type"], "AWS::SQS::Queue");
    }

    #[test]
    fn unknown_tags_and_documents_are_errors() {
        assert!(matches!(
            to_json("a: !Nope x"),
            Err(TemplateError::Unsupported { .. })
        ));
        // saphyr resolves aliases to a copy of the anchored node.
        assert_eq!(
            to_json("a: &x 1\nb: *x\n").unwrap(),
            json!({"a": 1, "b": 1})
        );
        assert!(matches!(
            to_json("a: 1\n---\nb: 2\n"),
            Err(TemplateError::DocumentCount { documents: 2 })
        ));
        assert!(matches!(to_json("a: [1"), Err(TemplateError::Yaml { .. })));
    }
}
