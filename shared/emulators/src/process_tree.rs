//! Stopping a process together with everything it started. The Lambda Runtime Interface
//! Emulator starts its bootstrap as its child but in a process group of the bootstrap's own (so
//! that it can stop the bootstrap's group itself): killing the emulator alone, or the emulator's
//! group alone, leaves the bootstrap running. So the emulator leads a group of its own, and
//! stopping it signals that group and the group of every process below it. Read from `/proc`:
//! Linux only, as the emulator is.

use std::collections::BTreeMap;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// How long the processes get to end after `SIGTERM` before they are killed.
const GRACE: Duration = Duration::from_secs(2);

/// What `/proc/<pid>/stat` says of a process that runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Running {
    parent: u32,
    group: u32,
}

/// Every process that runs, by id (processes that have ended and only wait for their parent to
/// collect their status, zombies, do not run and are left out).
fn running_processes() -> std::io::Result<BTreeMap<u32, Running>> {
    let mut processes = BTreeMap::new();
    for entry in std::fs::read_dir("/proc")? {
        let entry = entry?;
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<u32>().ok())
        else {
            continue;
        };
        // A process that ended between listing and reading does not run.
        if let Ok(stat) = std::fs::read_to_string(entry.path().join("stat"))
            && let Some((state, running)) = parse_stat(&stat)
            && state != "Z"
        {
            processes.insert(pid, running);
        }
    }
    Ok(processes)
}

/// The state, parent and process group of a `/proc/<pid>/stat` line: `pid (comm) state ppid
/// pgrp …`, where `comm` may hold spaces and parentheses (so fields count from its last `)`).
fn parse_stat(stat: &str) -> Option<(&str, Running)> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace();
    let state = fields.next()?;
    let parent = fields.next()?.parse().ok()?;
    let group = fields.next()?.parse().ok()?;
    Some((state, Running { parent, group }))
}

/// `root` and every process below it that runs, `root` first.
///
/// ```no_run
/// let rie = local_emulators::Rie::start(std::path::Path::new("target/debug/email"), &[])?;
/// rie.invoke(b"{}")?;
/// // The emulator and the bootstrap it started.
/// assert!(local_emulators::process_tree(rie.pid())?.len() >= 2);
/// # Ok::<(), local_emulators::ProcessError>(())
/// ```
///
/// # Errors
/// When `/proc` cannot be read.
pub fn process_tree(root: u32) -> std::io::Result<Vec<u32>> {
    Ok(tree_of(root, &running_processes()?))
}

fn tree_of(root: u32, processes: &BTreeMap<u32, Running>) -> Vec<u32> {
    let mut tree = Vec::new();
    if processes.contains_key(&root) {
        tree.push(root);
    }
    let mut next = 0;
    while next < tree.len() {
        let parent = tree[next];
        tree.extend(
            processes
                .iter()
                .filter(|(_, process)| process.parent == parent)
                .map(|(pid, _)| *pid),
        );
        next += 1;
    }
    tree
}

/// The process groups of `leader`'s tree (its own first), never the caller's own group.
fn groups_of(leader: u32, processes: &BTreeMap<u32, Running>) -> Vec<u32> {
    let own = processes
        .get(&std::process::id())
        .map(|process| process.group);
    let mut groups = vec![leader];
    for pid in tree_of(leader, processes) {
        if let Some(process) = processes.get(&pid)
            && !groups.contains(&process.group)
            && Some(process.group) != own
        {
            groups.push(process.group);
        }
    }
    groups
}

