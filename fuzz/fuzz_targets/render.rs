//! `gen-agents render FILE [--out-dir DIR]` on arbitrary bytes: no panic, every diagnostic
//! located, built-in templates never fail, render agrees with validate, DIR unchanged on
//! error and exactly the new set on success, byte-identical artifacts twice, and the
//! External Secrets mode too. Invariants: `gen_agents_fuzz` (fuzz/src/lib.rs).
#![no_main]

use gen_agents::render::SecretsMode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = gen_agents_fuzz::write_input(data);
    let first = gen_agents_fuzz::render(&input, data, &SecretsMode::Stubs);
    let second = gen_agents_fuzz::render(&input, data, &SecretsMode::Stubs);
    assert_eq!(
        first, second,
        "render gave two different results for one input"
    );
    let validated = gen_agents_fuzz::validate(&input, data);
    assert_eq!(
        (validated.code, &validated.errors),
        (first.code, &first.errors),
        "render and validate disagree"
    );
    gen_agents_fuzz::assert_out_dir(&first);
    let external = SecretsMode::ExternalSecrets {
        store: "fuzz-store".into(),
        kind: "ClusterSecretStore".into(),
    };
    let eso = gen_agents_fuzz::render(&input, data, &external);
    assert_eq!(eso.code, first.code, "the secrets mode changed the verdict");
});
