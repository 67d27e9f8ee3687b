//! netreach-report: rendering of results for people and machines; knows nothing of clusters.

pub mod conformance;
mod grid;
pub mod plan;
pub mod truth_table;
