#![allow(clippy::unwrap_used, clippy::panic)]
use super::*;

/// A directory of its own under the temporary directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("discovery-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    /// Creates `relative` (and its directories) with `content`; returns its path.
    fn file(&self, relative: &str, content: &str) -> PathBuf {
        let path = self.0.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        path
    }

    fn dir(&self, relative: &str) -> PathBuf {
        let path = self.0.join(relative);
        std::fs::create_dir_all(&path).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn arch() -> &'static str {
    if cfg!(target_arch = "aarch64") {
        "arm64"
    } else {
        "x86_64"
    }
}

fn path_of(dirs: &[&Path]) -> Option<OsString> {
    Some(std::env::join_paths(dirs).unwrap())
}

#[test]
fn moto_server_is_taken_from_the_variable_then_the_project_venv_then_path() {
    let scratch = Scratch::new("moto-order");
    let venv_script = scratch.file("project/.venv/bin/moto_server", "#!/nowhere/python\n");
    let venv_python = scratch.file("project/.venv/bin/python", "");
    let on_path = scratch.file("tools/bin/moto_server", "");
    scratch.file("tools/bin/python", "");
    let chosen = scratch.file("chosen/moto_server", "");
    let chosen_python = scratch.file("chosen/python", "");
    let nested = scratch.dir("project/functions/email/src");
    let path = path_of(&[on_path.parent().unwrap()]);

    // From a subdirectory of the project, its .venv wins over PATH.
    let mut discovery = Discovery {
        current_dir: nested,
        path: path.clone(),
        ..Discovery::default()
    };
    let found = discovery.moto().unwrap();
    assert_eq!(found.script, venv_script);
    assert_eq!(found.python, venv_python);

    // The variable wins over both.
    discovery.moto_server = Some(chosen.clone().into());
    assert_eq!(
        discovery.moto().unwrap(),
        MotoInstall {
            script: chosen,
            python: chosen_python
        }
    );

    // Outside the project, PATH.
    let discovery = Discovery {
        current_dir: scratch.dir("elsewhere"),
        path,
        ..Discovery::default()
    };
    assert_eq!(discovery.moto().unwrap().script, on_path);
}

#[test]
fn moto_servers_python_comes_from_its_shebang_when_none_is_beside_it() {
    let scratch = Scratch::new("moto-shebang");
    let python = scratch.file("python3.12/bin/python3.12", "");
    let script = scratch.file(
        "bin/moto_server",
        &format!("#!{} -s\nimport moto\n", python.display()),
    );
    let discovery = Discovery {
        moto_server: Some(script.clone().into()),
        ..Discovery::default()
    };
    assert_eq!(discovery.moto().unwrap().python, python);

    // `#!/usr/bin/env python3`: the python3 of PATH.
    let env_python = scratch.file("other/python3", "");
    std::fs::write(&script, "#!/usr/bin/env python3\n").unwrap();
    let discovery = Discovery {
        moto_server: Some(script.clone().into()),
        path: path_of(&[&scratch.0.join("empty"), env_python.parent().unwrap()]),
        ..Discovery::default()
    };
    assert_eq!(discovery.moto().unwrap().python, env_python);

    // An interpreter that does not exist: not found, saying why.
    std::fs::write(&script, "#!/no/such/python\n").unwrap();
    let error = discovery.moto().unwrap_err();
    assert!(error.to_string().contains("no python beside it"), "{error}");
}

#[test]
fn missing_moto_names_every_place_and_how_to_install_it() {
    let scratch = Scratch::new("moto-missing");
    let discovery = Discovery {
        current_dir: scratch.dir("project"),
        path: path_of(&[&scratch.dir("bin")]),
        ..Discovery::default()
    };
    let error = discovery.moto().unwrap_err();
    let ProcessError::MotoNotFound { looked } = &error else {
        panic!("{error}");
    };
    assert_eq!(looked.len(), 2, "{looked:?}");
    let message = error.to_string();
    for expected in [
        ".venv/bin/moto_server in",
        "moto_server on PATH",
        ".venv/bin/pip install \"moto[server]\" aws-sam-cli",
        "MOTO_SERVER",
    ] {
        assert!(message.contains(expected), "{expected:?} in {message}");
    }

    // A variable naming nothing is an error, not a reason to look elsewhere.
    let discovery = Discovery {
        moto_server: Some(scratch.0.join("gone").into()),
        ..discovery
    };
    let message = discovery.moto().unwrap_err().to_string();
    assert!(message.contains("MOTO_SERVER="), "{message}");
}

#[test]
fn the_emulator_is_taken_from_the_variable_then_path_then_the_project_venv_then_sam() {
    let scratch = Scratch::new("rie-order");
    let rapid = format!("site-packages/samcli/local/rapid/aws-lambda-rie-{}", arch());
    let in_venv = scratch.file(&format!("project/.venv/lib/python3.11/{rapid}"), "");
    let in_sam_env = scratch.file(&format!("sam-env/lib/python3.13/{rapid}"), "");
    let sam = scratch.file("sam-env/bin/sam", "");
    let links = scratch.dir("links");
    std::os::unix::fs::symlink(&sam, links.join("sam")).unwrap();
    let on_path = scratch.file("rie-bin/aws-lambda-rie", "");
    let chosen = scratch.file("chosen/rie", "");

    let project = scratch.dir("project/functions");
    let mut discovery = Discovery {
        current_dir: project.clone(),
        path: path_of(&[&links, on_path.parent().unwrap()]),
        lambda_rie: Some(chosen.clone().into()),
        ..Discovery::default()
    };
    assert_eq!(discovery.rie().unwrap(), chosen);
    discovery.lambda_rie = None;
    assert_eq!(discovery.rie().unwrap(), on_path);
    discovery.path = path_of(&[&links]);
    assert_eq!(discovery.rie().unwrap(), in_venv);
    // Outside the project: the environment `sam` (a link) runs in.
    discovery.current_dir = scratch.dir("elsewhere");
    assert_eq!(discovery.rie().unwrap(), in_sam_env);
}

#[test]
fn a_missing_emulator_names_every_place_and_how_to_install_it() {
    let scratch = Scratch::new("rie-missing");
    // A project .venv without aws-sam-cli.
    scratch.dir("project/.venv/lib/python3.11/site-packages");
    let discovery = Discovery {
        current_dir: scratch.dir("project"),
        path: path_of(&[&scratch.dir("bin")]),
        ..Discovery::default()
    };
    let error = discovery.rie().unwrap_err();
    assert!(matches!(error, ProcessError::RieNotFound { .. }), "{error}");
    let message = error.to_string();
    for expected in [
        "aws-lambda-rie on PATH",
        "python3*/site-packages/samcli/local/rapid/aws-lambda-rie-",
        "sam on PATH",
        "pip install \"moto[server]\" aws-sam-cli",
        "LAMBDA_RIE",
    ] {
        assert!(message.contains(expected), "{expected:?} in {message}");
    }
    let discovery = Discovery {
        lambda_rie: Some(scratch.0.join("gone").into()),
        ..discovery
    };
    let message = discovery.rie().unwrap_err().to_string();
    assert!(message.contains("LAMBDA_RIE="), "{message}");
}
