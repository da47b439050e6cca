//! Built bootstraps that a test may trust: present, and at least as new as every source they are
//! built from. A test that ran an old binary would test code that no longer exists.

use crate::{TestingError, workspace_root};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// What every bootstrap is built from besides its own crate: the workspace manifest and lock
/// file, and the framework (`eventbridge-lambda` and its `#[handler]` macro).
const FRAMEWORK_INPUTS: [&str; 6] = [
    "Cargo.toml",
    "Cargo.lock",
    "shared/Cargo.toml",
    "shared/src",
    "shared/macros/Cargo.toml",
    "shared/macros/src",
];

/// Returns `bootstrap` when it exists and is newer than every source of the crates in
/// `crate_dirs` (each one's `Cargo.toml` and `src/`, relative to the workspace root) and of the
/// framework; otherwise an error that names `build`, the command that builds it.
///
/// # Errors
/// [`TestingError::NotBuilt`] when the file is missing, [`TestingError::StaleBootstrap`] when a
/// source changed after it was built, [`TestingError::Io`] when a source cannot be read.
pub fn fresh_bootstrap(
    bootstrap: &Path,
    crate_dirs: &[&str],
    build: &str,
) -> Result<PathBuf, TestingError> {
    let built = match std::fs::metadata(bootstrap) {
        Ok(metadata) if metadata.is_file() => metadata.modified()?,
        _ => {
            return Err(TestingError::NotBuilt {
                bootstrap: bootstrap.to_owned(),
                build: build.to_owned(),
            });
        }
    };
    let root = workspace_root();
    let mut inputs: Vec<PathBuf> = FRAMEWORK_INPUTS
        .iter()
        .map(|path| root.join(path))
        .collect();
    for dir in crate_dirs {
        inputs.push(root.join(dir).join("Cargo.toml"));
        inputs.push(root.join(dir).join("src"));
    }
    let mut newest: Option<(SystemTime, PathBuf)> = None;
    for input in inputs {
        newest_file(&input, &mut newest)?;
    }
    match newest {
        Some((changed, source)) if changed > built => Err(TestingError::StaleBootstrap {
            bootstrap: bootstrap.to_owned(),
            source_file: source,
            build: build.to_owned(),
        }),
        _ => Ok(bootstrap.to_owned()),
    }
}

/// Updates `newest` with the most recently modified file at or under `path`.
fn newest_file(path: &Path, newest: &mut Option<(SystemTime, PathBuf)>) -> std::io::Result<()> {
    let metadata = std::fs::metadata(path)?;
    if metadata.is_dir() {
        for entry in std::fs::read_dir(path)? {
            newest_file(&entry?.path(), newest)?;
        }
    } else {
        let modified = metadata.modified()?;
        if newest.as_ref().is_none_or(|(time, _)| modified > *time) {
            *newest = Some((modified, path.to_owned()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::time::Duration;

    fn set_modified(path: &Path, time: SystemTime) {
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(time)
            .unwrap();
    }

    #[test]
    fn a_bootstrap_older_than_a_source_is_refused_and_a_newer_one_accepted() {
        let dir = std::env::temp_dir().join(format!("fresh-bootstrap-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bootstrap = dir.join("bootstrap");
        std::fs::write(&bootstrap, b"\x7fELF").unwrap();
        let crate_dir = "shared/testing";
        let lib = workspace_root().join("shared/testing/src/lib.rs");
        let source_time = std::fs::metadata(&lib).unwrap().modified().unwrap();

        // Built before the newest source: refused, naming a source and the build command.
        set_modified(
            &bootstrap,
            source_time - Duration::from_secs(3600 * 24 * 365 * 20),
        );
        let error = fresh_bootstrap(&bootstrap, &[crate_dir], "make it").unwrap_err();
        assert!(
            matches!(&error, TestingError::StaleBootstrap { build, .. } if build == "make it"),
            "{error}"
        );
        assert!(error.to_string().contains("make it"), "{error}");

        // Built after every source: accepted.
        set_modified(&bootstrap, SystemTime::now() + Duration::from_secs(3600));
        assert_eq!(
            fresh_bootstrap(&bootstrap, &[crate_dir], "make it").unwrap(),
            bootstrap
        );

        // Missing: refused too.
        std::fs::remove_file(&bootstrap).unwrap();
        let error = fresh_bootstrap(&bootstrap, &[crate_dir], "make it").unwrap_err();
        assert!(matches!(error, TestingError::NotBuilt { .. }), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
