//! Probing from an outside source: asking its agent (agnhost netexec) over plain HTTP to dial each cell's address,
//! all cells of a batch at once; and checking once that the agent's connections leave from the declared address.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use futures::future::join_all;
use http_body_util::BodyExt;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use netreach_core::agent::{AGENT_DIAL_SECONDS, dial_path, dial_response, url_host_port};
use netreach_core::cell::{CellKey, Observation};
use netreach_core::world::Protocol;

use crate::prober::ProbeTarget;

/// What netreach waits for one `/dial` beyond the agent's own dial timeout.
const MARGIN: Duration = Duration::from_secs(3);

/// An HTTP client for agents (one per batch is cheap: no TLS, connections to one address).
fn client() -> Client<HttpConnector, String> {
    let mut connector = HttpConnector::new();
    connector.set_connect_timeout(Some(MARGIN));
    Client::builder(TokioExecutor::new()).build(connector)
}

/// `GET http://AGENT{path}`: the HTTP status and body, or why the agent could not be asked.
async fn get(
    client: &Client<HttpConnector, String>,
    agent: SocketAddr,
    path: &str,
) -> Result<(u16, String), String> {
    let uri = format!("http://{agent}{path}");
    let request = client.get(uri.parse().map_err(|e| format!("{uri}: {e}"))?);
    let limit = Duration::from_secs(AGENT_DIAL_SECONDS) + MARGIN;
    let response = tokio::time::timeout(limit, request)
        .await
        .map_err(|_| {
            format!(
                "the agent at {agent} did not answer within {}s",
                limit.as_secs()
            )
        })?
        .map_err(|e| format!("cannot ask the agent at {agent}: {e}"))?;
    let status = response.status().as_u16();
    let body = tokio::time::timeout(limit, response.into_body().collect())
        .await
        .map_err(|_| format!("the agent at {agent} did not finish its answer"))?
        .map_err(|e| format!("reading the agent's answer: {e}"))?
        .to_bytes();
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

/// Probes every target of a batch from the agent at `agent`, concurrently (each dial takes up to netexec's timeout).
pub async fn probe_from_agent(
    agent: SocketAddr,
    batch: &[&ProbeTarget],
) -> Vec<(CellKey, Observation)> {
    let client = client();
    let probes = batch.iter().map(|target| {
        let client = &client;
        async move {
            let observation = match url_host_port(&target.url) {
                None => Observation::Error {
                    message: format!("no address and port in {:?}", target.url),
                },
                Some((host, port)) => {
                    let path = dial_path("hostname", host, port, target.key.protocol);
                    match get(client, agent, &path).await {
                        Ok((status, body)) => Observation::from_dial(status, &body),
                        Err(message) => Observation::Error { message },
                    }
                }
            };
            (target.key.clone(), observation)
        }
    });
    join_all(probes).await
}

/// The address a netexec server at `server:port` sees the agent's TCP connections come from (`request=clientip`).
pub async fn client_ip_seen(
    agent: SocketAddr,
    server: IpAddr,
    port: u16,
) -> Result<IpAddr, String> {
    let path = dial_path("clientip", server, port, Protocol::Tcp);
    let (status, body) = get(&client(), agent, &path).await?;
    let seen = dial_response(&body)
        .filter(|_| status == 200)
        .ok_or_else(|| {
            format!(
                "the agent could not ask {server}:{port} for the client address: {}",
                body.trim()
            )
        })?;
    let address = seen.rsplit_once(':').map(|(ip, _)| ip).unwrap_or(&seen);
    address
        .trim_matches(['[', ']'])
        .parse()
        .map_err(|_| format!("{server}:{port} answered {seen:?}, not IP:PORT"))
}
