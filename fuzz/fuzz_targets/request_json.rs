#![no_main]
//! See `iti_node::fuzzing::request_json`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| iti_node::fuzzing::request_json(data));
