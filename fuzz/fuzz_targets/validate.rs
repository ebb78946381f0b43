//! `gen-agents validate FILE` on arbitrary bytes: no panic, every diagnostic located,
//! the same report twice. Invariants: `gen_agents_fuzz` (fuzz/src/lib.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = gen_agents_fuzz::write_input(data);
    let first = gen_agents_fuzz::validate(&input, data);
    let second = gen_agents_fuzz::validate(&input, data);
    assert_eq!(
        first, second,
        "validate gave two different results for one input"
    );
});
