//! Kubernetes protobuf (`application/vnd.kubernetes.protobuf`): request
//! bodies read into the JSON objects the server stores, and objects
//! written back for clients that accept only protobuf.
//!
//! The messages are k8s-pb's (kube-rs's prost types generated from the
//! Kubernetes `.proto` files), decoded and encoded by prost. Their JSON
//! form is mapped field by field in `glue`, generated from k8s-pb and
//! the real server's OpenAPI document (`scripts/gen-pb-glue.py`); the few
//! types whose JSON has a form of its own (int-or-string, quantities,
//! times, durations, raw extensions, managed fields, schema unions) are in
//! `special`.
//!
//! On the wire an object is the 4-byte magic `k8s\0` followed by a
//! `runtime.Unknown` whose `typeMeta` names the apiVersion and kind and
//! whose `raw` is the message itself.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use k8s_pb::apimachinery::pkg::runtime::{TypeMeta, Unknown};
use prost::Message;
use serde_json::{Map, Value};

/// The media type.
pub const MEDIA_TYPE: &str = "application/vnd.kubernetes.protobuf";

/// The four bytes every Kubernetes protobuf object starts with.
pub const MAGIC: &[u8; 4] = b"k8s\0";

/// Why a protobuf body could not be turned into an object (or back).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PbError {
    /// The body does not start with `k8s\0`.
    NoMagic,
    /// The envelope or the message is not valid protobuf.
    Decode(String),
    /// The envelope names a kind this server has no message for.
    UnknownKind {
        /// `apiVersion` of the envelope.
        api_version: String,
        /// `kind` of the envelope.
        kind: String,
    },
    /// A value does not fit its field (JSON to protobuf).
    Field {
        /// The JSON path of the field.
        path: String,
        /// What was wrong.
        why: String,
    },
}

impl core::fmt::Display for PbError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            PbError::NoMagic => f.write_str("provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]"),
            PbError::Decode(e) => write!(f, "unable to decode protobuf: {e}"),
            PbError::UnknownKind { api_version, kind } => {
                write!(f, "no kind {kind:?} is registered for version {api_version:?}")
            }
            PbError::Field { path, why } => write!(f, "{path}: {why}"),
        }
    }
}

impl std::error::Error for PbError {}

/// A protobuf object body into its JSON form, with `kind` and
/// `apiVersion` set from the envelope.
pub fn decode(body: &[u8]) -> Result<Value, PbError> {
    let rest = body.strip_prefix(MAGIC).ok_or(PbError::NoMagic)?;
    let unknown = Unknown::decode(rest).map_err(|e| PbError::Decode(e.to_string()))?;
    let tm = unknown.type_meta.unwrap_or_default();
    let api_version = tm.api_version.unwrap_or_default();
    let kind = tm.kind.unwrap_or_default();
    let raw = unknown.raw.unwrap_or_default();
    let mut v = glue::decode(&api_version, &kind, &raw).ok_or_else(|| PbError::UnknownKind {
        api_version: api_version.clone(),
        kind: kind.clone(),
    })??;
    if let Some(m) = v.as_object_mut() {
        // kind and apiVersion first, as in the server's JSON.
        let mut o = Map::new();
        o.insert("kind".into(), kind.into());
        o.insert("apiVersion".into(), api_version.into());
        o.extend(std::mem::take(m));
        *m = o;
    }
    Ok(v)
}

/// An object (with `kind` and `apiVersion`) into a protobuf body; `None`
/// when the kind has no protobuf message (custom resources).
pub fn encode(obj: &Value) -> Option<Result<Vec<u8>, PbError>> {
    let api_version = obj["apiVersion"].as_str().unwrap_or("");
    let kind = obj["kind"].as_str().unwrap_or("");
    let raw = match glue::encode(api_version, kind, obj)? {
        Ok(raw) => raw,
        Err(e) => return Some(Err(e)),
    };
    Some(Ok(envelope(api_version, kind, raw)))
}

