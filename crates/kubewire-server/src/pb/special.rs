//! The message types whose JSON is not an object of their fields: the
//! Kubernetes JSON conventions for int-or-string, quantities, times,
//! durations, embedded raw JSON and the schema unions of CRDs.

use k8s_pb::apiextensions_apiserver::pkg::apis::apiextensions::v1 as apiext;
use k8s_pb::apimachinery::pkg::api::resource::Quantity;
use k8s_pb::apimachinery::pkg::apis::meta::v1::{Duration, FieldsV1, MicroTime, Time};
use k8s_pb::apimachinery::pkg::runtime::RawExtension;
use k8s_pb::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::Value;

use super::{wrong, Field, Json, PbError};

/// `intstr.IntOrString`: `type` 1 is a string, else an int.
impl Json for IntOrString {
    fn to_json(&self) -> Value {
        if self.r#type == Some(1) {
            Value::String(self.str_val.clone().unwrap_or_default())
        } else {
            Value::from(self.int_val.unwrap_or(0))
        }
    }
    fn from_json(v: &Value, path: &str) -> Result<Self, PbError> {
        match v {
            Value::String(s) => Ok(IntOrString {
                r#type: Some(1),
                int_val: Some(0),
                str_val: Some(s.clone()),
            }),
            Value::Number(_) => Ok(IntOrString {
                r#type: Some(0),
                int_val: Some(i32::from_json(v, path)?),
                str_val: Some(String::new()),
            }),
            _ => Err(wrong(path, "an integer or a string")),
        }
    }
}

/// `resource.Quantity`: its canonical string.
impl Json for Quantity {
    fn to_json(&self) -> Value {
        Value::String(self.string.clone().unwrap_or_default())
    }
    fn from_json(v: &Value, path: &str) -> Result<Self, PbError> {
        let s = match v {
            Value::String(s) => s.clone(),
            // A number is a valid quantity in JSON (`cpu: 2`).
            Value::Number(n) => n.to_string(),
            _ => return Err(wrong(path, "a quantity")),
        };
        Ok(Quantity { string: Some(s) })
    }
}

fn rfc3339(seconds: i64, micros: Option<i64>) -> Value {
    let Ok(t) = jiff::Timestamp::from_second(seconds) else {
        return Value::Null;
    };
    let text = t.to_string();
    match micros {
        None => Value::String(text),
        Some(us) => {
            let base = text.trim_end_matches('Z');
            Value::String(format!("{base}.{us:06}Z"))
        }
    }
}

fn parse_time(v: &Value, path: &str) -> Result<Option<(i64, i32)>, PbError> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => {
            let t: jiff::Timestamp = s.parse().map_err(|e| PbError::Field {
                path: path.into(),
                why: format!("not an RFC 3339 time: {e}"),
            })?;
            Ok(Some((t.as_second(), t.subsec_nanosecond())))
        }
        _ => Err(wrong(path, "an RFC 3339 time")),
    }
}

/// `metav1.Time`: RFC 3339 to the second; the zero time is `null`, as Go
/// writes it.
impl Json for Time {
    fn to_json(&self) -> Value {
        match (self.seconds.unwrap_or(0), self.nanos.unwrap_or(0)) {
            (0, 0) => Value::Null,
            (s, _) => rfc3339(s, None),
        }
    }
    fn from_json(v: &Value, path: &str) -> Result<Self, PbError> {
        Ok(match parse_time(v, path)? {
            None => Time::default(),
            Some((s, _)) => Time {
                seconds: Some(s),
                nanos: Some(0),
            },
        })
    }
    fn from_null() -> Option<Self> {
        Some(Time::default())
    }
}

/// `metav1.MicroTime`: RFC 3339 with six fractional digits.
impl Json for MicroTime {
    fn to_json(&self) -> Value {
        match (self.seconds.unwrap_or(0), self.nanos.unwrap_or(0)) {
            (0, 0) => Value::Null,
            (s, n) => rfc3339(s, Some(i64::from(n) / 1000)),
        }
    }
    fn from_json(v: &Value, path: &str) -> Result<Self, PbError> {
        Ok(match parse_time(v, path)? {
            None => MicroTime::default(),
            Some((s, n)) => MicroTime {
                seconds: Some(s),
                nanos: Some(n / 1000 * 1000),
            },
        })
    }
    fn from_null() -> Option<Self> {
        Some(MicroTime::default())
    }
}

/// `metav1.Duration`: Go's duration text (`1h2m3s`, `150ms`).
impl Json for Duration {
    fn to_json(&self) -> Value {
        Value::String(kubewire::go_duration::format(self.duration.unwrap_or(0)))
    }
    fn from_json(v: &Value, path: &str) -> Result<Self, PbError> {
        let s = v.as_str().ok_or_else(|| wrong(path, "a duration"))?;
        let nanos = kubewire::go_duration::parse(s).ok_or_else(|| PbError::Field {
            path: path.into(),
            why: format!("time: invalid duration {s:?}"),
        })?;
        Ok(Duration {
            duration: Some(nanos),
        })
    }
}

