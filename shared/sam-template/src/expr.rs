//! Property values that may be intrinsic functions.

use serde_json::Value;

/// A property value: a literal, or the intrinsic function computing it at deploy time.
///
/// ```
/// use sam_template::Expr;
/// use serde_json::json;
///
/// assert_eq!(Expr::from_json(&json!({"Ref": "OrdersBus"})), Expr::Ref("OrdersBus".into()));
/// assert_eq!(Expr::from_json(&json!({"Fn::GetAtt": ["Q", "Arn"]})).resource(), Some("Q"));
/// assert_eq!(Expr::from_json(&json!(30)), Expr::Literal("30".into()));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Expr {
    /// A string, number or boolean, as text.
    Literal(String),
    /// `!Ref Name`: a parameter, a pseudo parameter (`AWS::Region`) or a resource.
    Ref(String),
    /// `!GetAtt Resource.Attribute`.
    GetAtt {
        /// The resource's logical id.
        resource: String,
        /// The attribute, such as `Arn`.
        attribute: String,
    },
    /// `!Sub "text ${Name}"`: the template text (variables of the list form are not kept).
    Sub(String),
    /// Any other intrinsic function or structure, as JSON.
    Other(Value),
}

impl Expr {
    /// Reads a value in CloudFormation's JSON form (see [`crate::yaml::to_json`]).
    ///
    /// ```
    /// use sam_template::Expr;
    /// use serde_json::json;
    ///
    /// let sub = Expr::from_json(&json!({"Fn::Sub": "orders-${Stage}"}));
    /// assert_eq!(sub, Expr::Sub("orders-${Stage}".into()));
    /// ```
    pub fn from_json(value: &Value) -> Expr {
        match value {
            Value::String(s) => Expr::Literal(s.clone()),
            Value::Number(n) => Expr::Literal(n.to_string()),
            Value::Bool(b) => Expr::Literal(b.to_string()),
            Value::Object(map) if map.len() == 1 => {
                let (key, arg) = map
                    .iter()
                    .next()
                    .map_or(("", &Value::Null), |(k, v)| (k.as_str(), v));
                match (key, arg) {
                    ("Ref", Value::String(name)) => Expr::Ref(name.clone()),
                    ("Fn::GetAtt", Value::Array(parts)) => match parts.as_slice() {
                        [Value::String(resource), Value::String(attribute)] => Expr::GetAtt {
                            resource: resource.clone(),
                            attribute: attribute.clone(),
                        },
                        _ => Expr::Other(value.clone()),
                    },
                    ("Fn::GetAtt", Value::String(text)) => match text.split_once('.') {
                        Some((resource, attribute)) => Expr::GetAtt {
                            resource: resource.to_owned(),
                            attribute: attribute.to_owned(),
                        },
                        None => Expr::Other(value.clone()),
                    },
                    ("Fn::Sub", Value::String(text)) => Expr::Sub(text.clone()),
                    ("Fn::Sub", Value::Array(parts)) => match parts.first() {
                        Some(Value::String(text)) => Expr::Sub(text.clone()),
                        _ => Expr::Other(value.clone()),
                    },
                    _ => Expr::Other(value.clone()),
                }
            }
            _ => Expr::Other(value.clone()),
        }
    }

    /// The logical id this value refers to, for `!Ref X` and `!GetAtt X.Attr` (which may also
    /// name a parameter: check it against the template's resources).
    ///
    /// ```
    /// use sam_template::Expr;
    ///
    /// assert_eq!(Expr::Ref("DedupTable".into()).resource(), Some("DedupTable"));
    /// assert_eq!(Expr::Literal("x".into()).resource(), None);
    /// ```
    pub fn resource(&self) -> Option<&str> {
        match self {
            Expr::Ref(name) => Some(name),
            Expr::GetAtt { resource, .. } => Some(resource),
            _ => None,
        }
    }

    /// The text of a literal.
    ///
    /// ```
    /// use sam_template::Expr;
    ///
    /// assert_eq!(Expr::Literal("default".into()).as_literal(), Some("default"));
    /// assert_eq!(Expr::Ref("Bus".into()).as_literal(), None);
    /// ```
    pub fn as_literal(&self) -> Option<&str> {
        match self {
            Expr::Literal(text) => Some(text),
            _ => None,
        }
    }
}