/// `k8s\0` + `runtime.Unknown{typeMeta, raw}`.
pub fn envelope(api_version: &str, kind: &str, raw: Vec<u8>) -> Vec<u8> {
    let unknown = Unknown {
        type_meta: Some(TypeMeta {
            api_version: Some(api_version.into()),
            kind: Some(kind.into()),
        }),
        raw: Some(raw),
        content_encoding: Some(String::new()),
        content_type: Some(String::new()),
    };
    let mut out = MAGIC.to_vec();
    unknown.encode(&mut out).unwrap_or_default();
    out
}

/// A LIST body in protobuf written item by item, as kube-apiserver's
/// streaming list encoder writes it (KEP-5116), byte for byte the body
/// [`encode`] gives for the whole list: `k8s\0`, the `runtime.Unknown`'s
/// `typeMeta`, its `raw` (the `<Kind>List` message: `metadata` = field 1,
/// each item = field 2, as in every Kubernetes list message), then its
/// empty `contentEncoding` and `contentType`.
///
/// Protobuf writes a message's length before the message, so the list's
/// size, and with it every item's, is known before the first byte: like
/// kube-apiserver, [`ListBody::start`] sizes every item first (nothing is
/// kept but the sum), then [`ListBody::item`] encodes each one as the
/// connection takes it.
pub struct ListBody {
    api_version: String,
    kind: String,
}

/// A list message's fields: `ListMeta metadata = 1; repeated Item items = 2`.
const LIST_METADATA: u32 = 1;
const LIST_ITEMS: u32 = 2;
/// `runtime.Unknown`'s `raw` field.
const UNKNOWN_RAW: u32 = 2;

impl ListBody {
    /// The body's head for a list of `kind` items in `api_version` with
    /// list metadata `meta`, once every item has been sized; `None` when the
    /// kind (or its list) has no message.
    pub fn start(
        api_version: &str,
        kind: &str,
        meta: &Value,
        items: impl IntoIterator<Item = impl AsRef<Value>>,
    ) -> Option<Result<(ListBody, Vec<u8>), PbError>> {
        use k8s_pb::apimachinery::pkg::apis::meta::v1::ListMeta;
        use prost::encoding::{encode_key, encode_varint, encoded_len_varint, key_len, WireType};
        let list_kind = format!("{kind}List");
        if !glue::has_message(api_version, kind) || !glue::has_message(api_version, &list_kind) {
            return None;
        }
        let start = move || -> Result<(ListBody, Vec<u8>), PbError> {
            let meta = ListMeta::from_json(meta, "metadata")?;
            let mut raw_len = prost::encoding::message::encoded_len(LIST_METADATA, &meta);
            for o in items {
                let n = glue::encoded_len(api_version, kind, o.as_ref()).unwrap_or(Ok(0))?;
                raw_len += key_len(LIST_ITEMS) + encoded_len_varint(n as u64) + n;
            }
            let type_meta = Unknown {
                type_meta: Some(TypeMeta {
                    api_version: Some(api_version.into()),
                    kind: Some(list_kind.clone()),
                }),
                ..Default::default()
            };
            let mut head = MAGIC.to_vec();
            type_meta
                .encode(&mut head)
                .map_err(|e| PbError::Decode(e.to_string()))?;
            encode_key(UNKNOWN_RAW, WireType::LengthDelimited, &mut head);
            encode_varint(raw_len as u64, &mut head);
            prost::encoding::message::encode(LIST_METADATA, &meta, &mut head);
            Ok((
                ListBody {
                    api_version: api_version.into(),
                    kind: kind.into(),
                },
                head,
            ))
        };
        Some(start())
    }

