//! Label selectors: validation of `matchLabels`/`matchExpressions` and matching them against labels.

use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::error::Invalid;
use crate::names::{check_label_key, check_label_value};
use crate::world::Labels;

/// A compiled Kubernetes label selector: all requirements must hold (an empty one matches everything).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Selector {
    requirements: Vec<Requirement>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Requirement {
    key: String,
    op: Operator,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Operator {
    /// The key is present with one of the values (`matchLabels` entries are `In` with one value).
    In(Vec<String>),
    /// The key is absent, or present with none of the values.
    NotIn(Vec<String>),
    Exists,
    DoesNotExist,
}

impl Selector {
    /// The selector that matches everything (`{}`).
    pub(crate) fn everything() -> Self {
        Self {
            requirements: Vec::new(),
        }
    }

    /// Validates and compiles a selector found at `field`.
    pub(crate) fn compile(selector: &LabelSelector, field: &str) -> Result<Self, Invalid> {
        let mut requirements = Vec::new();
        for (key, value) in selector.match_labels.iter().flatten() {
            check_label_key(key)
                .and_then(|()| check_label_value(value))
                .map_err(|m| Invalid::new(format!("{field}.matchLabels.{key}"), m))?;
            requirements.push(Requirement {
                key: key.clone(),
                op: Operator::In(vec![value.clone()]),
            });
        }
        for (index, expression) in selector.match_expressions.iter().flatten().enumerate() {
            let here = format!("{field}.matchExpressions[{index}]");
            let values = expression.values.clone().unwrap_or_default();
            let op = match expression.operator.as_str() {
                "In" | "NotIn" if values.is_empty() => {
                    return Err(Invalid::new(
                        format!("{here}.values"),
                        format!("operator {} needs at least one value", expression.operator),
                    ));
                }
                "Exists" | "DoesNotExist" if !values.is_empty() => {
                    return Err(Invalid::new(
                        format!("{here}.values"),
                        format!("operator {} takes no values", expression.operator),
                    ));
                }
                "In" => Operator::In(values),
                "NotIn" => Operator::NotIn(values),
                "Exists" => Operator::Exists,
                "DoesNotExist" => Operator::DoesNotExist,
                other => {
                    return Err(Invalid::new(
                        format!("{here}.operator"),
                        format!(
                            "unknown operator {other:?} (expected In, NotIn, Exists or DoesNotExist)"
                        ),
                    ));
                }
            };
            if expression.key.is_empty() {
                return Err(Invalid::new(format!("{here}.key"), "key is empty"));
            }
            check_label_key(&expression.key).map_err(|m| Invalid::new(format!("{here}.key"), m))?;
            for (v, value) in expression.values.iter().flatten().enumerate() {
                check_label_value(value)
                    .map_err(|m| Invalid::new(format!("{here}.values[{v}]"), m))?;
            }
            requirements.push(Requirement {
                key: expression.key.clone(),
                op,
            });
        }
        Ok(Self { requirements })
    }

    /// Whether the selector is `{}` (matches everything).
    pub(crate) fn is_everything(&self) -> bool {
        self.requirements.is_empty()
    }

    /// Whether `labels` satisfy every requirement.
    pub(crate) fn matches(&self, labels: &Labels) -> bool {
        self.requirements.iter().all(|requirement| {
            let value = labels.get(&requirement.key);
            match &requirement.op {
                Operator::In(values) => value.is_some_and(|v| values.contains(v)),
                Operator::NotIn(values) => value.is_none_or(|v| !values.contains(v)),
                Operator::Exists => value.is_some(),
                Operator::DoesNotExist => value.is_none(),
            }
        })
    }
}

/// Kubernetes' string form: `app=web,tier in (a,b),!legacy`; `{}` for the empty selector.
impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.requirements.is_empty() {
            return f.write_str("{}");
        }
        for (index, requirement) in self.requirements.iter().enumerate() {
            if index > 0 {
                f.write_str(",")?;
            }
            let key = &requirement.key;
            match &requirement.op {
                Operator::In(values) if values.len() == 1 => write!(f, "{key}={}", values[0])?,
                Operator::In(values) => write!(f, "{key} in ({})", values.join(","))?,
                Operator::NotIn(values) => write!(f, "{key} notin ({})", values.join(","))?,
                Operator::Exists => write!(f, "{key}")?,
                Operator::DoesNotExist => write!(f, "!{key}")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn expression(key: &str, operator: &str, values: &[&str]) -> Selector {
        let selector = LabelSelector {
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: key.into(),
                operator: operator.into(),
                values: (!values.is_empty())
                    .then(|| values.iter().map(|v| v.to_string()).collect()),
            }]),
            match_labels: None,
        };
        Selector::compile(&selector, "s").expect("valid selector")
    }

    #[test]
    fn empty_selector_matches_everything() {
        let selector = Selector::compile(&LabelSelector::default(), "s").unwrap();
        assert!(selector.is_everything());
        assert!(selector.matches(&labels(&[])));
        assert!(selector.matches(&labels(&[("a", "b")])));
        assert_eq!(selector.to_string(), "{}");
    }

    #[test]
    fn match_labels_with_empty_value_needs_the_key() {
        let selector = Selector::compile(
            &LabelSelector {
                match_labels: Some([("k".to_string(), String::new())].into()),
                match_expressions: None,
            },
            "s",
        )
        .unwrap();
        assert!(selector.matches(&labels(&[("k", "")])));
        assert!(!selector.matches(&labels(&[])));
        assert!(!selector.matches(&labels(&[("k", "x")])));
    }

    #[test]
    fn not_in_matches_a_pod_lacking_the_key() {
        let selector = expression("tier", "NotIn", &["db"]);
        assert!(selector.matches(&labels(&[])));
        assert!(selector.matches(&labels(&[("tier", "web")])));
        assert!(!selector.matches(&labels(&[("tier", "db")])));
    }

    #[test]
    fn in_exists_and_does_not_exist() {
        let in_ = expression("tier", "In", &["db", "web"]);
        assert!(in_.matches(&labels(&[("tier", "web")])));
        assert!(!in_.matches(&labels(&[("tier", "x")])));
        assert!(!in_.matches(&labels(&[])));
        let exists = expression("tier", "Exists", &[]);
        assert!(exists.matches(&labels(&[("tier", "")])));
        assert!(!exists.matches(&labels(&[])));
        let absent = expression("tier", "DoesNotExist", &[]);
        assert!(absent.matches(&labels(&[])));
        assert!(!absent.matches(&labels(&[("tier", "")])));
    }

    #[test]
    fn bad_operators_and_values_are_rejected() {
        let compile = |operator: &str, values: Option<Vec<String>>| {
            Selector::compile(
                &LabelSelector {
                    match_expressions: Some(vec![LabelSelectorRequirement {
                        key: "k".into(),
                        operator: operator.into(),
                        values,
                    }]),
                    match_labels: None,
                },
                "spec.podSelector",
            )
        };
        let error = compile("in", Some(vec!["a".into()])).unwrap_err();
        assert_eq!(error.field, "spec.podSelector.matchExpressions[0].operator");
        assert!(compile("In", None).is_err());
        assert!(compile("NotIn", Some(vec![])).is_err());
        assert!(compile("Exists", Some(vec!["a".into()])).is_err());
        assert!(compile("DoesNotExist", None).is_ok());
    }

    #[test]
    fn display_uses_kubernetes_syntax() {
        let selector = Selector::compile(
            &LabelSelector {
                match_labels: Some([("app".to_string(), "web".to_string())].into()),
                match_expressions: Some(vec![
                    LabelSelectorRequirement {
                        key: "tier".into(),
                        operator: "NotIn".into(),
                        values: Some(vec!["a".into(), "b".into()]),
                    },
                    LabelSelectorRequirement {
                        key: "legacy".into(),
                        operator: "DoesNotExist".into(),
                        values: None,
                    },
                ]),
            },
            "s",
        )
        .unwrap();
        assert_eq!(selector.to_string(), "app=web,tier notin (a,b),!legacy");
    }
}
