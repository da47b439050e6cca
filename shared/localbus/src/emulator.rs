//! The template's functions as local processes: each function's bootstrap runs under its own
//! Lambda Runtime Interface Emulator (the emulator `sam local invoke` runs in its container,
//! shipped in the aws-sam-cli wheel), with the environment Lambda would give it. The binary
//! starts on the first invocation (a cold start) and stays warm for the rest of the run.
//!
//! Why the RIE and not `cargo lambda watch`: the RIE runs an already built bootstrap exactly as
//! Lambda does (one process per function, one invocation at a time, its START/END/REPORT
//! lines), while `watch` builds and serves sources and would rebuild per function.
//!
//! A bootstrap rebuilt while localbus runs (`cargo lambda build`, `cargo build`) is picked up at
//! its function's next delivery: [`Emulator::process`] sees that the file is not the one its
//! emulator started with and starts a new emulator in place of the old one (between two
//! invocations, never during one). [`Emulator::stop_all`] stops every function, bootstraps
//! included, and starts none after.

use crate::stack::{ResolveError, Stack};
use local_emulators::{ProcessError, Rie};
use sam_template::{Function, Template};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

/// Why a function cannot run.
#[derive(Debug, thiserror::Error)]
pub(crate) enum EmulatorError {
    /// The template names no such function.
    #[error("the template has no function {0}")]
    NoFunction(String),
    /// The function has no `Metadata.BuildProperties.Binary`.
    #[error("{0} has no Metadata.BuildProperties.Binary: localbus runs cargo-lambda binaries")]
    NoBinary(String),
    /// The bootstrap was not built.
    #[error(
        "{function}: no bootstrap at {} or {}; build the functions first: `cargo lambda build --release` (target/lambda), or `cargo build` with --functions-dir target/debug",
        nested.display(),
        flat.display()
    )]
    NotBuilt {
        /// The function.
        function: String,
        /// `<dir>/<binary>/bootstrap`, where cargo-lambda puts it.
        nested: PathBuf,
        /// `<dir>/<binary>`, where cargo puts it.
        flat: PathBuf,
    },
    /// The bootstrap was built for another processor.
    #[error(
        "{function}: {} is built for {found}, this machine runs {host} binaries; build for this machine (`cargo lambda build --release` without --arm64/--x86-64, or `cargo build`)",
        path.display()
    )]
    WrongArchitecture {
        /// The function.
        function: String,
        /// The bootstrap.
        path: PathBuf,
        /// The bootstrap's architecture.
        found: &'static str,
        /// This machine's.
        host: &'static str,
    },
    /// An environment variable's value cannot be computed.
    #[error("{function}: environment variable {variable}: {source}")]
    Environment {
        /// The function.
        function: String,
        /// The variable.
        variable: String,
        /// Why.
        #[source]
        source: ResolveError,
    },
    /// The functions were stopped ([`Emulator::stop_all`]): none starts again.
    #[error("{0}: not started, localbus is stopping")]
    Stopped(String),
    /// The emulator failed.
    #[error("{function}: {source}")]
    Emulator {
        /// The function.
        function: String,
        /// Why.
        #[source]
        source: ProcessError,
    },
}

/// Where function code runs against: a local endpoint, or AWS itself.
#[derive(Debug, Clone)]
pub(crate) enum Backend {
    /// Every AWS call goes to this endpoint (moto), with dummy credentials.
    Local {
        /// The endpoint URL.
        endpoint: String,
    },
    /// AWS calls go to AWS with the caller's own credentials and settings.
    Aws,
}

/// One invocation's result.
#[derive(Debug, Clone)]
pub(crate) struct Invocation {
    /// The response body (the function's result, or Lambda's error object).
    pub(crate) body: String,
    /// Whether the function failed (`X-Amz-Function-Error`).
    pub(crate) failed: bool,
    /// Wall-clock time of the invocation, cold start included.
    pub(crate) duration: Duration,
    /// What the function (and the emulator's START/END/REPORT lines) printed meanwhile.
    pub(crate) logs: Vec<String>,
}

