//! cargo-fuzz target: the whole pipeline (see ../targets.rs).
#![no_main]

#[path = "../targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::pipeline(data));