    /// Appends one item (field 2 of the list message).
    pub fn item(&self, obj: &Value, out: &mut Vec<u8>) -> Result<(), PbError> {
        use prost::encoding::{encode_key, encode_varint, WireType};
        let raw = glue::encode(&self.api_version, &self.kind, obj).ok_or_else(|| {
            PbError::UnknownKind {
                api_version: self.api_version.clone(),
                kind: self.kind.clone(),
            }
        })??;
        encode_key(LIST_ITEMS, WireType::LengthDelimited, out);
        encode_varint(raw.len() as u64, out);
        out.extend_from_slice(&raw);
        Ok(())
    }

    /// What follows the last item: the envelope's `contentEncoding` and
    /// `contentType`, both empty strings, as kube-apiserver writes them.
    pub const TAIL: &'static [u8] = &[0x1a, 0x00, 0x22, 0x00];
}

/// The media type of a protobuf watch stream.
pub const WATCH_MEDIA_TYPE: &str = "application/vnd.kubernetes.protobuf;stream=watch";

/// Appends one event of a protobuf watch stream, framed as kube-apiserver
/// frames it: a 4-byte big-endian length, then a `meta.v1.WatchEvent`
/// message (no magic, no envelope: the stream serializer is protobuf's raw
/// one) whose `object` is a `RawExtension` holding the object as a whole
/// protobuf body (`k8s\0` + `runtime.Unknown`). `obj` carries `kind` and
/// `apiVersion`. Nothing is appended when the object has no protobuf form.
pub fn watch_event(event_type: &str, obj: &Value, out: &mut Vec<u8>) -> Result<(), PbError> {
    use k8s_pb::apimachinery::pkg::apis::meta::v1::WatchEvent;
    use k8s_pb::apimachinery::pkg::runtime::RawExtension;
    let raw = encode(obj).ok_or_else(|| PbError::UnknownKind {
        api_version: obj["apiVersion"].as_str().unwrap_or("").into(),
        kind: obj["kind"].as_str().unwrap_or("").into(),
    })??;
    let event = WatchEvent {
        r#type: Some(event_type.into()),
        object: Some(RawExtension { raw: Some(raw) }),
    };
    let len = u32::try_from(event.encoded_len())
        .map_err(|_| PbError::Decode("watch event larger than 4 GiB".into()))?;
    out.reserve(4 + len as usize);
    out.extend_from_slice(&len.to_be_bytes());
    event
        .encode(out)
        .map_err(|e| PbError::Decode(e.to_string()))
}

/// The JSON form of one message type.
pub trait Json: Sized + Default {
    /// The value as JSON.
    fn to_json(&self) -> Value;
    /// The value from JSON; `path` names it in errors.
    fn from_json(v: &Value, path: &str) -> Result<Self, PbError>;
    /// Whether this is the zero value a Go `omitempty` field leaves out
    /// (messages never are: Go writes a struct even when empty).
    fn is_zero(&self) -> bool {
        false
    }
    /// What a JSON `null` stands for: nothing, except for the types Go
    /// writes as `null` when zero (times).
    fn from_null() -> Option<Self> {
        None
    }
}

fn wrong(path: &str, want: &str) -> PbError {
    PbError::Field {
        path: path.into(),
        why: format!("expected {want}"),
    }
}

impl Json for String {
    fn to_json(&self) -> Value {
        Value::String(self.clone())
    }
    fn from_json(v: &Value, path: &str) -> Result<Self, PbError> {
        v.as_str()
            .map(String::from)
            .ok_or_else(|| wrong(path, "a string"))
    }
    fn is_zero(&self) -> bool {
        self.is_empty()
    }
}

impl Json for bool {
    fn to_json(&self) -> Value {
        Value::Bool(*self)
    }
    fn from_json(v: &Value, path: &str) -> Result<Self, PbError> {
        v.as_bool().ok_or_else(|| wrong(path, "a boolean"))
    }
    fn is_zero(&self) -> bool {
        !*self
    }
}

