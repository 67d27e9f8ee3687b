//! One module per subcommand.

pub mod cleanup;
pub mod cluster;
pub mod compare;
pub mod conformance;
pub mod explain;
pub mod offline;
pub mod ping;
pub mod plan;
pub mod run;
pub mod validate;
