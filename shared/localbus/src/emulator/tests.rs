//! The emulator's life cycle on a real bootstrap: the workspace's panicking-handler fixture,
//! which answers with its process id and how many events that process handled (built for this
//! machine by `scripts/build-host-bootstraps.sh`, in `target/debug`).
#![allow(clippy::unwrap_used, clippy::panic)]

use super::*;
use serde_json::{Value, json};

const TEMPLATE: &str = "
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  FixtureFunction:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: rust-cargolambda
      BuildProperties:
        Binary: fixture
    Properties:
      CodeUri: .
      Handler: bootstrap
      Runtime: provided.al2023
";

/// The fixture's host bootstrap: beside this test binary's directory (`target/debug/deps`).
fn fixture() -> PathBuf {
    let debug = std::env::current_exe()
        .unwrap()
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("panicking-handler");
    assert!(
        debug.is_file(),
        "no bootstrap at {}: build it with `bash scripts/build-host-bootstraps.sh`",
        debug.display()
    );
    debug
}

/// A functions directory of its own, where the template's `fixture` is a copy of the fixture.
struct Setup {
    dir: PathBuf,
    template: Template,
    stack: Stack,
    emulator: Emulator,
}

impl Setup {
    fn new(name: &str) -> Setup {
        let dir = std::env::temp_dir().join(format!("localbus-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(fixture(), dir.join("fixture")).unwrap();
        let template = Template::parse(TEMPLATE).unwrap();
        let stack = Stack::new(
            &template,
            "test",
            "us-east-1",
            "123456789012",
            "http://127.0.0.1:9",
            &[],
        )
        .unwrap();
        let emulator = Emulator::new(dir.clone(), Backend::Aws);
        Setup {
            dir,
            template,
            stack,
            emulator,
        }
    }

    /// Delivers one event to the function, through [`Emulator::process`] as every delivery
    /// does: `(pid, calls)` of the process that handled it.
    fn deliver(&self) -> (u64, u64) {
        let process = self
            .emulator
            .process(&self.template, &self.stack, "FixtureFunction")
            .unwrap();
        // A new id each time: the framework answers a repeated id without the handler.
        static DELIVERED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let id = DELIVERED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let event = json!({
            "version": "0", "id": format!("e-{id}"), "detail-type": "FixtureEvent",
            "source": "com.example.fixture", "account": "123456789012",
            "time": "2026-11-30T00:00:00Z", "region": "us-east-1", "resources": [],
            "detail": {}
        });
        let invocation = process
            .invoke(&serde_json::to_vec(&event).unwrap())
            .unwrap();
        let answer: Value = invocation.body_json();
        assert!(!invocation.failed, "{answer}");
        (
            answer["pid"].as_u64().unwrap(),
            answer["calls"].as_u64().unwrap(),
        )
    }

    /// Replaces the bootstrap as a build does: a new file moved over the old one. The new
    /// binary is the fixture with bytes appended (another file, which runs the same).
    fn rebuild(&self) {
        let mut bytes = std::fs::read(fixture()).unwrap();
        bytes.extend_from_slice(b"rebuilt");
        let fresh = self.dir.join("fixture.new");
        std::fs::write(&fresh, bytes).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fresh, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::rename(&fresh, self.dir.join("fixture")).unwrap();
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        self.emulator.stop_all();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Whether process `pid` runs.
fn runs(pid: u64) -> bool {
    !local_emulators::process_tree(u32::try_from(pid).unwrap())
        .unwrap()
        .is_empty()
}

#[test]
fn a_bootstrap_replaced_on_disk_runs_from_the_next_delivery_on() {
    let setup = Setup::new("reload");
    let (first, calls) = setup.deliver();
    assert_eq!(calls, 1);
    // Unchanged: the same warm process.
    assert_eq!(setup.deliver(), (first, 2));

    setup.rebuild();
    let (second, calls) = setup.deliver();
    assert_ne!(second, first);
    assert_eq!(calls, 1, "a new process handled it");
    assert!(!runs(first), "the old bootstrap still runs");
    // And that one stays warm until the next build.
    assert_eq!(setup.deliver(), (second, 2));
}

#[test]
fn stop_all_stops_every_bootstrap_and_starts_none_after() {
    let setup = Setup::new("stop-all");
    let (pid, _) = setup.deliver();
    assert!(runs(pid));
    setup.emulator.stop_all();
    assert!(!runs(pid), "the bootstrap outlived stop_all");
    let error = setup
        .emulator
        .process(&setup.template, &setup.stack, "FixtureFunction")
        .unwrap_err();
    assert!(matches!(error, EmulatorError::Stopped(_)), "{error}");
}