macro_rules! int {
    ($t:ty) => {
        impl Json for $t {
            fn to_json(&self) -> Value {
                Value::from(*self)
            }
            fn from_json(v: &Value, path: &str) -> Result<Self, PbError> {
                v.as_i64()
                    .and_then(|n| <$t>::try_from(n).ok())
                    .ok_or_else(|| wrong(path, concat!("an integer (", stringify!($t), ")")))
            }
            fn is_zero(&self) -> bool {
                *self == 0
            }
        }
    };
}
int!(i32);
int!(i64);

impl Json for f64 {
    fn to_json(&self) -> Value {
        serde_json::Number::from_f64(*self).map_or(Value::Null, Value::Number)
    }
    fn from_json(v: &Value, path: &str) -> Result<Self, PbError> {
        v.as_f64().ok_or_else(|| wrong(path, "a number"))
    }
    fn is_zero(&self) -> bool {
        *self == 0.0
    }
}

/// `bytes`: base64 in JSON (Secret data).
impl Json for Vec<u8> {
    fn to_json(&self) -> Value {
        Value::String(STANDARD.encode(self))
    }
    fn from_json(v: &Value, path: &str) -> Result<Self, PbError> {
        let s = v.as_str().ok_or_else(|| wrong(path, "a base64 string"))?;
        STANDARD.decode(s).map_err(|e| PbError::Field {
            path: path.into(),
            why: format!("illegal base64 data: {e}"),
        })
    }
    fn is_zero(&self) -> bool {
        self.is_empty()
    }
}

impl<T: Json> Json for Box<T> {
    fn to_json(&self) -> Value {
        (**self).to_json()
    }
    fn from_json(v: &Value, path: &str) -> Result<Self, PbError> {
        T::from_json(v, path).map(Box::new)
    }
    fn is_zero(&self) -> bool {
        (**self).is_zero()
    }
}

/// One field of a message: optional, repeated or a map.
pub trait Field: Sized {
    /// Writes the field into `m` under `key` when it has a value;
    /// `keep_zero` keeps a zero scalar (a Go pointer or required field).
    fn put(&self, m: &mut Map<String, Value>, key: &str, keep_zero: bool);
    /// The field from its JSON value.
    fn take(v: &Value, path: &str) -> Result<Self, PbError>;
}

impl<T: Json> Field for Option<T> {
    fn put(&self, m: &mut Map<String, Value>, key: &str, keep_zero: bool) {
        if let Some(v) = self {
            if keep_zero || !v.is_zero() {
                m.insert(key.into(), v.to_json());
            }
        }
    }
    fn take(v: &Value, path: &str) -> Result<Self, PbError> {
        if v.is_null() {
            return Ok(T::from_null());
        }
        T::from_json(v, path).map(Some)
    }
}

impl<T: Json> Field for Vec<T> {
    fn put(&self, m: &mut Map<String, Value>, key: &str, _: bool) {
        if !self.is_empty() {
            m.insert(key.into(), self.iter().map(Json::to_json).collect());
        }
    }
    fn take(v: &Value, path: &str) -> Result<Self, PbError> {
        match v {
            Value::Null => Ok(Vec::new()),
            Value::Array(a) => a
                .iter()
                .enumerate()
                .map(|(i, x)| T::from_json(x, &format!("{path}[{i}]")))
                .collect(),
            _ => Err(wrong(path, "a list")),
        }
    }
}

impl<T: Json> Field for BTreeMap<String, T> {
    fn put(&self, m: &mut Map<String, Value>, key: &str, _: bool) {
        if !self.is_empty() {
            let o: Map<String, Value> =
                self.iter().map(|(k, v)| (k.clone(), v.to_json())).collect();
            m.insert(key.into(), Value::Object(o));
        }
    }
    fn take(v: &Value, path: &str) -> Result<Self, PbError> {
        match v {
            Value::Null => Ok(BTreeMap::new()),
            Value::Object(o) => o
                .iter()
                .map(|(k, x)| Ok((k.clone(), T::from_json(x, &format!("{path}[{k}]"))?)))
                .collect(),
            _ => Err(wrong(path, "an object")),
        }
    }
}

