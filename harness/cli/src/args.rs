//! Command-line arguments: pure parsing with clap, no work done here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "netreach",
    version,
    about = "Reachability test harness for Kubernetes NetworkPolicy"
)]
pub struct Cli {
    /// Tracing logs on stderr (-v info, -vv debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// No progress lines on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Deploy fixtures, apply each phase's policies, probe the matrix and print truth tables.
    Run(RunArgs),
    /// Load and check a suite (and its manifests) without a cluster.
    Validate(ValidateArgs),
    /// Print the oracle's expected truth table of every phase, with no cluster at all.
    Plan(PlanArgs),
    /// Explain in plain words why one cell of a phase is allowed or denied.
    Explain(ExplainArgs),
    /// Check that the chosen cluster answers (exit 0), or say why not (exit 2).
    Ping,
    /// Delete every namespace and policy netreach runs left behind (only those labelled as netreach's), except
    /// those of runs still alive (their Lease is held).
    Cleanup {
        /// Remove this one run (alive or not): its namespaces, policies and Leases.
        #[arg(long, value_name = "ID")]
        run_id: Option<String>,
    },
    /// Run the conformance battery (every suite in a directory, chosen by tags) and write its report.
    Conformance(ConformanceArgs),
    /// Compare two conformance reports: each differing cell classified (implementation-defined, plugin deviation,
    /// not comparable, unexplained), exit 0 identical, 1 different.
    Compare {
        /// Report A (`netreach conformance --report`).
        a: PathBuf,
        /// Report B.
        b: PathBuf,
        /// Machine-readable output (schema `netreach.compare/v1`).
        #[arg(long)]
        json: bool,
    },
}

/// Which cluster, as kubectl chooses it; global, so they go before or after the subcommand.
#[derive(Debug, Args)]
pub struct ClusterArgs {
    /// Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then the pod's in-cluster ServiceAccount).
    #[arg(long, global = true)]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context (default: the current one).
    #[arg(long, global = true)]
    pub context: Option<String>,
}

/// Which implementation-defined choices the oracle assumes (see suites/profiles/ and docs/suite-format.md).
#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// A network plugin's profile (kube-router, cilium: suites/profiles/NAME.yaml); replaces the suite's `profile`.
    #[arg(long, value_name = "NAME")]
    pub profile_name: Option<String>,
    /// Override switches on top: `SWITCH=true|false`, comma-separated.
    #[arg(long, value_name = "SWITCH=BOOL,..")]
    pub profile: Option<String>,
}

impl ProfileArgs {
    /// The chosen profile; a wrong name or switch is a one-line error (exit 2).
    pub fn choice(&self) -> anyhow::Result<netreach_core::named_profile::ProfileChoice> {
        netreach_core::named_profile::ProfileChoice::from_flags(
            self.profile_name.as_deref(),
            self.profile.as_deref(),
        )
        .map_err(anyhow::Error::msg)
    }
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    pub suite: PathBuf,
    #[command(flatten)]
    pub profile: ProfileArgs,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    pub suite: PathBuf,
    /// Machine-readable output (schema `netreach.plan/v1`, see the README).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub profile: ProfileArgs,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    pub suite: PathBuf,
    /// Leave namespaces, pods and policies in place after the run (for debugging).
    #[arg(long)]
    pub keep: bool,
    /// Probe the pods already in this namespace (chosen by the suite's labels) instead of creating fixtures.
    #[arg(long, requires = "use_existing")]
    pub namespace: Option<String>,
    /// With --namespace: create, change and relabel nothing there (policies and servers are still netreach's).
    #[arg(long, requires = "namespace")]
    pub use_existing: bool,
    /// Exit 2 instead of warning when policies netreach did not write (in the --namespace, or cluster-wide) could
    /// change reachability.
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub profile: ProfileArgs,
    #[command(flatten)]
    pub probe: crate::probe_args::ProbeArgs,
    #[command(flatten)]
    pub outputs: crate::outputs::OutputArgs,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    pub suite: PathBuf,
    /// Phase name (or its 1-based number).
    #[arg(long)]
    pub phase: String,
    /// Source pod, as named in the suite.
    #[arg(long)]
    pub from: String,
    /// Destination, as named in the suite.
    #[arg(long)]
    pub to: String,
    /// Port to ask about (default: the destination's).
    #[arg(long)]
    pub port: Option<u16>,
    #[command(flatten)]
    pub profile: ProfileArgs,
}

#[derive(Debug, Args)]
pub struct ConformanceArgs {
    /// Directory of the battery's suites (its `*.yaml` files; subdirectories are not suites).
    #[arg(long, default_value = "suites/conformance")]
    pub dir: PathBuf,
    /// Run only the phases carrying one of these tags (comma-separated, e.g. `except,metadata`).
    #[arg(long, value_delimiter = ',')]
    pub tags: Vec<String>,
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Write the JSON report (schema `netreach.conformance/v1`) here, and the Markdown report beside it (`.md`).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Write the Markdown report here instead.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Write a JUnit XML report here: a testsuite per suite and phase, a testcase per cell (as `run --junit`).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Known deviations of the plugin (a YAML list of {suite, phase, from, to, port, observed, reason}).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Name of the network plugin and version, for the report (`kube-router v2.1.0`).
    #[arg(long)]
    pub plugin: Option<String>,
    /// Exit 2 instead of warning when cluster-wide policies netreach did not write could change reachability.
    #[arg(long)]
    pub strict: bool,
    /// Suites run at once, each in namespaces of its own (suites whose hostNetwork servers need the same host port
    /// wait for each other). 4 keeps a one- or two-node cluster responsive; 1 runs them one after the other.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,
    #[command(flatten)]
    pub probe: crate::probe_args::ProbeArgs,
}
