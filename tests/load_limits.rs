//! The input size limit through the real binary: a sparse file just over 64 MiB takes no
//! disk space, and reading it stops one byte past the limit.

use std::process::Command;

#[test]
fn a_file_over_64_mib_is_refused_as_input_too_large() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.yaml");
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(gen_agents::load::MAX_FILE_BYTES + 1).unwrap();
    drop(file);
    let out = Command::new(env!("CARGO_BIN_EXE_gen-agents"))
        .arg("validate")
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("huge.yaml: error[input-too-large]: the file is larger than 64 MiB"),
        "{stderr}"
    );
}
