#![no_main]
//! See `iti_node::fuzzing::lost_stolen`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| iti_node::fuzzing::lost_stolen(data));