/// An embedded Go struct (`json:",inline"`): its fields live in the
/// parent's object.
fn put_inline<T: Json>(v: &Option<T>, m: &mut Map<String, Value>) {
    if let Some(Value::Object(inner)) = v.as_ref().map(Json::to_json) {
        m.extend(inner);
    }
}

/// Declares the JSON form of a message: each field with its JSON name,
/// `[keep]` for scalars whose zero still appears, `inline` for embedded
/// structs.
macro_rules! message {
    (@put $self:ident $m:ident $f:ident inline) => {
        $crate::pb::put_inline(&$self.$f, &mut $m);
    };
    (@put $self:ident $m:ident $f:ident $json:literal) => {
        $crate::pb::Field::put(&$self.$f, &mut $m, $json, false);
    };
    (@put $self:ident $m:ident $f:ident $json:literal keep) => {
        $crate::pb::Field::put(&$self.$f, &mut $m, $json, true);
    };
    (@take $out:ident $o:ident $v:ident $path:ident $f:ident inline) => {
        $out.$f = Some($crate::pb::Json::from_json($v, $path)?);
    };
    (@take $out:ident $o:ident $v:ident $path:ident $f:ident $json:literal $($keep:ident)?) => {
        if let Some(x) = $o.get($json) {
            $out.$f = $crate::pb::Field::take(x, &format!("{}.{}", $path, $json))?;
        }
    };
    ($ty:path { $($f:ident => $json:tt $([$keep:ident])?),* $(,)? }) => {
        impl $crate::pb::Json for $ty {
            fn to_json(&self) -> serde_json::Value {
                #[allow(unused_mut)]
                let mut m = serde_json::Map::new();
                $( message!(@put self m $f $json $($keep)?); )*
                serde_json::Value::Object(m)
            }
            #[allow(unused_variables)]
            fn from_json(v: &serde_json::Value, path: &str) -> Result<Self, $crate::pb::PbError> {
                let o = v.as_object().ok_or_else(|| $crate::pb::PbError::Field {
                    path: path.into(),
                    why: "expected an object".into(),
                })?;
                #[allow(unused_mut)]
                let mut out = Self::default();
                $( message!(@take out o v path $f $json $($keep)?); )*
                Ok(out)
            }
        }
    };
}
/// A Go slice type (`type ExtraValue []string`): a message of one
/// repeated `items` field whose JSON is the list itself.
macro_rules! list_type {
    ($ty:path) => {
        impl $crate::pb::Json for $ty {
            fn to_json(&self) -> serde_json::Value {
                self.items.iter().map($crate::pb::Json::to_json).collect()
            }
            fn from_json(v: &serde_json::Value, path: &str) -> Result<Self, $crate::pb::PbError> {
                Ok(Self {
                    items: $crate::pb::Field::take(v, path)?,
                })
            }
        }
    };
}

