#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| neardup::fuzzing::index_bytes(data));