impl Invocation {
    /// The body as JSON, or as a JSON string when it is not JSON.
    pub(crate) fn body_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|_| serde_json::Value::String(self.body.clone()))
    }
}

/// What tells one build of a bootstrap file from the next: a build writes a new file (a new
/// inode) or rewrites it (a new modification time, usually a new size).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Build {
    device: u64,
    inode: u64,
    size: u64,
    modified: Option<SystemTime>,
}

impl Build {
    /// The build at `path` now; `None` when there is no file (in the middle of a rebuild).
    fn of(path: &Path) -> Option<Build> {
        use std::os::unix::fs::MetadataExt;
        let metadata = std::fs::metadata(path).ok()?;
        Some(Build {
            device: metadata.dev(),
            inode: metadata.ino(),
            size: metadata.len(),
            modified: metadata.modified().ok(),
        })
    }
}

/// A function's emulator and the bootstrap build it runs.
#[derive(Debug)]
struct Running {
    rie: Rie,
    bootstrap: PathBuf,
    build: Option<Build>,
}

impl Running {
    /// Starts `bootstrap` under a new emulator.
    fn start(
        logical_id: &str,
        bootstrap: &Path,
        env: &[(String, String)],
    ) -> Result<Running, EmulatorError> {
        let build = Build::of(bootstrap);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let rie = Rie::start(bootstrap, &env).map_err(|source| EmulatorError::Emulator {
            function: logical_id.to_owned(),
            source,
        })?;
        Ok(Running {
            rie,
            bootstrap: bootstrap.to_owned(),
            build,
        })
    }

    /// Whether `bootstrap` is still the build this emulator runs. A file that is missing for
    /// the moment (a build replacing it) counts as unchanged.
    fn runs(&self, bootstrap: &Path) -> bool {
        self.bootstrap == bootstrap
            && Build::of(bootstrap).is_none_or(|now| Some(now) == self.build)
    }
}

/// A running function: its emulator, used by one invocation at a time.
#[derive(Debug)]
pub(crate) struct FunctionProcess {
    logical_id: String,
    running: Mutex<Running>,
}

impl FunctionProcess {
    /// The function's logical id.
    pub(crate) fn logical_id(&self) -> &str {
        &self.logical_id
    }

