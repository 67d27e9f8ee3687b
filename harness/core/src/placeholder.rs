//! Replacing placeholder addresses in policies' ipBlocks (and ClusterNetworkPolicies' `networks`) with the real
//! addresses found at run time.

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;
use k8s_openapi::api::networking::v1::{IPBlock, NetworkPolicy};

use crate::cluster_policy::ClusterNetworkPolicy;

/// Rewrites every ipBlock `cidr` and `except` whose written address is a placeholder, keeping the prefix length
/// (a host prefix of one family becomes the host prefix of the other when the families differ). A wider prefix
/// gives the network around the real address, in canonical form: `192.0.2.10/16` for 10.251.0.10 is `10.251.0.0/16`.
pub fn resolve_placeholders(
    policy: &NetworkPolicy,
    map: &BTreeMap<IpAddr, IpAddr>,
) -> NetworkPolicy {
    let mut policy = policy.clone();
    if let Some(spec) = policy.spec.as_mut() {
        let ingress = spec
            .ingress
            .iter_mut()
            .flatten()
            .flat_map(|r| r.from.iter_mut().flatten());
        let egress = spec
            .egress
            .iter_mut()
            .flatten()
            .flat_map(|r| r.to.iter_mut().flatten());
        for peer in ingress.chain(egress) {
            if let Some(block) = peer.ip_block.as_mut() {
                rewrite_block(block, map);
            }
        }
    }
    policy
}

/// Rewrites every CIDR of the egress `networks` peers whose written address is a placeholder, as for ipBlocks.
pub fn resolve_cluster_placeholders(
    policy: &ClusterNetworkPolicy,
    map: &BTreeMap<IpAddr, IpAddr>,
) -> ClusterNetworkPolicy {
    let mut policy = policy.clone();
    for rule in &mut policy.spec.egress {
        for peer in &mut rule.to {
            for cidr in peer.networks.iter_mut().flatten() {
                *cidr = rewrite_cidr(cidr, map);
            }
        }
    }
    policy
}

fn rewrite_block(block: &mut IPBlock, map: &BTreeMap<IpAddr, IpAddr>) {
    block.cidr = rewrite_cidr(&block.cidr, map);
    for except in block.except.iter_mut().flatten() {
        *except = rewrite_cidr(except, map);
    }
}

fn rewrite_cidr(cidr: &str, map: &BTreeMap<IpAddr, IpAddr>) -> String {
    let Ok(net) = cidr.parse::<IpNet>() else {
        return cidr.to_owned();
    };
    let Some(real) = map.get(&net.addr()) else {
        return cidr.to_owned();
    };
    let prefix = match (net, real) {
        (IpNet::V4(_), IpAddr::V4(_)) | (IpNet::V6(_), IpAddr::V6(_)) => net.prefix_len(),
        (_, IpAddr::V4(_)) => 32,
        (_, IpAddr::V6(_)) => 128,
    };
    IpNet::new(*real, prefix)
        .map(|n| n.trunc().to_string())
        .unwrap_or_else(|_| cidr.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(yaml: &str) -> NetworkPolicy {
        serde_saphyr::from_str(yaml).unwrap()
    }

    #[test]
    fn replaces_cidr_and_except_but_nothing_else() {
        let p = policy(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec:\n  podSelector: {}\n  egress:\n  - to:\n    - ipBlock: {cidr: 0.0.0.0/0, except: [192.168.100.21/32, 10.1.0.0/16]}\n    - ipBlock: {cidr: 192.168.100.21/32}\n",
        );
        let map = BTreeMap::from([(
            "192.168.100.21".parse().unwrap(),
            "10.99.0.5".parse().unwrap(),
        )]);
        let out = resolve_placeholders(&p, &map);
        let to = out.spec.unwrap().egress.unwrap()[0].to.clone().unwrap();
        let first = to[0].ip_block.clone().unwrap();
        assert_eq!(first.cidr, "0.0.0.0/0");
        assert_eq!(
            first.except.unwrap(),
            vec!["10.99.0.5/32".to_owned(), "10.1.0.0/16".to_owned()]
        );
        assert_eq!(to[1].ip_block.clone().unwrap().cidr, "10.99.0.5/32");
    }

    #[test]
    fn host_prefix_changes_family_with_the_address() {
        let map = BTreeMap::from([(
            "192.168.100.21".parse().unwrap(),
            "fd00::5".parse().unwrap(),
        )]);
        assert_eq!(rewrite_cidr("192.168.100.21/32", &map), "fd00::5/128");
    }

    #[test]
    fn wide_prefix_becomes_the_canonical_network_around_the_real_address() {
        let map = BTreeMap::from([(
            "192.0.2.10".parse().unwrap(),
            "10.251.0.10".parse().unwrap(),
        )]);
        assert_eq!(rewrite_cidr("192.0.2.10/16", &map), "10.251.0.0/16");
        assert_eq!(rewrite_cidr("192.0.2.10/12", &map), "10.240.0.0/12");
        assert_eq!(rewrite_cidr("192.0.2.0/24", &map), "192.0.2.0/24");
    }
}
