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
//! assert!(config.region().is_some() || std::env::var("AWS_REGION").is_err());
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
/// ```no_run
/// # async fn demo() {
/// let config = eventbridge_lambda::aws::config_loader()
///     .endpoint_url("http://127.0.0.1:5000")
///     .region(aws_config::Region::new("us-east-1"))
///     .load()
///     .await;
/// # let _ = config;
/// # }
/// ```
pub fn config_loader() -> aws_config::ConfigLoader {
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https();
    aws_config::defaults(BehaviorVersion::latest()).http_client(http_client)
}
