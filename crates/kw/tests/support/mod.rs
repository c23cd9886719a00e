//! Shared by the tests of this directory.

pub mod proxy;
