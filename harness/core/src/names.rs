//! Kubernetes name and label syntax as the API server validates it: DNS labels, port names, label keys and label values.

use crate::world::Labels;

/// Names of namespaces, pods and destinations: a DNS label (RFC 1123).
pub fn check_dns_label(name: &str) -> Result<(), String> {
    if is_dns_label(name) {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not a DNS label (lowercase letters, digits, '-', at most 63)"
        ))
    }
}

/// A label key: an optional DNS subdomain prefix and `/`, then a name of at most 63 characters of letters, digits,
/// `-`, `_`, `.`, beginning and ending with a letter or digit.
pub fn check_label_key(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    let prefix_ok =
        prefix.is_none_or(|p| p.len() <= 253 && p.split('.').all(is_dns_label) && !p.is_empty());
    if prefix_ok && !name.is_empty() && is_qualified_name_part(name) {
        Ok(())
    } else {
        Err(format!(
            "{key:?} is not a valid label key ([prefix/]name: name at most 63 letters, digits, '-', '_', '.', \
             beginning and ending with a letter or digit; prefix a DNS subdomain)"
        ))
    }
}

/// A label value: empty, or at most 63 letters, digits, `-`, `_`, `.`, beginning and ending with a letter or digit.
pub fn check_label_value(value: &str) -> Result<(), String> {
    if value.is_empty() || is_qualified_name_part(value) {
        Ok(())
    } else {
        Err(format!(
            "{value:?} is not a valid label value (at most 63 letters, digits, '-', '_', '.', beginning and \
             ending with a letter or digit)"
        ))
    }
}

/// Checks every key and value; the error's first part is the offending key, for a field path such as
/// `labels.role`.
pub fn check_labels(labels: &Labels) -> Result<(), (String, String)> {
    for (key, value) in labels {
        check_label_key(key).map_err(|m| (key.clone(), m))?;
        check_label_value(value).map_err(|m| (key.clone(), m))?;
    }
    Ok(())
}

fn is_dns_label(name: &str) -> bool {
    label_shaped(name, 63)
}

/// A container port name (IANA_SVC_NAME): label-shaped, at most 15, with a letter and no '--'.
pub fn check_port_name(name: &str) -> Result<(), String> {
    if label_shaped(name, 15)
        && name.bytes().any(|b| b.is_ascii_lowercase())
        && !name.contains("--")
    {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not a port name (1-15 lowercase letters, digits and '-', with a letter)"
        ))
    }
}

/// Lowercase letters, digits and '-', not first nor last, 1 to `max` long: the shape of DNS labels and port names.
fn label_shaped(name: &str, max: usize) -> bool {
    (1..=max).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

fn is_qualified_name_part(text: &str) -> bool {
    let edge = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric());
    text.len() <= 63
        && edge(text.bytes().next())
        && edge(text.bytes().last())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_keys_follow_the_api_server() {
        for good in [
            "app",
            "role",
            "app.kubernetes.io/name",
            "kubernetes.io/metadata.name",
            "A_b.c-1",
        ] {
            assert!(check_label_key(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "-app",
            "app-",
            "bad key",
            "/app",
            "Example.com/app",
            "a/b/c",
            &"x".repeat(64),
        ] {
            assert!(check_label_key(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn label_values_follow_the_api_server() {
        for good in ["", "yes", "web", "v1.2_3-a", &"x".repeat(63)] {
            assert!(check_label_value(good).is_ok(), "{good}");
        }
        for bad in ["bad value!", "-web", "web.", "a/b", &"x".repeat(64)] {
            assert!(check_label_value(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dns_labels() {
        assert!(check_dns_label("metadata-access").is_ok());
        for bad in ["", "Pod1", "-a", "a-", "a.b", &"a".repeat(64)] {
            assert!(check_dns_label(bad).is_err(), "{bad}");
        }
    }
}
