//! A bootstrap under the Lambda Runtime Interface Emulator does not outlive its emulator: the
//! bootstrap is the emulator's child (in a process group of its own), and stopping the emulator
//! stops every process below it.
//!
//! The bootstrap is a script that starts a helper process (as a bootstrap may: a sidecar, a
//! child that hangs) and then becomes the workspace's panicking-handler fixture, which answers
//! with its own process id (built for this machine by `scripts/build-host-bootstraps.sh`, in
//! `target/debug`). The handler itself ends when its emulator's Runtime API goes away; the
//! helper does not, unless it is stopped with the rest.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use local_emulators::{Rie, process_tree};
use std::io::BufRead;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A bootstrap script of this test's own that starts `sleep 300` and then runs a copy of the
/// fixture under a path of this test's own (so that the processes running it are this test's):
/// `(script, handler)`.
fn private_bootstrap(name: &str) -> (PathBuf, PathBuf) {
    // target/debug/deps/<this test> → target/debug
    let debug = std::env::current_exe()
        .unwrap()
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .to_owned();
    let built = debug.join("panicking-handler");
    assert!(
        built.is_file(),
        "no bootstrap at {}: build it with `bash scripts/build-host-bootstraps.sh`",
        built.display()
    );
    let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let handler = dir.join("handler");
    std::fs::copy(&built, &handler).unwrap();
    let script = dir.join("bootstrap");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nsleep 300 &\nexec '{}'\n", handler.display()),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    (script, handler)
}

/// The processes whose executable is `bootstrap`.
fn running(bootstrap: &Path) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|entry| {
            let pid = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let exe = std::fs::read_link(entry.path().join("exe")).ok()?;
            (exe == bootstrap).then_some(pid)
        })
        .collect()
}

/// An event of the fixture's: any detail it does not panic on.
fn event() -> Vec<u8> {
    let event = serde_json::json!({
        "version": "0", "id": "no-orphans", "detail-type": "FixtureEvent",
        "source": "com.example.fixture", "account": "123456789012",
        "time": "2026-11-30T04:00:00Z", "region": "us-east-1", "resources": [],
        "detail": {"orphans": 0}
    });
    serde_json::to_vec(&event).unwrap()
}

#[test]
fn dropping_the_emulator_leaves_no_bootstrap_running() {
    let (bootstrap, handler) = private_bootstrap("no-orphans");
    let rie = Rie::start(&bootstrap, &[]).unwrap();
    let answer = rie.invoke(&event()).unwrap();
    assert!(!answer.is_error(), "{}\n{}", answer.body, rie.logs());
    let bootstrap_pid = u32::try_from(answer.json()["pid"].as_u64().unwrap()).unwrap();
    let emulator = rie.pid();

    // While the emulator runs: the emulator and, below it, the bootstrap and its helper.
    let tree = process_tree(emulator).unwrap();
    assert_eq!(tree.first(), Some(&emulator), "{tree:?}");
    assert!(tree.contains(&bootstrap_pid), "{tree:?}");
    assert_eq!(tree.len(), 3, "{tree:?}");
    assert_eq!(running(&handler), vec![bootstrap_pid]);

    drop(rie);
    let left: Vec<u32> = tree
        .iter()
        .copied()
        .filter(|pid| !process_tree(*pid).unwrap().is_empty())
        .collect();
    assert_eq!(left, Vec::<u32>::new(), "of {tree:?}");
    assert_eq!(running(&handler), Vec::<u32>::new());
    std::fs::remove_dir_all(bootstrap.parent().unwrap()).unwrap();
}

#[test]
fn a_stopped_emulator_answers_no_more() {
    let (bootstrap, handler) = private_bootstrap("stopped");
    let mut rie = Rie::start(&bootstrap, &[]).unwrap();
    rie.invoke(&event()).unwrap();
    let tree = process_tree(rie.pid()).unwrap();
    rie.stop();
    assert!(
        tree.iter()
            .all(|pid| process_tree(*pid).unwrap().is_empty())
    );
    assert_eq!(running(&handler), Vec::<u32>::new());
    assert!(rie.invoke(&event()).is_err());
    // Stopping again, and dropping, do nothing more.
    rie.stop();
    drop(rie);
    std::fs::remove_dir_all(bootstrap.parent().unwrap()).unwrap();
}

/// In the environment of the child process of `a_killed_parent_leaves_no_bootstrap_running`:
/// the bootstrap it runs.
const CHILD_BOOTSTRAP: &str = "NO_ORPHANS_CHILD_BOOTSTRAP";

/// The child's part of the test below (it does nothing elsewhere): starts the bootstrap under
/// an emulator, invokes it, prints `tree <pids>` and waits to be killed.
#[test]
#[ignore = "run by a_killed_parent_leaves_no_bootstrap_running"]
fn child_starts_an_emulator_and_waits_to_be_killed() {
    let Some(bootstrap) = std::env::var_os(CHILD_BOOTSTRAP) else {
        return;
    };
    let rie = Rie::start(Path::new(&bootstrap), &[]).unwrap();
    rie.invoke(&event()).unwrap();
    let tree = process_tree(rie.pid()).unwrap();
    let pids: Vec<String> = tree.iter().map(ToString::to_string).collect();
    println!("tree {}", pids.join(" "));
    std::thread::sleep(Duration::from_secs(60));
}

#[test]
fn a_killed_parent_leaves_no_bootstrap_running() {
    let (bootstrap, handler) = private_bootstrap("killed");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "child_starts_an_emulator_and_waits_to_be_killed",
            "--nocapture",
        ])
        .env(CHILD_BOOTSTRAP, &bootstrap)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let tree: Vec<u32> = stdout
        .lines()
        .map_while(Result::ok)
        .find_map(|line| {
            line.strip_prefix("tree ")
                .map(|pids| pids.split(' ').map(|pid| pid.parse().unwrap()).collect())
        })
        .expect("the child printed no tree");
    // The emulator, the bootstrap, and its helper.
    assert_eq!(tree.len(), 3, "{tree:?}");

    // Killed: no destructor runs, and nothing is stopped by the child itself.
    child.kill().unwrap();
    child.wait().unwrap();
    let started = Instant::now();
    loop {
        let left: Vec<u32> = tree
            .iter()
            .copied()
            .filter(|pid| !process_tree(*pid).unwrap().is_empty())
            .collect();
        if left.is_empty() && running(&handler).is_empty() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{left:?} of {tree:?} still run 10 s after their parent was killed"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::fs::remove_dir_all(bootstrap.parent().unwrap()).unwrap();
}
