#![no_main]
//! See `iti_node::fuzzing::receipt`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| iti_node::fuzzing::receipt(data));
