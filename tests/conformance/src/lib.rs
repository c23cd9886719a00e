//! # The conformance scenarios every kubewire adapter runs
//!
//! Adapters are thin: the same scenarios, run through any of them against
//! a fresh `kubewire-server` on 127.0.0.1, must give the same results. Each
//! scenario drives an [`Adapter`] (the transport under test) and returns a
//! [`Transcript`]: normalized lines (names, event types, error kinds, never
//! timestamps or UIDs) that runners compare across adapters. Scenarios also
//! assert what must hold for any adapter (10,000 items, events before the
//! response ends), so two adapters cannot agree on a wrong answer.
//!
//! Objects are set up with an admin client (kubewire-hyper) that is not
//! the adapter under test. [`native::HyperAdapter`] is the reference run;
//! the wasmtime host (`tests/wasi-host`) drives the `kubewire:client`
//! component; the browser runner (`tests/browser`) drives kubewire-web in
//! headless Chromium.
//!
//! The [`BASIC`] scenarios need an [`Adapter`]; the [`LIST_WATCH`] ones a
//! [`ListWatchAdapter`] (the core's list+watch machine as the adapter
//! drives it, through a [`proxy::Proxy`] that cuts connections on cue); the
//! [`WRITES`] one a [`WriteAdapter`].

pub mod adapter;
mod listwatch;
pub mod native;
pub mod proxy;
pub mod scenarios;
mod setup;
mod writes;

pub use adapter::{
    Adapter, Event, EventSource, Failure, ListOptions, ListWatchAdapter, ListWatchEvent,
    ListWatchOptions, ListWatchSource, Listed, Target, WatchOptions, WriteAdapter,
};
pub use scenarios::{Scenario, Transcript, ALL, BASIC, LIST_WATCH, WRITES};
