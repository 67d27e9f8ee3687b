//! Lookups over the world that the oracle precomputes once: pods by name and by IP, namespace labels, node addresses.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::net::IpAddr;

use super::error::OracleError;
use crate::world::{Labels, PodInfo, World};

/// The label every namespace carries; synthesised for namespaces the world does not list.
const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// A fast non-cryptographic hasher for the name and IP lookups done on every decision
/// (the keys are the world's own names, so hash flooding is not a concern).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FastHasher(u64);

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word))
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// Precomputed views of a [`World`].
#[derive(Debug)]
pub(crate) struct WorldIndex<'w> {
    pub world: &'w World,
    by_name: FastMap<&'w str, FastMap<&'w str, usize>>,
    /// Pod IP (of either family) -> pod index, for non-hostNetwork pods whose IP no other pod has.
    by_ip: FastMap<IpAddr, usize>,
    namespace_labels: HashMap<&'w str, Labels>,
    node_addresses: HashSet<IpAddr, BuildHasherDefault<FastHasher>>,
    /// Per pod: whether its IP is a node address (it is hostNetwork, or a node has that IP).
    pub pod_on_node_ip: Vec<bool>,
}

impl<'w> WorldIndex<'w> {
    pub(crate) fn new(world: &'w World) -> Result<Self, OracleError> {
        let mut by_name: FastMap<&str, FastMap<&str, usize>> = FastMap::default();
        for (index, pod) in world.pods.iter().enumerate() {
            let names = by_name.entry(pod.namespace.as_str()).or_default();
            if names.insert(pod.name.as_str(), index).is_some() {
                return Err(OracleError::DuplicatePod {
                    namespace: pod.namespace.clone(),
                    name: pod.name.clone(),
                });
            }
        }
        let mut namespace_labels: HashMap<&str, Labels> = world
            .namespaces
            .iter()
            .map(|ns| (ns.name.as_str(), ns.labels.clone()))
            .collect();
        for pod in &world.pods {
            namespace_labels
                .entry(pod.namespace.as_str())
                .or_insert_with(|| {
                    Labels::from([(NAMESPACE_NAME_LABEL.to_string(), pod.namespace.clone())])
                });
        }
        let mut node_addresses: HashSet<IpAddr, BuildHasherDefault<FastHasher>> = world
            .nodes
            .iter()
            .flat_map(|node| node.addresses.iter().copied())
            .collect();
        node_addresses.extend(
            world
                .pods
                .iter()
                .filter(|p| p.host_network)
                .flat_map(PodInfo::addresses),
        );
        let pod_on_node_ip: Vec<bool> = world
            .pods
            .iter()
            .map(|p| p.host_network || node_addresses.contains(&p.ip))
            .collect();
        let mut by_ip: FastMap<IpAddr, usize> = FastMap::default();
        let mut shared: HashSet<IpAddr> = HashSet::new();
        for (index, pod) in world.pods.iter().enumerate() {
            if pod_on_node_ip[index] {
                continue;
            }
            for ip in pod.addresses() {
                if by_ip.insert(ip, index).is_some() {
                    shared.insert(ip);
                }
            }
        }
        by_ip.retain(|ip, _| !shared.contains(ip));
        Ok(Self {
            world,
            by_name,
            by_ip,
            namespace_labels,
            node_addresses,
            pod_on_node_ip,
        })
    }

    pub(crate) fn pods(&self) -> &'w [PodInfo] {
        &self.world.pods
    }

    pub(crate) fn pod_index(&self, namespace: &str, name: &str) -> Option<usize> {
        self.by_name.get(namespace)?.get(name).copied()
    }

    /// The pod that owns `ip` as one of its (non-node) pod IPs, if exactly one does.
    pub(crate) fn pod_by_ip(&self, ip: IpAddr) -> Option<usize> {
        self.by_ip.get(&ip).copied()
    }

    pub(crate) fn is_node_address(&self, ip: IpAddr) -> bool {
        self.node_addresses.contains(&ip)
    }

    /// Labels of the namespace of a pod of the world (always indexed).
    pub(crate) fn pod_namespace_labels(&self, pod: &PodInfo) -> Option<&Labels> {
        self.namespace_labels.get(pod.namespace.as_str())
    }
}
