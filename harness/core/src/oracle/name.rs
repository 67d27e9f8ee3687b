//! `PolicyName`: a policy's `namespace/name`, cheap to clone into every decision.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A policy's `namespace/name`. Shared (reference-counted), so verdicts can name policies
/// without copying strings; serialises as a plain string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PolicyName(Arc<str>);

impl PolicyName {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The namespace part.
    pub fn namespace(&self) -> &str {
        self.0.split_once('/').map_or("", |(ns, _)| ns)
    }

    /// The name part.
    pub fn name(&self) -> &str {
        self.0.split_once('/').map_or(&self.0, |(_, name)| name)
    }
}

impl fmt::Display for PolicyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for PolicyName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for PolicyName {
    fn from(value: &str) -> Self {
        Self(Arc::from(value))
    }
}

impl From<String> for PolicyName {
    fn from(value: String) -> Self {
        Self(Arc::from(value))
    }
}

impl PartialEq<str> for PolicyName {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for PolicyName {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl Serialize for PolicyName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for PolicyName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::from)
    }
}

#[cfg(test)]
mod tests {
    use super::PolicyName;

    #[test]
    fn splits_and_serialises_as_a_string() {
        let name = PolicyName::from("metadata-access/metadata-deny");
        assert_eq!(name.namespace(), "metadata-access");
        assert_eq!(name.name(), "metadata-deny");
        assert_eq!(name, "metadata-access/metadata-deny");
        let json = serde_json::to_string(&name).expect("serialise");
        assert_eq!(json, "\"metadata-access/metadata-deny\"");
        let back: PolicyName = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back, name);
    }
}