/// Stops `leader`, a child started as the leader of its own process group, and every process
/// below it: `SIGTERM` to each of their process groups, up to [`GRACE`] for all of those to
/// end, then `SIGKILL` to the groups where a process remains; `leader`'s status is collected.
/// Signals are sent with the `kill` command (this crate has no unsafe code to call `kill(2)`).
pub(crate) fn stop_tree(leader: &mut Child) {
    let groups = groups_of(leader.id(), &running_processes().unwrap_or_default());
    for group in &groups {
        signal_group(*group, "TERM");
    }
    let deadline = Instant::now() + GRACE;
    loop {
        // Collecting the leader's status turns it from a zombie into nothing.
        let _ = leader.try_wait();
        let processes = running_processes().unwrap_or_default();
        let remaining: Vec<u32> = groups
            .iter()
            .copied()
            .filter(|group| processes.values().any(|process| process.group == *group))
            .collect();
        if remaining.is_empty() {
            break;
        }
        if Instant::now() >= deadline {
            for group in remaining {
                signal_group(group, "KILL");
            }
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = leader.wait();
}

/// Starts a watchdog in process group `group` (led by a child of ours) that stops that group
/// when this process is gone, even killed: `SIGTERM` to the groups the leader's children lead
/// (the emulator's bootstrap leads a group of its own), to those children, and to the group. A group of its own does not get the
/// terminal's Ctrl-C, so without the watchdog it would outlive a localbus stopped that way.
/// It checks once a second; [`stop_tree`] ends it with the rest of the group.
pub(crate) fn watchdog(group: u32) -> std::io::Result<Child> {
    use std::os::unix::process::CommandExt;
    // The shell's own `kill` takes no `--`: `-N` after the signal is a group.
    let script = format!(
        "while kill -0 {parent} 2>/dev/null && kill -0 {group} 2>/dev/null; do sleep 1; done; \
         for child in $(pgrep -P {group}); do kill -TERM -$child $child; done 2>/dev/null; \
         kill -TERM -{group} 2>/dev/null",
        parent = std::process::id()
    );
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .process_group(i32::try_from(group).unwrap_or(0))
        .spawn()
}

/// Sends `SIG<signal>` to every process of `group`.
fn signal_group(group: u32, signal: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg("--")
        .arg(format!("-{group}"))
        .stderr(std::process::Stdio::null())
        .status();
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::os::unix::process::CommandExt;

    #[test]
    fn a_stat_line_gives_state_parent_and_group_even_with_parentheses_in_the_name() {
        let stat = "4242 (boot (strap) x) S 4200 4201 4201 0 -1 4194560 110 0 0 0";
        assert_eq!(
            parse_stat(stat),
            Some((
                "S",
                Running {
                    parent: 4200,
                    group: 4201
                }
            ))
        );
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn the_groups_of_a_tree_are_its_leaders_and_its_descendants_but_never_ours() {
        let ours = std::process::id();
        let processes = BTreeMap::from([
            (
                ours,
                Running {
                    parent: 1,
                    group: ours,
                },
            ),
            (
                10,
                Running {
                    parent: ours,
                    group: 10,
                },
            ),
            // Started by 10 in a group of its own, like the emulator's bootstrap.
            (
                11,
                Running {
                    parent: 10,
                    group: 11,
                },
            ),
            // Started by 11 in our group: left alone, or we would signal ourselves.
            (
                12,
                Running {
                    parent: 11,
                    group: ours,
                },
            ),
            (
                13,
                Running {
                    parent: 12,
                    group: 13,
                },
            ),
            // Not in the tree.
            (
                20,
                Running {
                    parent: 1,
                    group: 20,
                },
            ),
        ]);
        assert_eq!(tree_of(10, &processes), vec![10, 11, 12, 13]);
        assert_eq!(groups_of(10, &processes), vec![10, 11, 13]);
    }

    #[test]
    fn stopping_a_tree_ends_the_processes_of_every_group_in_it() {
        // A shell that ignores SIGTERM, with a child in a group of its own (as the emulator's
        // bootstrap is): only SIGKILL after the grace period ends the shell, SIGTERM the child.
        let mut leader = Command::new("sh")
            .arg("-c")
            .arg("setsid sleep 300 & trap '' TERM; while :; do sleep 1; done")
            .process_group(0)
            .spawn()
            .unwrap();
        let started = Instant::now();
        let leader_pid = leader.id();
        let tree = loop {
            let processes = running_processes().unwrap();
            let groups = groups_of(leader_pid, &processes);
            if groups.len() >= 2 {
                break tree_of(leader_pid, &processes);
            }
            assert!(started.elapsed() < Duration::from_secs(10), "never started");
            std::thread::sleep(Duration::from_millis(10));
        };
        stop_tree(&mut leader);
        let processes = running_processes().unwrap();
        let left: Vec<&u32> = tree
            .iter()
            .filter(|pid| processes.contains_key(pid))
            .collect();
        assert!(left.is_empty(), "{left:?} of {tree:?} still run");
    }
}
