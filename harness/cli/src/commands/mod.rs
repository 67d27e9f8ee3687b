//! One module per subcommand.

pub mod cleanup;
pub mod explain;
pub mod ping;
pub mod plan;
pub mod run;
pub mod validate;
