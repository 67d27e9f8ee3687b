//! The probe and fixture flags `run` and `conformance` share, and the run options they give: the library's
//! defaults (netreach-core's `ProbeSettings`), overridden by the flags that were given.

use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use netreach_kube::{FixtureImages, Mode, RunOptions};

#[derive(Debug, Clone, Args)]
pub struct ProbeArgs {
    /// curl's connect timeout per probe [default: 2].
    #[arg(long, value_name = "SECONDS")]
    pub connect_timeout: Option<f64>,
    /// How long a cell may take to match after a phase's policies are applied [default: 30].
    #[arg(long, value_name = "SECONDS")]
    pub settle_timeout: Option<f64>,
    /// How long fixtures may take to become Ready [default: 120].
    #[arg(long, value_name = "SECONDS")]
    pub ready_timeout: Option<f64>,
    /// Execs in flight at once, each running all pending probes of one source pod [default: 32].
    #[arg(long, value_name = "N")]
    pub exec_concurrency: Option<usize>,
    /// Image of the source pods (needs sh and curl). Default: $NETREACH_PROBE_IMAGE, else a public curl image.
    #[arg(long)]
    pub probe_image: Option<String>,
    /// Image of the server pods (needs sh, httpd). Default: $NETREACH_SERVER_IMAGE, else public busybox.
    #[arg(long)]
    pub server_image: Option<String>,
}

impl ProbeArgs {
    /// The defaults, overridden by the flags that were given; bad values are errors naming the flag.
    pub fn run_options(&self, mode: Mode) -> anyhow::Result<RunOptions> {
        let mut images = FixtureImages::from_env();
        if let Some(image) = &self.probe_image {
            images.probe = image.clone();
        }
        if let Some(image) = &self.server_image {
            images.server = image.clone();
        }
        let mut options = RunOptions::new(images, mode);
        if let Some(value) = self.connect_timeout {
            options.probe.connect_timeout = seconds(value, "--connect-timeout")?;
        }
        if let Some(value) = self.settle_timeout {
            options.probe.timing.settle_timeout = seconds(value, "--settle-timeout")?;
        }
        if let Some(value) = self.ready_timeout {
            options.ready_timeout = seconds(value, "--ready-timeout")?;
        }
        if let Some(count) = self.exec_concurrency {
            if count == 0 {
                bail!("--exec-concurrency: must be at least 1");
            }
            options.probe.exec_concurrency = count;
        }
        Ok(options)
    }
}

fn seconds(value: f64, flag: &str) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| !d.is_zero())
        .with_context(|| format!("{flag}: must be a positive number of seconds"))
}