/// The messages of the top-level kinds by `(group, version, kind)`.
macro_rules! resources {
    ($(($g:literal, $v:literal, $k:literal) => $ty:path,)*) => {
        /// The JSON form of the message `raw` of `apiVersion`/`kind`, if
        /// the kind has one.
        pub fn decode(api_version: &str, kind: &str, raw: &[u8]) -> Option<Result<serde_json::Value, $crate::pb::PbError>> {
            use prost::Message as _;
            let (g, v) = api_version.split_once('/').unwrap_or(("", api_version));
            Some(match (g, v, kind) {
                $(($g, $v, $k) => <$ty>::decode(raw)
                    .map_err(|e| $crate::pb::PbError::Decode(e.to_string()))
                    .map(|m| $crate::pb::Json::to_json(&m)),)*
                _ => return None,
            })
        }

        /// The message of an object of `apiVersion`/`kind`, encoded, if
        /// the kind has one.
        pub fn encode(api_version: &str, kind: &str, obj: &serde_json::Value) -> Option<Result<Vec<u8>, $crate::pb::PbError>> {
            use prost::Message as _;
            let (g, v) = api_version.split_once('/').unwrap_or(("", api_version));
            Some(match (g, v, kind) {
                $(($g, $v, $k) => <$ty as $crate::pb::Json>::from_json(obj, "").map(|m| m.encode_to_vec()),)*
                _ => return None,
            })
        }

        /// The encoded size of the message of an object of
        /// `apiVersion`/`kind`, if the kind has one (nothing is written).
        pub fn encoded_len(api_version: &str, kind: &str, obj: &serde_json::Value) -> Option<Result<usize, $crate::pb::PbError>> {
            use prost::Message as _;
            let (g, v) = api_version.split_once('/').unwrap_or(("", api_version));
            Some(match (g, v, kind) {
                $(($g, $v, $k) => <$ty as $crate::pb::Json>::from_json(obj, "").map(|m| m.encoded_len()),)*
                _ => return None,
            })
        }

        /// Whether `apiVersion`/`kind` has a message.
        pub fn has_message(api_version: &str, kind: &str) -> bool {
            let (g, v) = api_version.split_once('/').unwrap_or(("", api_version));
            matches!((g, v, kind), $(($g, $v, $k))|*)
        }
    };
}

// After the macros: `macro_rules!` are in scope from their definition on.
#[rustfmt::skip]
mod glue;
mod special;

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;

    /// For every served built-in kind: the list written item by item is
    /// byte for byte the list encoded whole (so every list message has
    /// its metadata at field 1 and its items at field 2), and decodes back.
    #[test]
    fn streamed_lists_are_the_whole_encoding_for_every_kind() {
        let mut checked = 0;
        for d in crate::resources::builtins() {
            let (api_version, kind) = (d.api_version(), d.kind.clone());
            let items: Vec<Arc<Value>> = ["a", "b"]
                .iter()
                .map(|n| Arc::new(json!({"metadata": {"name": n, "labels": {"app": n}, "resourceVersion": "7"}})))
                .collect();
            let meta = json!({"resourceVersion": "9", "continue": "abc", "remainingItemCount": 3});
            let Some(started) = ListBody::start(&api_version, &kind, &meta, &items) else {
                continue;
            };
            let (list, mut body) = started.unwrap_or_else(|e| panic!("{kind}: {e}"));
            for o in &items {
                list.item(o, &mut body).unwrap();
            }
            body.extend_from_slice(ListBody::TAIL);
            let whole = json!({"kind": format!("{kind}List"), "apiVersion": api_version, "metadata": meta,
                "items": items.iter().map(|o| (**o).clone()).collect::<Vec<_>>()});
            let expected = encode(&whole).unwrap().unwrap();
            assert_eq!(body, expected, "{api_version} {kind}");
            let back = decode(&body).unwrap();
            assert_eq!(back["items"][1]["metadata"]["name"], "b", "{kind}");
            checked += 1;
        }
        assert!(checked >= 40, "only {checked} kinds have protobuf lists");
    }

    /// An empty list: the metadata alone.
    #[test]
    fn an_empty_streamed_list_is_the_whole_encoding() {
        let meta = json!({"resourceVersion": "1"});
        let (_, mut body) = ListBody::start("v1", "ConfigMap", &meta, Vec::<Arc<Value>>::new())
            .unwrap()
            .unwrap();
        body.extend_from_slice(ListBody::TAIL);
        let whole =
            json!({"kind": "ConfigMapList", "apiVersion": "v1", "metadata": meta, "items": []});
        assert_eq!(body, encode(&whole).unwrap().unwrap());
        assert!(
            ListBody::start("example.com/v1", "Widget", &meta, Vec::<Arc<Value>>::new()).is_none()
        );
    }
}
