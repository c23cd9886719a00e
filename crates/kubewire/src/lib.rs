//! kubewire core (work in progress skeleton; the crate docs are written with the modules).
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod decode;
