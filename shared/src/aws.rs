//! One SDK configuration for every AWS client a function uses (feature `aws`).
//!
//! [`sdk_config`] loads the standard configuration (credentials and Region from the Lambda
//! environment, `AWS_ENDPOINT_URL` overrides for local endpoints such as moto) with an HTTPS
//! client on rustls + ring, which builds faster and links smaller than the SDK's default
//! aws-lc provider (docs/benchmarks.md). Call it once, at cold start, in your `state` function.
//!
//! ```no_run
//! # async fn demo() {
//! let config = eventbridge_lambda::aws::sdk_config().await;
//! # let _ = config;
//! # }
//! ```

use aws_config::BehaviorVersion;

/// The shared SDK configuration type, re-exported so functions need no `aws-config` dependency.
pub use aws_config::SdkConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

/// Loads the SDK configuration from the environment, with the project's HTTPS client.
pub async fn sdk_config() -> SdkConfig {
    config_loader().load().await
}

/// The configuration loader behind [`sdk_config`], for callers that override more (an endpoint,
/// a Region, credentials):
///
/// ```
/// # fn main() -> Result<(), std::io::Error> {
/// # let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
/// # runtime.block_on(async {
/// let config = eventbridge_lambda::aws::config_loader()
///     .endpoint_url("http://127.0.0.1:5000")
///     .region(aws_config::Region::new("eu-west-1"))
///     .load()
///     .await;
/// assert_eq!(config.endpoint_url(), Some("http://127.0.0.1:5000"));
/// assert_eq!(config.region().map(|region| region.as_ref()), Some("eu-west-1"));
/// // The project's HTTPS client: aws-config is built without its default client, so without
/// // this loader's client there would be none.
/// assert!(config.http_client().is_some());
/// # });
/// # Ok(())
/// # }
/// ```
pub fn config_loader() -> aws_config::ConfigLoader {
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https();
    aws_config::defaults(BehaviorVersion::latest()).http_client(http_client)
}
