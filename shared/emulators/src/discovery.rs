//! Where moto server and the Lambda Runtime Interface Emulator are, found at run time: an
//! environment variable, the project's `.venv`, or `PATH`.

use crate::ProcessError;
use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

/// What the search for the local programs starts from: the current directory (whose `.venv`,
/// or an ancestor's, is the project's), the `PATH`, and the `MOTO_SERVER` and `LAMBDA_RIE`
/// variables. [`Discovery::from_env`] reads them from this process; a test builds one by hand.
///
/// ```
/// use local_emulators::Discovery;
/// let discovery = Discovery {
///     current_dir: "/no/such/project".into(),
///     path: None,
///     moto_server: None,
///     lambda_rie: None,
/// };
/// assert!(discovery.moto().unwrap_err().to_string().contains("pip install"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    /// The directory the project's `.venv` is looked for in (then in each of its ancestors).
    pub current_dir: PathBuf,
    /// The `PATH` to search, if any.
    pub path: Option<OsString>,
    /// `$MOTO_SERVER`: the `moto_server` script to use.
    pub moto_server: Option<OsString>,
    /// `$LAMBDA_RIE`: the emulator binary to use.
    pub lambda_rie: Option<OsString>,
}

/// A moto installation: the `moto_server` script, and the Python that has moto installed.
///
/// ```no_run
/// let moto = local_emulators::Discovery::from_env()?.moto()?;
/// println!("{} runs {}", moto.python.display(), moto.script.display());
/// # Ok::<(), local_emulators::ProcessError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MotoInstall {
    /// The `moto_server` script that was found.
    pub script: PathBuf,
    /// The Python that runs it: `python` beside it, else the interpreter of its `#!` line.
    pub python: PathBuf,
}

impl Discovery {
    /// The search as this process sees it: its current directory, `PATH`, `MOTO_SERVER` and
    /// `LAMBDA_RIE`.
    ///
    /// ```no_run
    /// let rie = local_emulators::Discovery::from_env()?.rie()?;
    /// println!("the emulator is {}", rie.display());
    /// # Ok::<(), local_emulators::ProcessError>(())
    /// ```
    ///
    /// # Errors
    /// When the current directory cannot be read.
    pub fn from_env() -> Result<Discovery, ProcessError> {
        Ok(Discovery {
            current_dir: std::env::current_dir()?,
            path: std::env::var_os("PATH"),
            moto_server: std::env::var_os("MOTO_SERVER"),
            lambda_rie: std::env::var_os("LAMBDA_RIE"),
        })
    }

