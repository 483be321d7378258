#![no_main]
//! See `iti_node::fuzzing::directory_entry`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| iti_node::fuzzing::directory_entry(data));
