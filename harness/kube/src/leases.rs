//! Coordination between runs through Leases (coordination.k8s.io) in the shared namespace `netreach-leases`: one
//! per run saying it is alive, and one per host port its hostNetwork servers bind, so runs needing the same port wait
//! for each other. A run renews its Leases every few seconds; one not renewed for [`DURATION_SECONDS`] is free.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::api::{DeleteParams, ListParams, PostParams};
use kube::{Api, Client};

use netreach_core::world::Protocol;

use crate::error::{Error, Result};
use crate::objects::MANAGED_BY;

/// The namespace of every Lease netreach holds (created on first use; `cleanup` never deletes it).
pub const LEASE_NAMESPACE: &str = "netreach-leases";
/// The label of the Lease namespace (with value `netreach`).
const PART_OF: &str = "app.kubernetes.io/part-of";
/// How long a Lease stays held without renewal.
pub const DURATION_SECONDS: i32 = 30;
/// How often a run renews its Leases.
const RENEW_EVERY: Duration = Duration::from_secs(10);
/// Label naming the Lease's kind: `run` or `host-port`.
const ROLE_LABEL: &str = "netreach.io/lease";

/// Name of the Lease that says run `run_id` is alive.
pub fn run_lease(run_id: &str) -> String {
    format!("run-{run_id}")
}

/// Name of the Lease of a port on the nodes' addresses.
pub fn host_port_lease(protocol: Protocol, port: u16) -> String {
    format!(
        "host-port-{}-{port}",
        protocol.as_api().to_ascii_lowercase()
    )
}

/// The holder of a Lease at `now`, if it is held (renewed less than its duration ago).
pub fn holder_at(lease: &Lease, now: Timestamp) -> Option<&str> {
    let spec = lease.spec.as_ref()?;
    let holder = spec.holder_identity.as_deref().filter(|h| !h.is_empty())?;
    let renewed = spec.renew_time.as_ref().or(spec.acquire_time.as_ref())?.0;
    let duration = SignedDuration::from_secs(i64::from(spec.lease_duration_seconds.unwrap_or(0)));
    (renewed + duration > now).then_some(holder)
}

/// The runs whose Lease is held now.
pub async fn live_runs(client: &Client) -> Result<BTreeSet<String>> {
    let api: Api<Lease> = Api::namespaced(client.clone(), LEASE_NAMESPACE);
    let listed = match api
        .list(&ListParams::default().labels(&format!("{ROLE_LABEL}=run")))
        .await
    {
        Ok(listed) => listed.items,
        Err(kube::Error::Api(status)) if status.code == 404 => return Ok(BTreeSet::new()),
        Err(e) => return Err(Error::api("listing netreach's Leases")(e)),
    };
    let now = Timestamp::now();
    Ok(listed
        .iter()
        .filter_map(|lease| holder_at(lease, now).map(str::to_owned))
        .collect())
}

/// Deletes the Leases `run_id` holds (its run Lease and its host ports), also expired ones.
pub async fn release_run(client: &Client, run_id: &str) -> Result<()> {
    let api: Api<Lease> = Api::namespaced(client.clone(), LEASE_NAMESPACE);
    let listed = match api.list(&ListParams::default().labels(ROLE_LABEL)).await {
        Ok(listed) => listed.items,
        Err(kube::Error::Api(status)) if status.code == 404 => return Ok(()),
        Err(e) => return Err(Error::api("listing netreach's Leases")(e)),
    };
    for lease in listed {
        let holder = lease
            .spec
            .as_ref()
            .and_then(|s| s.holder_identity.as_deref());
        if let (Some(name), true) = (&lease.metadata.name, holder == Some(run_id)) {
            delete(&api, name).await?;
        }
    }
    Ok(())
}

/// Deletes the Leases nobody holds any more (left by runs that were killed).
pub async fn delete_expired(client: &Client) -> Result<()> {
    let api: Api<Lease> = Api::namespaced(client.clone(), LEASE_NAMESPACE);
    let listed = match api.list(&ListParams::default().labels(ROLE_LABEL)).await {
        Ok(listed) => listed.items,
        Err(kube::Error::Api(status)) if status.code == 404 => return Ok(()),
        Err(e) => return Err(Error::api("listing netreach's Leases")(e)),
    };
    let now = Timestamp::now();
    for lease in listed.iter().filter(|l| holder_at(l, now).is_none()) {
        if let Some(name) = &lease.metadata.name {
            delete(&api, name).await?;
        }
    }
    Ok(())
}

