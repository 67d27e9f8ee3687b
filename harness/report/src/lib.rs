//! netreach-report: rendering.
