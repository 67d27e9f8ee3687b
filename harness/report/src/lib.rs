//! netreach-report: rendering of results for people and machines; knows nothing of clusters.

pub mod assess;
pub mod conformance;
mod display;
mod grid;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod plan;
pub mod reporter;
pub mod style;
pub mod terminal;