async fn delete(api: &Api<Lease>, name: &str) -> Result<()> {
    match api.delete(name, &DeleteParams::default()).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(e) => Err(Error::api(format!(
            "deleting Lease {LEASE_NAMESPACE}/{name}"
        ))(e)),
    }
}

/// The Leases of one run: held from [`Self::start`] until [`Self::release`], renewed in the background.
pub struct RunLeases {
    client: Client,
    run_id: String,
    held: Arc<Mutex<BTreeSet<String>>>,
    renewer: tokio::task::JoinHandle<()>,
}

impl RunLeases {
    /// Takes the run's own Lease (creating netreach's Lease namespace if needed) and starts renewing.
    pub async fn start(client: &Client, run_id: &str) -> Result<Self> {
        ensure_namespace(client).await?;
        let api: Api<Lease> = Api::namespaced(client.clone(), LEASE_NAMESPACE);
        let name = run_lease(run_id);
        if try_take(&api, &name, run_id, "run").await?.is_err() {
            return Err(Error::Invalid(format!(
                "Lease {LEASE_NAMESPACE}/{name} is held by another process: is run {run_id} running twice?"
            )));
        }
        let held = Arc::new(Mutex::new(BTreeSet::from([name])));
        let renewer = tokio::spawn(renew_forever(api, run_id.to_owned(), held.clone()));
        Ok(Self {
            client: client.clone(),
            run_id: run_id.to_owned(),
            held,
            renewer,
        })
    }

    /// Takes the Lease of every port, waiting while another run holds one (at most `wait`, else an error naming the
    /// port and its holder). `waiting` is told once per port whose holder makes it wait.
    pub async fn take_host_ports(
        &self,
        ports: &[(Protocol, u16)],
        wait: Duration,
        waiting: &dyn Fn(String),
    ) -> Result<()> {
        let api: Api<Lease> = Api::namespaced(self.client.clone(), LEASE_NAMESPACE);
        let start = Instant::now();
        for (protocol, port) in ports {
            let name = host_port_lease(*protocol, *port);
            let mut told = false;
            loop {
                match try_take(&api, &name, &self.run_id, "host-port").await? {
                    Ok(()) => break,
                    Err(holder) => {
                        if start.elapsed() > wait {
                            return Err(Error::Invalid(format!(
                                "host port {port}/{protocol} is still in use by run {holder} after {}s (Lease \
                                 {LEASE_NAMESPACE}/{name}); runs whose hostNetwork servers bind the same port run \
                                 one at a time: wait, or stop that run (`netreach cleanup --run-id {holder}`)",
                                wait.as_secs()
                            )));
                        }
                        if !told {
                            waiting(format!(
                                "waiting for host port {port}/{protocol}: run {holder} holds it (Lease \
                                 {LEASE_NAMESPACE}/{name}; at most {}s)",
                                wait.as_secs()
                            ));
                            told = true;
                        }
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                }
            }
            if let Ok(mut held) = self.held.lock() {
                held.insert(name);
            }
        }
        Ok(())
    }

    /// Stops renewing and deletes every Lease of the run.
    pub async fn release(self) -> Result<()> {
        self.renewer.abort();
        let names: Vec<String> = self
            .held
            .lock()
            .map(|h| h.iter().cloned().collect())
            .unwrap_or_default();
        let api: Api<Lease> = Api::namespaced(self.client.clone(), LEASE_NAMESPACE);
        for name in names {
            delete(&api, &name).await?;
        }
        Ok(())
    }
}

impl Drop for RunLeases {
    fn drop(&mut self) {
        // Without `release` (a panic): stop renewing, the Leases expire after their duration.
        self.renewer.abort();
    }
}

/// Takes the Lease `name` for `run_id` when it is free, expired or already the run's; `Err(holder)` when another
/// run holds it. Conflicting writes (another run took it in between) are retried.
async fn try_take(
    api: &Api<Lease>,
    name: &str,
    run_id: &str,
    role: &str,
) -> Result<std::result::Result<(), String>> {
    loop {
        let now = Timestamp::now();
        let existing = api.get_opt(name).await.map_err(Error::api(format!(
            "reading Lease {LEASE_NAMESPACE}/{name}"
        )))?;
        let result = match existing {
            None => {
                api.create(
                    &PostParams::default(),
                    &lease(name, run_id, role, now, None),
                )
                .await
            }
            Some(found) => match holder_at(&found, now) {
                Some(holder) if holder != run_id => return Ok(Err(holder.to_owned())),
                _ => {
                    let version = found.metadata.resource_version.clone();
                    let fresh = lease(name, run_id, role, now, version);
                    api.replace(name, &PostParams::default(), &fresh).await
                }
            },
        };
        match result {
            Ok(_) => return Ok(Ok(())),
            // Created or renewed by someone else meanwhile: look again.
            Err(kube::Error::Api(status)) if status.code == 409 => continue,
            Err(e) => return Err(Error::api(format!("taking Lease {LEASE_NAMESPACE}/{name}"))(e)),
        }
    }
}

fn lease(name: &str, run_id: &str, role: &str, now: Timestamp, version: Option<String>) -> Lease {
    Lease {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            namespace: Some(LEASE_NAMESPACE.to_owned()),
            labels: Some(
                [
                    (MANAGED_BY.0.to_owned(), MANAGED_BY.1.to_owned()),
                    (ROLE_LABEL.to_owned(), role.to_owned()),
                ]
                .into(),
            ),
            resource_version: version,
            ..Default::default()
        },
        spec: Some(LeaseSpec {
            holder_identity: Some(run_id.to_owned()),
            lease_duration_seconds: Some(DURATION_SECONDS),
            acquire_time: Some(MicroTime(now)),
            renew_time: Some(MicroTime(now)),
            ..Default::default()
        }),
    }
}

