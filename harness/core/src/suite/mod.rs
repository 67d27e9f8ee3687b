//! Suites: the YAML format, its validation, and the model the rest of netreach consumes.

mod address;
mod error;
mod expect;
mod load;
mod manifest;
mod model;
mod spec;

pub use address::{Endpoint, parse_endpoint};
pub use error::SuiteError;
pub use load::{load_suite, load_suite_for_planning, load_suite_with_env};
pub use manifest::parse_cidr;
pub use model::*;
