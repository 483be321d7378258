//! The `itictl` binary as an admin runs it. (These tests also make cargo
//! build the binary, which the process harness of `iti-tests` runs.)

use std::process::{Command, Output};

/// Runs `itictl` with `args`.
fn itictl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_itictl"))
        .args(args)
        .output()
        .expect("running itictl")
}

/// Runs `itictl` with `args`, which must succeed.
fn itictl_ok(args: &[&str]) {
    let done = itictl(args);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
}

#[test]
fn issuing_a_certificate_without_a_ca_names_the_missing_file() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let missing_ca = dir.path().join("no-such-ca");
    let node = dir.path().join("node");
    let output = itictl(&[
        "cert",
        "issue",
        "node",
        "--ca",
        missing_ca.to_str().unwrap(),
        "--out",
        node.to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let expected = missing_ca.join("cert.pem");
    assert!(
        stderr.contains(&expected.display().to_string()),
        "{} not named in:\n{stderr}",
        expected.display()
    );
    assert!(!node.exists(), "nothing was written");
}

#[test]
fn a_ca_issues_a_node_certificate_with_its_sealing_key() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let ca = dir.path().join("ca");
    let ca = ca.to_str().unwrap();
    itictl_ok(&["ca", "init", "--state", "GHA", "--out", ca]);
    let node = dir.path().join("node");
    itictl_ok(&[
        "cert",
        "issue",
        "node",
        "--ca",
        ca,
        "--out",
        node.to_str().unwrap(),
    ]);
    for file in ["cert.pem", "key.pem", "ca.pem", "seal.key"] {
        assert!(node.join(file).is_file(), "{file} missing");
    }
}

#[test]
fn an_officer_command_names_the_node_it_could_not_reach() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let ca = dir.path().join("ca");
    let ca = ca.to_str().unwrap();
    let officer = dir.path().join("poc");
    let officer = officer.to_str().unwrap();
    itictl_ok(&["ca", "init", "--state", "GHA", "--out", ca]);
    itictl_ok(&[
        "cert", "issue", "officer", "ama", "--ca", ca, "--out", officer,
    ]);
    // A port that was just free: nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .to_string();
    let output = itictl(&["--identity", officer, "--node", &closed, "inbox"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("node {closed}")), "{stderr}");
    assert!(stderr.contains("nothing is listening"), "{stderr}");
}

#[test]
fn the_help_says_how_the_language_of_text_output_is_chosen() {
    let help = itictl(&["--help"]);
    assert!(help.status.success());
    let help = String::from_utf8_lossy(&help.stdout);
    for word in ["--lang", "LC_ALL", "LC_MESSAGES", "LANG", "fr_FR.UTF-8"] {
        assert!(help.contains(word), "{word} missing from:\n{help}");
    }
}