/// Raw bytes that are JSON (or, inside protobuf, a nested protobuf object).
fn raw_to_json(raw: &[u8]) -> Value {
    if raw.is_empty() {
        return Value::Null;
    }
    if let Ok(v) = serde_json::from_slice(raw) {
        return v;
    }
    super::decode(raw).unwrap_or(Value::Null)
}

fn json_to_raw(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

macro_rules! raw_json {
    ($t:ty) => {
        impl Json for $t {
            fn to_json(&self) -> Value {
                raw_to_json(self.raw.as_deref().unwrap_or_default())
            }
            fn from_json(v: &Value, _: &str) -> Result<Self, PbError> {
                Ok(Self {
                    raw: Some(json_to_raw(v)),
                })
            }
        }
    };
}
// runtime.RawExtension, metav1.FieldsV1 (managedFields), apiextensions JSON
// (schema defaults, examples, enums): each is JSON carried as bytes.
raw_json!(RawExtension);
raw_json!(FieldsV1);
raw_json!(apiext::Json);

/// `items` of a CRD schema: one schema or a list of them.
impl Json for apiext::JsonSchemaPropsOrArray {
    fn to_json(&self) -> Value {
        if !self.j_son_schemas.is_empty() {
            return self.j_son_schemas.iter().map(Json::to_json).collect();
        }
        self.schema.as_ref().map_or(Value::Null, |s| s.to_json())
    }
    fn from_json(v: &Value, path: &str) -> Result<Self, PbError> {
        Ok(match v {
            Value::Array(_) => Self {
                schema: None,
                j_son_schemas: Field::take(v, path)?,
            },
            _ => Self {
                schema: Field::take(v, path)?,
                j_son_schemas: Vec::new(),
            },
        })
    }
}

/// `additionalProperties` and friends: a boolean or a schema.
impl Json for apiext::JsonSchemaPropsOrBool {
    fn to_json(&self) -> Value {
        match &self.schema {
            Some(s) => s.to_json(),
            None => Value::Bool(self.allows.unwrap_or(false)),
        }
    }
    fn from_json(v: &Value, path: &str) -> Result<Self, PbError> {
        Ok(match v {
            Value::Bool(b) => Self {
                allows: Some(*b),
                schema: None,
            },
            _ => Self {
                allows: Some(true),
                schema: Field::take(v, path)?,
            },
        })
    }
}

/// `dependencies` entries: a schema or a list of property names.
impl Json for apiext::JsonSchemaPropsOrStringArray {
    fn to_json(&self) -> Value {
        if !self.property.is_empty() {
            return self
                .property
                .iter()
                .map(|p| Value::String(p.clone()))
                .collect();
        }
        self.schema.as_ref().map_or(Value::Null, |s| s.to_json())
    }
    fn from_json(v: &Value, path: &str) -> Result<Self, PbError> {
        Ok(match v {
            Value::Array(_) => Self {
                schema: None,
                property: Field::take(v, path)?,
            },
            _ => Self {
                schema: Field::take(v, path)?,
                property: Vec::new(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_and_print_as_go_does() {
        // The text rules are the core's (kubewire::go_duration); here, that
        // a metav1.Duration travels through them both ways.
        for (text, nanos) in [("1h0m0s", 3_600_000_000_000), ("150ms", 150_000_000)] {
            let d = Duration::from_json(&Value::from(text), "spec.d").unwrap();
            assert_eq!(d.duration, Some(nanos));
            assert_eq!(d.to_json(), Value::from(text));
        }
        let e = Duration::from_json(&Value::from("ten"), "spec.d").unwrap_err();
        assert!(e.to_string().contains("invalid duration"), "{e}");
    }

    #[test]
    fn int_or_string_and_times() {
        let i = IntOrString::from_json(&Value::from("25%"), "").unwrap();
        assert_eq!(i.to_json(), Value::from("25%"));
        let i = IntOrString::from_json(&Value::from(8080), "").unwrap();
        assert_eq!(i.to_json(), Value::from(8080));
        let t = Time::from_json(&Value::from("2026-12-01T22:21:39Z"), "").unwrap();
        assert_eq!(t.to_json(), Value::from("2026-12-01T22:21:39Z"));
        let t = MicroTime::from_json(&Value::from("2026-12-01T22:21:39.123456Z"), "").unwrap();
        assert_eq!(t.to_json(), Value::from("2026-12-01T22:21:39.123456Z"));
        assert_eq!(Time::default().to_json(), Value::Null);
    }
}
