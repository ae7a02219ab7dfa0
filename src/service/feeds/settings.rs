//! Feed settings: retention, webhook routes, the signing secret and the retry schedule.

use std::path::Path;
use std::time::Duration;

use crate::config::Config;
use crate::ledger::WebhookRoute;

/// Where the signing secret is kept when the config names none.
pub const WEBHOOK_SECRET_FILE: &str = "webhook_secret";
/// No delay between attempts grows past this, whatever the base.
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone)]
pub struct WebhookSettings {
    pub routes: Vec<WebhookRoute>,
    /// HMAC-SHA256 key of the `Mmln-Signature` header.
    pub secret: Vec<u8>,
    /// Hosts a per-call `webhook_url` may name (exact, case-insensitive).
    pub allowed_hosts: Vec<String>,
    /// The delay after the first failed attempt; each later one doubles it.
    pub retry_base: Duration,
    /// A delivery is given up once its next attempt would fall later than this after the event.
    pub retry_horizon: Duration,
    /// How long one POST may take.
    pub request_timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct FeedSettings {
    pub retention: Duration,
    pub webhooks: WebhookSettings,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read or create the webhook secret {path}: {source}")]
    SecretFile {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl FeedSettings {
    /// The settings a daemon runs with. Without a configured `webhook_secret`, one is created
    /// once in `<data_dir>/webhook_secret` (mode 0600) and reused.
    pub fn from_config(config: &Config) -> Result<FeedSettings, SettingsError> {
        let secret = match &config.webhook_secret {
            Some(secret) => secret.as_bytes().to_vec(),
            None => secret_from_file(&config.data_dir.join(WEBHOOK_SECRET_FILE))?,
        };
        let routes = config
            .webhook_urls
            .iter()
            .map(|u| WebhookRoute {
                url: u.url.clone(),
                kinds: u.kinds.clone(),
            })
            .collect();
        Ok(FeedSettings {
            retention: Duration::from_secs(u64::from(config.event_retention_days) * 86_400),
            webhooks: WebhookSettings {
                routes,
                secret,
                allowed_hosts: config.webhook_allowed_hosts.clone(),
                retry_base: Duration::from_millis(config.webhook_retry_base_ms),
                retry_horizon: Duration::from_secs(config.webhook_retry_horizon_secs),
                request_timeout: Duration::from_secs(config.webhook_timeout_secs),
            },
        })
    }
}

impl WebhookSettings {
    /// The delay after failed attempt number `attempt` (1-based): base, 2 base, 4 base, ...,
    /// at most [`MAX_RETRY_DELAY`].
    pub fn retry_delay(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.retry_base
            .checked_mul(factor)
            .unwrap_or(MAX_RETRY_DELAY)
            .min(MAX_RETRY_DELAY)
    }
}

fn secret_from_file(path: &Path) -> Result<Vec<u8>, SettingsError> {
    let failed = |source| SettingsError::SecretFile {
        path: path.display().to_string(),
        source,
    };
    match std::fs::read_to_string(path) {
        Ok(text) if !text.trim().is_empty() => return Ok(text.trim().as_bytes().to_vec()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(failed(e)),
    }
    let secret = hex::encode(rand::random::<[u8; 32]>());
    write_private(path, &secret).map_err(failed)?;
    tracing::info!(
        "created webhook signing secret {} (set webhook_secret to choose one)",
        path.display()
    );
    Ok(secret.into_bytes())
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_retry_delay_doubles_and_is_capped() {
        let mut s = FeedSettings::from_config(&Config {
            webhook_secret: Some("s".into()),
            ..Config::default()
        })
        .unwrap()
        .webhooks;
        s.retry_base = Duration::from_secs(1);
        assert_eq!(s.retry_delay(1), Duration::from_secs(1));
        assert_eq!(s.retry_delay(2), Duration::from_secs(2));
        assert_eq!(s.retry_delay(4), Duration::from_secs(8));
        assert_eq!(s.retry_delay(40), MAX_RETRY_DELAY);
    }

    #[test]
    fn a_generated_secret_is_kept_across_starts() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            data_dir: dir.path().to_path_buf(),
            ..Config::default()
        };
        let first = FeedSettings::from_config(&config).unwrap().webhooks.secret;
        let again = FeedSettings::from_config(&config).unwrap().webhooks.secret;
        assert_eq!(first, again);
        assert_eq!(first.len(), 64);
    }
}