/// Renews every held Lease still the run's, every [`RENEW_EVERY`], until aborted.
async fn renew_forever(api: Api<Lease>, run_id: String, held: Arc<Mutex<BTreeSet<String>>>) {
    loop {
        tokio::time::sleep(RENEW_EVERY).await;
        let names: Vec<String> = held
            .lock()
            .map(|h| h.iter().cloned().collect())
            .unwrap_or_default();
        for name in names {
            let Ok(Some(mut found)) = api.get_opt(&name).await else {
                continue;
            };
            let Some(spec) = found.spec.as_mut() else {
                continue;
            };
            if spec.holder_identity.as_deref() != Some(run_id.as_str()) {
                tracing::warn!(lease = %name, "Lease taken by another run");
                continue;
            }
            spec.renew_time = Some(MicroTime(Timestamp::now()));
            if let Err(e) = api.replace(&name, &PostParams::default(), &found).await {
                tracing::warn!(lease = %name, error = %e, "renewing Lease failed; retrying");
            }
        }
    }
}

/// Creates `netreach-leases` when missing. It is shared by every run and outlives them: labelled
/// `app.kubernetes.io/part-of=netreach`, not with the managed-by label of a run's objects, so no cleanup selects it and
/// it is not counted among a run's leftovers.
async fn ensure_namespace(client: &Client) -> Result<()> {
    let api: Api<Namespace> = Api::all(client.clone());
    if api
        .get_opt(LEASE_NAMESPACE)
        .await
        .map_err(Error::api("reading namespaces"))?
        .is_some()
    {
        return Ok(());
    }
    let namespace = Namespace {
        metadata: ObjectMeta {
            name: Some(LEASE_NAMESPACE.to_owned()),
            labels: Some([(PART_OF.to_owned(), MANAGED_BY.1.to_owned())].into()),
            ..Default::default()
        },
        ..Default::default()
    };
    match api.create(&PostParams::default(), &namespace).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(()),
        Err(e) => Err(Error::api(format!("creating namespace {LEASE_NAMESPACE}"))(
            e,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + seconds).unwrap()
    }

    #[test]
    fn a_lease_is_held_until_its_duration_passes_without_renewal() {
        let lease = lease("host-port-tcp-32000", "abcd1234", "host-port", at(0), None);
        assert_eq!(holder_at(&lease, at(0)), Some("abcd1234"));
        assert_eq!(holder_at(&lease, at(29)), Some("abcd1234"));
        assert_eq!(holder_at(&lease, at(30)), None);
        let mut released = lease.clone();
        released.spec.as_mut().unwrap().holder_identity = None;
        assert_eq!(holder_at(&released, at(1)), None);
    }

    #[test]
    fn lease_names_are_dns_labels() {
        for name in [
            run_lease("abcd1234"),
            host_port_lease(Protocol::Sctp, 65535),
        ] {
            assert!(
                netreach_core::names::check_dns_label(&name).is_ok(),
                "{name}"
            );
        }
    }
}