    /// The function's emulator, once the invocation in progress (if any) has ended.
    fn lock(&self) -> MutexGuard<'_, Running> {
        self.running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Replaces the emulator with a new one when `bootstrap` is not the build it runs (with the
    /// function's lock held: between two invocations). When the new one cannot start, the old
    /// one stays, and the next delivery tries again.
    fn restart_if_rebuilt(
        &self,
        bootstrap: &Path,
        environment: impl FnOnce() -> Result<Vec<(String, String)>, EmulatorError>,
    ) -> Result<(), EmulatorError> {
        let mut running = self.lock();
        if running.runs(bootstrap) {
            return Ok(());
        }
        let fresh = Running::start(&self.logical_id, bootstrap, &environment()?)?;
        // The old emulator and its bootstrap stop when dropped.
        drop(std::mem::replace(&mut *running, fresh));
        eprintln!(
            "localbus: {} changed on disk: {} restarted with the new build",
            bootstrap.display(),
            self.logical_id
        );
        Ok(())
    }

    /// Stops the emulator and its bootstrap (after the invocation in progress, if any).
    fn stop(&self) {
        self.lock().rie.stop();
    }

    /// Invokes the function with `payload` and waits for the result (a blocking call: run it
    /// with `spawn_blocking`).
    pub(crate) fn invoke(&self, payload: &[u8]) -> Result<Invocation, EmulatorError> {
        let running = self.lock();
        let rie = &running.rie;
        let offset = rie.log_len();
        let started = Instant::now();
        let answer = rie
            .invoke(payload)
            .map_err(|source| EmulatorError::Emulator {
                function: self.logical_id.clone(),
                source,
            })?;
        let duration = started.elapsed();
        // The REPORT line is written right after the response; give it a moment.
        let mut logs = rie.logs_since(offset);
        for _ in 0..20 {
            if logs.contains("REPORT RequestId") {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
            logs = rie.logs_since(offset);
        }
        Ok(Invocation {
            failed: answer.is_error(),
            body: answer.body,
            duration,
            logs: logs
                .lines()
                .filter(|line| !line.contains("(rapid)") && !line.trim().is_empty())
                .map(str::to_owned)
                .collect(),
        })
    }
}

/// The functions of one run, started on demand.
#[derive(Debug)]
pub(crate) struct Emulator {
    functions_dir: PathBuf,
    backend: Backend,
    /// Set for every function after the template's own (see [`Emulator::with_variables`]).
    variables: Vec<(String, String)>,
    running: Mutex<Processes>,
}

/// The started functions, by logical id.
#[derive(Debug, Default)]
struct Processes {
    by_function: BTreeMap<String, Arc<FunctionProcess>>,
    /// Set by [`Emulator::stop_all`]: no function starts after it.
    stopped: bool,
}

impl Emulator {
    /// Functions are found in `functions_dir` (`<dir>/<binary>/bootstrap` or `<dir>/<binary>`).
    pub(crate) fn new(functions_dir: PathBuf, backend: Backend) -> Emulator {
        Emulator {
            functions_dir,
            backend,
            variables: Vec::new(),
            running: Mutex::new(Processes::default()),
        }
    }

    /// Gives every function these environment variables too, after the template's (serve sets
    /// `AWS_ENDPOINT_URL_EVENTBRIDGE` to itself).
    pub(crate) fn with_variables(mut self, variables: Vec<(String, String)>) -> Emulator {
        self.variables = variables;
        self
    }

    /// The default place of built bootstraps: cargo-lambda's `target/lambda`, under
    /// `$CARGO_TARGET_DIR` when set.
    pub(crate) fn default_functions_dir() -> PathBuf {
        std::env::var_os("CARGO_TARGET_DIR")
            .map_or_else(|| PathBuf::from("target"), PathBuf::from)
            .join("lambda")
    }

    /// The running process of a function, started (under the emulator) on first use, and
    /// started again when its bootstrap changed on disk since (see the module docs).
    pub(crate) fn process(
        &self,
        template: &Template,
        stack: &Stack,
        logical_id: &str,
    ) -> Result<Arc<FunctionProcess>, EmulatorError> {
        let function = template
            .function(logical_id)
            .ok_or_else(|| EmulatorError::NoFunction(logical_id.to_owned()))?;
        let mut running = self.processes();
        if running.stopped {
            return Err(EmulatorError::Stopped(logical_id.to_owned()));
        }
        if let Some(process) = running.by_function.get(logical_id).map(Arc::clone) {
            // Other functions need not wait while this one's invocation ends.
            drop(running);
            let bootstrap = self.bootstrap(function)?;
            process.restart_if_rebuilt(&bootstrap, || self.environment(function, stack))?;
            return Ok(process);
        }
        let bootstrap = self.bootstrap(function)?;
        let env = self.environment(function, stack)?;
        let process = Arc::new(FunctionProcess {
            logical_id: logical_id.to_owned(),
            running: Mutex::new(Running::start(logical_id, &bootstrap, &env)?),
        });
        running
            .by_function
            .insert(logical_id.to_owned(), Arc::clone(&process));
        Ok(process)
    }

    /// Stops every function's emulator and bootstrap, each once its invocation in progress (if
    /// any) has ended; no function starts after this ([`EmulatorError::Stopped`]). For a clean
    /// exit on Ctrl-C or SIGTERM: the emulators run in process groups of their own, which the
    /// terminal's signals do not reach.
    pub(crate) fn stop_all(&self) {
        let stopping = {
            let mut running = self.processes();
            running.stopped = true;
            std::mem::take(&mut running.by_function)
        };
        for process in stopping.values() {
            process.stop();
        }
    }

    fn processes(&self) -> MutexGuard<'_, Processes> {
        self.running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn bootstrap(&self, function: &Function) -> Result<PathBuf, EmulatorError> {
        let binary = function
            .binary
            .as_deref()
            .ok_or_else(|| EmulatorError::NoBinary(function.logical_id.clone()))?;
        let nested = self.functions_dir.join(binary).join("bootstrap");
        let flat = self.functions_dir.join(binary);
        let path = if nested.is_file() {
            nested
        } else if flat.is_file() {
            flat
        } else {
            return Err(EmulatorError::NotBuilt {
                function: function.logical_id.clone(),
                nested,
                flat,
            });
        };
        // Lambda's arm64 build (the template's architecture) does not run on an x86_64 host.
        let host = std::env::consts::ARCH;
        if let Some(found) = elf_architecture(&path).filter(|found| *found != host) {
            return Err(EmulatorError::WrongArchitecture {
                function: function.logical_id.clone(),
                path,
                found,
                host,
            });
        }
        Ok(path)
    }

    /// The environment Lambda gives the function: its template variables (resolved), the
    /// function's name, memory, timeout and log format, the Region, and the AWS endpoint.
    fn environment(
        &self,
        function: &Function,
        stack: &Stack,
    ) -> Result<Vec<(String, String)>, EmulatorError> {
        let mut env = Vec::new();
        for (variable, expr) in &function.environment {
            let value = stack
                .resolve(expr)
                .map_err(|source| EmulatorError::Environment {
                    function: function.logical_id.clone(),
                    variable: variable.clone(),
                    source,
                })?;
            env.push((variable.clone(), value));
        }
        let name = stack
            .physical_name(&function.logical_id)
            .map_err(|source| EmulatorError::Environment {
                function: function.logical_id.clone(),
                variable: "AWS_LAMBDA_FUNCTION_NAME".into(),
                source,
            })?;
        env.push(("AWS_LAMBDA_FUNCTION_NAME".into(), name.to_owned()));
        env.push(("AWS_LAMBDA_FUNCTION_VERSION".into(), "$LATEST".into()));
        env.push((
            "AWS_LAMBDA_FUNCTION_TIMEOUT".into(),
            function.timeout.unwrap_or(3).to_string(),
        ));
        env.push((
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE".into(),
            function.memory_size.unwrap_or(128).to_string(),
        ));
        if function.log_format.as_deref() == Some("JSON") {
            env.push(("AWS_LAMBDA_LOG_FORMAT".into(), "JSON".into()));
        }
        env.push(("AWS_REGION".into(), stack.region().to_owned()));
        env.push(("AWS_DEFAULT_REGION".into(), stack.region().to_owned()));
        if let Backend::Local { endpoint } = &self.backend {
            env.push(("AWS_ENDPOINT_URL".into(), endpoint.clone()));
            env.push(("AWS_ACCESS_KEY_ID".into(), "testing".into()));
            env.push(("AWS_SECRET_ACCESS_KEY".into(), "testing".into()));
            env.push(("AWS_SESSION_TOKEN".into(), "testing".into()));
        }
        env.extend(self.variables.iter().cloned());
        Ok(env)
    }
}

/// The processor an ELF executable is built for (`x86_64`, `aarch64`), from its header.
fn elf_architecture(path: &std::path::Path) -> Option<&'static str> {
    use std::io::Read;
    let mut header = [0u8; 20];
    std::fs::File::open(path)
        .ok()?
        .read_exact(&mut header)
        .ok()?;
    if &header[..4] != b"\x7fELF" {
        return None;
    }
    match u16::from_le_bytes([header[18], header[19]]) {
        0x3e => Some("x86_64"),
        0xb7 => Some("aarch64"),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
