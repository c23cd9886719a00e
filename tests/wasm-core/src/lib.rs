//! Exercises the kubewire core inside a bare wasm module: building requests,
//! classifying a Status and decoding a watch stream and a LIST body, with
//! inputs the compiler cannot fold away. The module must import nothing.
#![no_std]
// `#[no_mangle]` is how a bare wasm module exports a function; it is the
// only reason this crate is not `forbid(unsafe_code)`.
#![allow(unsafe_code)]
#![warn(
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::alloc_instead_of_core
)]

extern crate alloc;

use alloc::vec::Vec;
use kubewire::{known, ListParams, Status, WatchParams};

#[global_allocator]
static ALLOC: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

#[derive(serde::Deserialize)]
struct Meta {
    name: alloc::string::String,
}

#[derive(serde::Deserialize)]
struct Obj {
    metadata: Meta,
}

/// Decodes `len` bytes at `ptr` as a watch stream and returns the number of
/// events plus the length of a built request path; `code` feeds the Status.
#[no_mangle]
pub extern "C" fn probe(ptr: *const u8, len: usize, code: u32) -> u32 {
    // SAFETY: the host passes a valid range of its own memory.
    let input: &[u8] = unsafe { core::slice::from_raw_parts(ptr, len) };
    let mut score = 0u32;
    let cms = known::config_maps().within("demo");
    if let Ok(req) = cms.list(&ListParams::default().labels("app=web").limit(code)) {
        score += req.path_and_query.len() as u32;
    }
    if let Ok(req) = cms.watch(&WatchParams::watch_list()) {
        score += req.path_and_query.len() as u32;
    }
    let status = Status::from_response(code as u16, None, input);
    score += status.is_gone() as u32;

    let mut watch = kubewire::decode::WatchDecoder::new();
    watch.feed(input);
    while let Ok(Some(event)) = watch.next_event() {
        if let Ok(obj) = event.deserialize::<Obj>() {
            score += obj.metadata.name.len() as u32;
        }
    }
    let mut list = kubewire::decode::ListDecoder::new();
    list.feed(input);
    let mut names: Vec<alloc::string::String> = Vec::new();
    while let Ok(Some(item)) = list.next_item() {
        if let Ok(obj) = item.deserialize::<Obj>() {
            names.push(obj.metadata.name);
        }
    }
    score + names.len() as u32
}
