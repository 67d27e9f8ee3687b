//! netreach-kube: cluster I/O.
