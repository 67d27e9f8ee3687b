//! netreach-core: the pure core of netreach — suite model, cells, expectations, oracle and results; no cluster I/O.

pub mod cell;
pub mod oracle;
pub mod suite;
pub mod world;
