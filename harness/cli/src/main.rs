//! The netreach binary: parses arguments, runs one command, and maps every failure to a one-line error and exit 2.

mod args;
mod commands;
mod outputs;
mod probe_args;
mod signals;

use clap::Parser;

use crate::args::{Cli, Command};

fn main() {
    let cli = Cli::parse();
    init_tracing(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => exit_with_error(&anyhow::anyhow!("cannot start the async runtime: {error}")),
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Run(args) => commands::run::run(args, &cli.cluster, cli.quiet).await,
            Command::Validate(args) => commands::validate::validate(&args),
            Command::Plan(args) => commands::plan::plan(&args),
            Command::Explain(args) => commands::explain::explain(&args),
            Command::Cleanup { run_id } => {
                commands::cleanup::cleanup(&cli.cluster, run_id.as_deref()).await
            }
            Command::Ping => commands::ping::ping(&cli.cluster).await,
            Command::Conformance(args) => {
                commands::conformance::conformance(args, &cli.cluster, cli.quiet).await
            }
            Command::Compare { a, b, json } => commands::compare::compare(&a, &b, json),
        }
    });
    match result {
        Ok(code) => std::process::exit(code),
        Err(error) => exit_with_error(&error),
    }
}

/// Exit 2: the run could not be completed (bad input, cluster unreachable, fixtures not Ready, ...).
fn exit_with_error(error: &anyhow::Error) -> ! {
    let message = format!("{error:#}").replace('\n', " ");
    eprintln!("error: {message}");
    std::process::exit(2)
}

fn init_tracing(verbose: u8) {
    let level = match verbose {
        0 => return,
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(
            std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        )
        .try_init();
}
