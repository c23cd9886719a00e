//! `client.discover()`: the core's discovery walk ([`Discovery`]) over
//! `fetch`, and `toYaml(object)`: the core's kubectl YAML. Which kinds a
//! live view can show is the core's rule ([`RestMapper::list_watchable`]);
//! this module only moves bytes and builds JavaScript values.

use alloc::boxed::Box;
use alloc::string::{String, ToString};

use js_sys::{Array, Object};
use kubewire::discovery::{Discovery, DiscoveryError, Poll};
use kubewire::{ResourceInfo, ResponseError, RestMapper};
use wasm_bindgen::JsValue;

use crate::error::{set, Error};
use crate::transport::{read_whole, Endpoint};

impl From<DiscoveryError> for Error {
    /// `/api` or `/apis` refused is the server's Status; a document that
    /// is not one is a decode error of that body.
    fn from(e: DiscoveryError) -> Self {
        match e {
            DiscoveryError::Api { status, .. } => Error::Api(status),
            other => Error::Response(Box::new(ResponseError::Decode {
                code: 200,
                message: other.to_string(),
            })),
        }
    }
}

/// The walk, one request at a time (a page's discovery is two requests
/// against a server with aggregated discovery).
pub(crate) async fn mapper(endpoint: &Endpoint) -> Result<RestMapper, Error> {
    let mut discovery = Discovery::new();
    // Sent one at a time, every request is answered before the next poll,
    // so the walk never waits: `Wait` cannot come, and ends it if it did.
    while let Poll::Send(id, req) = discovery.poll() {
        let resp = endpoint.send(&req, None).await?;
        let whole = read_whole(&resp).await?;
        let code = whole.code();
        discovery.handle(id, code, &whole.raw()?)?;
    }
    Ok(discovery.into_mapper())
}

/// The kinds a live view can show, as `Resource` objects the other calls
/// take, with what discovery says of each.
pub(crate) fn kinds(mapper: &RestMapper) -> Array {
    mapper.list_watchable().map(resource).collect()
}

fn strings(list: &[String]) -> Array {
    list.iter().map(|s| JsValue::from(s.as_str())).collect()
}

fn resource(info: &ResourceInfo) -> JsValue {
    let r = &info.resource;
    let o = Object::new();
    set(&o, "group", &r.group.as_str().into());
    set(&o, "version", &r.version.as_str().into());
    set(&o, "kind", &r.kind.as_str().into());
    set(&o, "plural", &r.plural.as_str().into());
    set(&o, "namespaced", &r.is_namespaced().into());
    set(&o, "singular", &info.singular.as_str().into());
    set(&o, "shortNames", &strings(&info.short_names));
    set(&o, "verbs", &strings(&info.verbs));
    set(&o, "categories", &strings(&info.categories));
    o.into()
}

/// An object as `kubectl get -o yaml` prints it (managedFields hidden).
pub(crate) fn to_yaml(object: &JsValue) -> Result<String, Error> {
    let json = js_sys::JSON::stringify(object)
        .map_err(Error::from_js)?
        .as_string()
        .ok_or_else(|| Error::Invalid("toYaml needs an object".into()))?;
    kubewire::yaml::from_json(json.as_bytes())
        .map_err(|e| Error::Invalid(alloc::format!("toYaml: {e}")))
}
