//! What `send` and `invoke` share: the template deployed locally. By default a moto server on
//! a free loopback port stands in for AWS, and the template's buses, tables, queues and SES
//! identities are created in it; `--endpoint-url` uses a running local endpoint instead (and
//! provisions into it), `--aws` sends the functions' calls to AWS itself.

use crate::emulator::{Backend, Emulator};
use crate::provision::{self, Provisioned};
use crate::stack::{LOCAL_ACCOUNT, Stack};
use aws_config::SdkConfig;
use local_emulators::MotoServer;
use sam_template::Template;
use std::path::PathBuf;
use std::sync::Arc;

/// Options of a local deployment.
#[derive(Debug, clap::Args)]
pub(crate) struct DeployArgs {
    /// The SAM template.
    #[arg(long, value_name = "PATH", default_value = "template.yaml")]
    pub(crate) template: PathBuf,
    /// The local stack's name: resources without a name of their own are `<stack>-<LogicalId>`.
    #[arg(long, value_name = "NAME", default_value = "localbus")]
    pub(crate) stack_name: String,
    /// Template parameter values, like `sam deploy --parameter-overrides`.
    #[arg(long, value_name = "KEY=VALUE", num_args = 1.., value_parser = key_value)]
    pub(crate) parameter_overrides: Vec<(String, String)>,
    /// Where the built bootstraps are: `<DIR>/<binary>/bootstrap` (cargo lambda build) or
    /// `<DIR>/<binary>` (cargo build). Default: target/lambda (under $CARGO_TARGET_DIR if set).
    #[arg(long, value_name = "DIR")]
    pub(crate) functions_dir: Option<PathBuf>,
    /// Use this running local AWS endpoint (e.g. a moto server you started) instead of starting
    /// one; the template's resources are created in it.
    #[arg(long, value_name = "URL", conflicts_with = "aws")]
    pub(crate) endpoint_url: Option<String>,
    /// Run the functions against real AWS (your credentials and Region; nothing is created).
    /// Resources must exist under the names the template gives them; name the others with
    /// --physical-id.
    #[arg(long)]
    pub(crate) aws: bool,
    /// With --aws: the deployed name of a resource, e.g. DedupTable=prod-DedupTable-1X2Y3Z.
    #[arg(long, value_name = "LOGICAL_ID=NAME", value_parser = key_value, requires = "aws")]
    pub(crate) physical_id: Vec<(String, String)>,
    /// Items to put in the template's tables after creating them:
    /// `{"<TableLogicalId>": [{item}, …]}` (plain JSON).
    #[arg(long, value_name = "file://PATH", conflicts_with = "aws")]
    pub(crate) seed: Option<String>,
}

fn key_value(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("{text:?} is not KEY=VALUE"))
}

/// A deployed template, ready to run functions.
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) template: Arc<Template>,
    pub(crate) stack: Arc<Stack>,
    pub(crate) config: SdkConfig,
    pub(crate) emulator: Arc<Emulator>,
    /// Where AWS calls go, for the report.
    pub(crate) endpoint: String,
    pub(crate) provisioned: Option<Provisioned>,
    /// The server started for this run (stopped when the session ends).
    _moto: Option<MotoServer>,
}

impl Drop for Session {
    /// The session's functions stop with it, bootstraps included (before the moto server).
    fn drop(&mut self) {
        self.emulator.stop_all();
    }
}

impl Session {
    /// Reads the template and deploys it (see the module docs).
    pub(crate) async fn start(args: &DeployArgs) -> Result<Session, String> {
        Session::start_with(args, Vec::new()).await
    }

    /// [`Session::start`], with more environment variables for every function (serve points
    /// `AWS_ENDPOINT_URL_EVENTBRIDGE` back at itself).
    pub(crate) async fn start_with(
        args: &DeployArgs,
        variables: Vec<(String, String)>,
    ) -> Result<Session, String> {
        let template = Template::from_path(&args.template).map_err(|e| e.to_string())?;
        let functions_dir = args
            .functions_dir
            .clone()
            .unwrap_or_else(Emulator::default_functions_dir);
        if args.aws {
            let config = eventbridge_lambda::aws::sdk_config().await;
            let region = config
                .region()
                .map(ToString::to_string)
                .ok_or("--aws needs a Region (AWS_REGION or your profile)")?;
            let account = std::env::var("AWS_ACCOUNT_ID").unwrap_or_else(|_| LOCAL_ACCOUNT.into());
            let sqs = format!("https://sqs.{region}.amazonaws.com");
            let stack = Stack::new(
                &template,
                &args.stack_name,
                &region,
                &account,
                &sqs,
                &args.parameter_overrides,
            )
            .map_err(|e| e.to_string())?
            .with_physical_ids(&args.physical_id)
            .map_err(|e| e.to_string())?;
            // The account's real queue URLs (and so its account id); a queue that is not
            // there fails the delivery that needs it, with SQS's error.
            let sqs = aws_sdk_sqs::Client::new(&config);
            let mut urls = std::collections::BTreeMap::new();
            for (logical_id, name) in stack.queue_names() {
                if let Ok(output) = sqs.get_queue_url().queue_name(name).send().await
                    && let Some(url) = output.queue_url
                {
                    urls.insert(logical_id.to_owned(), url);
                }
            }
            let stack = stack.with_queue_urls(urls);
            return Ok(Session {
                template: Arc::new(template),
                stack: Arc::new(stack),
                config,
                emulator: Arc::new(
                    Emulator::new(functions_dir, Backend::Aws).with_variables(variables),
                ),
                endpoint: format!("AWS ({region})"),
                provisioned: None,
                _moto: None,
            });
        }
        let (moto, endpoint) = match &args.endpoint_url {
            Some(url) => (None, url.trim_end_matches('/').to_owned()),
            None => {
                let moto = tokio::task::spawn_blocking(MotoServer::start)
                    .await
                    .map_err(|e| e.to_string())?
                    .map_err(|e| format!("cannot start the local AWS endpoint: {e}"))?;
                let endpoint = moto.endpoint();
                (Some(moto), endpoint)
            }
        };
        let config = local_emulators::sdk_config(&endpoint).await;
        let stack = Stack::new(
            &template,
            &args.stack_name,
            "us-east-1",
            LOCAL_ACCOUNT,
            &endpoint,
            &args.parameter_overrides,
        )
        .map_err(|e| e.to_string())?;
        let mut provisioned = provision::provision(&config, &template, &stack)
            .await
            .map_err(|e| e.to_string())?;
        if let Some(seed) = &args.seed {
            let text = crate::input::load(seed)?;
            let value = serde_json::from_str(&text).map_err(|e| format!("seed {seed}: {e}"))?;
            provisioned.seed_items = provision::seed(&config, &stack, &value)
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok(Session {
            template: Arc::new(template),
            stack: Arc::new(stack),
            config,
            emulator: Arc::new(
                Emulator::new(
                    functions_dir,
                    Backend::Local {
                        endpoint: endpoint.clone(),
                    },
                )
                .with_variables(variables),
            ),
            endpoint,
            provisioned: Some(provisioned),
            _moto: moto,
        })
    }

    /// One line on where the run happens and what was created.
    pub(crate) fn describe(&self) -> String {
        match &self.provisioned {
            Some(p) => format!(
                "stack {} on {}: created {} event bus(es), {} table(s), {} queue(s), {} SES identity(-ies), {} seed item(s)",
                self.stack.name(),
                self.endpoint,
                p.buses,
                p.tables,
                p.queues,
                p.identities,
                p.seed_items
            ),
            None => format!("stack {} on {}", self.stack.name(), self.endpoint),
        }
    }
}
