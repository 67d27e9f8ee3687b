//! netreach-report: rendering of results for people and machines; knows nothing of clusters.

pub mod truth_table;
