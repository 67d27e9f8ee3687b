//! netreach-core: the pure core — suite model, cell matrix, settle rules, verdicts, oracle, results; no cluster I/O.

pub mod agent;
pub mod baseline;
pub mod cell;
pub mod cluster_policy;
pub mod compare;
pub mod conformance;
pub mod events;
pub mod isolation;
pub mod matrix;
pub mod named_profile;
pub mod names;
pub mod oracle;
pub mod placeholder;
pub mod placement;
pub mod plan;
pub mod provenance;
pub mod results;
pub mod settings;
pub mod settle;
pub mod suite;
pub mod verdict;
pub mod world;