    /// Finds moto server: `$MOTO_SERVER`, else `.venv/bin/moto_server` in the current directory
    /// or its nearest ancestor that has one, else `moto_server` on `PATH`; and the Python beside
    /// it (`python` in the same directory) or, failing that, the interpreter its `#!` line names.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("moto-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(dir.join(".venv/bin")).unwrap();
    /// # std::fs::write(dir.join(".venv/bin/moto_server"), "#!/usr/bin/python3\n").unwrap();
    /// # std::fs::write(dir.join(".venv/bin/python"), "").unwrap();
    /// let discovery = local_emulators::Discovery { current_dir: dir.join("src"), ..Default::default() };
    /// let moto = discovery.moto()?;
    /// assert_eq!(moto.python, dir.join(".venv/bin/python"));
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), local_emulators::ProcessError>(())
    /// ```
    ///
    /// # Errors
    /// [`ProcessError::MotoNotFound`], naming every place looked at, when there is none, or
    /// when no Python to run it is found.
    pub fn moto(&self) -> Result<MotoInstall, ProcessError> {
        let mut looked = Vec::new();
        let script = if let Some(script) = &self.moto_server {
            let script = PathBuf::from(script);
            if !script.is_file() {
                looked.push(format!("MOTO_SERVER={} (no such file)", script.display()));
                return Err(ProcessError::MotoNotFound { looked });
            }
            script
        } else if let Some(script) = self.in_project_venv("bin/moto_server", &mut looked) {
            script
        } else if let Some(script) = self.on_path("moto_server", &mut looked) {
            script
        } else {
            return Err(ProcessError::MotoNotFound { looked });
        };
        match self.python_for(&script) {
            Some(python) => Ok(MotoInstall { script, python }),
            None => {
                looked.push(format!(
                    "{} (no python beside it, and its #! line names no interpreter that exists)",
                    script.display()
                ));
                Err(ProcessError::MotoNotFound { looked })
            }
        }
    }

    /// Finds the Lambda Runtime Interface Emulator: `$LAMBDA_RIE`, else `aws-lambda-rie` on
    /// `PATH`, else the copy that ships in an aws-sam-cli install
    /// (`lib/python3*/site-packages/samcli/local/rapid/aws-lambda-rie-<arch>`): the project's
    /// `.venv` first, then the environment of the `sam` found on `PATH`.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("rie-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # std::fs::write(dir.join("aws-lambda-rie"), "").unwrap();
    /// let discovery = local_emulators::Discovery { path: Some(dir.clone().into()), ..Default::default() };
    /// assert_eq!(discovery.rie()?, dir.join("aws-lambda-rie"));
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), local_emulators::ProcessError>(())
    /// ```
    ///
    /// # Errors
    /// [`ProcessError::RieNotFound`], naming every place looked at, when there is none.
    pub fn rie(&self) -> Result<PathBuf, ProcessError> {
        let mut looked = Vec::new();
        if let Some(rie) = &self.lambda_rie {
            let rie = PathBuf::from(rie);
            if rie.is_file() {
                return Ok(rie);
            }
            looked.push(format!("LAMBDA_RIE={} (no such file)", rie.display()));
            return Err(ProcessError::RieNotFound { looked });
        }
        if let Some(rie) = self.on_path("aws-lambda-rie", &mut looked) {
            return Ok(rie);
        }
        if let Some(venv) = self.in_project_venv("", &mut looked)
            && let Some(rie) = sam_cli_rie(&venv, &mut looked)
        {
            return Ok(rie);
        }
        // The environment a `sam` on PATH runs in: `<environment>/bin/sam`, through its links
        // (Homebrew and the installer link `sam` from elsewhere).
        if let Some(sam) = self.on_path("sam", &mut looked)
            && let Some(environment) = std::fs::canonicalize(&sam)
                .ok()
                .and_then(|sam| Some(sam.parent()?.parent()?.to_owned()))
            && let Some(rie) = sam_cli_rie(&environment, &mut looked)
        {
            return Ok(rie);
        }
        Err(ProcessError::RieNotFound { looked })
    }

    /// `.venv/<file>` in the current directory or its nearest ancestor that has it.
    fn in_project_venv(&self, file: &str, looked: &mut Vec<String>) -> Option<PathBuf> {
        for dir in self.current_dir.ancestors() {
            let candidate = dir.join(".venv").join(file);
            if candidate.exists() {
                return Some(candidate);
            }
        }
        looked.push(format!(
            ".venv/{file} in {} and its ancestors",
            self.current_dir.display()
        ));
        None
    }

    /// The first file called `name` in a directory of the `PATH`.
    fn on_path(&self, name: &str, looked: &mut Vec<String>) -> Option<PathBuf> {
        let found = self.path.as_ref().and_then(|path| {
            std::env::split_paths(path)
                .map(|dir| dir.join(name))
                .find(|candidate| candidate.is_file())
        });
        if found.is_none() {
            looked.push(format!("{name} on PATH"));
        }
        found
    }

    /// The Python that runs `script`: `python` beside it, else its `#!` interpreter (through
    /// `PATH` for `#!/usr/bin/env python3`).
    fn python_for(&self, script: &Path) -> Option<PathBuf> {
        let beside = script.with_file_name("python");
        if beside.is_file() {
            return Some(beside);
        }
        let mut first_line = String::new();
        BufReader::new(std::fs::File::open(script).ok()?)
            .read_line(&mut first_line)
            .ok()?;
        let mut words = first_line.strip_prefix("#!")?.split_whitespace();
        let interpreter = PathBuf::from(words.next()?);
        if interpreter.file_name().is_some_and(|name| name == "env") {
            return self.on_path(words.next()?, &mut Vec::new());
        }
        interpreter.is_file().then_some(interpreter)
    }
}

/// The emulator binary for this processor that aws-sam-cli ships, in the Python environment at
/// `environment` (a virtual environment or an installation prefix).
fn sam_cli_rie(environment: &Path, looked: &mut Vec<String>) -> Option<PathBuf> {
    let arch = if cfg!(target_arch = "aarch64") {
        "arm64"
    } else {
        "x86_64"
    };
    let lib = environment.join("lib");
    let mut pythons: Vec<PathBuf> = std::fs::read_dir(&lib)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|python| {
            python
                .file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with("python3"))
        })
        .collect();
    pythons.sort();
    let found = pythons
        .iter()
        .map(|python| {
            python
                .join("site-packages/samcli/local/rapid")
                .join(format!("aws-lambda-rie-{arch}"))
        })
        .find(|candidate| candidate.is_file());
    if found.is_none() {
        looked.push(format!(
            "{}/python3*/site-packages/samcli/local/rapid/aws-lambda-rie-{arch}",
            lib.display()
        ));
    }
    found
}

#[cfg(test)]
mod tests;
