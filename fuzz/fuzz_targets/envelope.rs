#![no_main]
//! See `iti_node::fuzzing::envelope`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| iti_node::fuzzing::envelope(data));
