//! `getroute` and `estimate_fee`: a route from the network graph, with our usable channels
//! (private ones included) as first hops, scored by the node's own scorer, exactly as LDK's
//! router would pick it when paying now. Nothing is sent.

use std::sync::Arc;

use bitcoin::secp256k1::PublicKey;
use lightning::routing::gossip::NodeId;
use lightning::routing::router::{find_route, PaymentParameters, Route, RouteParameters};
use lightning::routing::scoring::ProbabilisticScoringFeeParameters;
use lightning::sign::EntropySource;

use crate::node::{Node, NodeLogger};
use crate::service::payments::invoice_checks::parse_invoice;

use super::route::{direction, from_path};

/// CLN's default final CLTV delta for `getroute`.
pub const DEFAULT_FINAL_CLTV: u32 = 9;
/// LDK's own bound on a path's length.
const MAX_PATH_LENGTH: u8 = 27;

/// One of `getroute`'s exclusions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exclusion {
    /// A channel (CLN gives it with a direction; LDK avoids the channel both ways).
    Channel(u64),
    Node(PublicKey),
}

/// What `getroute` looks for.
#[derive(Debug, Clone)]
pub struct RouteQuery {
    pub id: PublicKey,
    pub amount_msat: u64,
    pub cltv: Option<u32>,
    pub fromid: Option<PublicKey>,
    pub exclude: Vec<Exclusion>,
    pub maxhops: Option<u32>,
}

/// One hop of a found route, in CLN's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutedHop {
    pub id: PublicKey,
    pub channel: u64,
    pub direction: u8,
    pub amount_msat: u64,
    pub delay: u32,
}

/// What `estimate_fee` prices.
#[derive(Debug, Clone)]
pub enum FeeQuery {
    Invoice {
        invoice: String,
        amount_msat: Option<u64>,
    },
    Destination {
        destination: PublicKey,
        amount_msat: u64,
    },
}

/// The price of paying now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeeEstimate {
    pub amount_msat: u64,
    pub fee_msat: u64,
    pub hops: u32,
    pub total_cltv: u32,
    pub destination: PublicKey,
}

/// Why no route was given.
#[derive(Debug, thiserror::Error)]
pub enum RoutingError {
    #[error("{0}")]
    InvalidRequest(String),
    /// CLN 205.
    #[error("Could not find a route: {0}")]
    RouteNotFound(String),
}

/// Finds a route like the node's router does, from our channels.
fn route(
    node: &Node,
    payee: PaymentParameters,
    amount_msat: u64,
    banned: &[NodeId],
) -> Result<Route, RoutingError> {
    if amount_msat == 0 {
        return Err(RoutingError::InvalidRequest(
            "amount_msat must be more than 0".to_string(),
        ));
    }
    let cm = node.channel_manager();
    let usable = cm.list_usable_channels();
    let first_hops: Vec<_> = usable.iter().collect();
    let params = RouteParameters::from_payment_params_and_value(payee, amount_msat);
    let mut score_params = ProbabilisticScoringFeeParameters::default();
    score_params.add_banned_from_list(banned.to_vec());
    let logger = Arc::new(NodeLogger::new("router".to_string()));
    let seed = node.keys_manager().get_secure_random_bytes();
    let scorer = node
        .scorer()
        .read()
        .map_err(|_| RoutingError::RouteNotFound("the scorer is unavailable".to_string()))?;
    find_route(
        &node.node_id(),
        &params,
        node.network_graph(),
        Some(&first_hops),
        logger,
        &*scorer,
        &score_params,
        &seed,
    )
    .map_err(|e| RoutingError::RouteNotFound(e.to_string()))
}

/// `getroute`: one path to `query.id` for `query.amount_msat`.
pub fn getroute(node: &Node, query: RouteQuery) -> Result<Vec<RoutedHop>, RoutingError> {
    let us = node.node_id();
    if query.fromid.is_some_and(|from| from != us) {
        return Err(RoutingError::InvalidRequest(
            "fromid: mmln finds routes from this node only".to_string(),
        ));
    }
    if query.id == us {
        return Err(RoutingError::InvalidRequest(
            "id is this node; payments to self are not supported".to_string(),
        ));
    }
    let mut payee =
        PaymentParameters::from_node_id(query.id, query.cltv.unwrap_or(DEFAULT_FINAL_CLTV))
            .with_max_path_count(1);
    if let Some(max) = query.maxhops {
        payee.max_path_length = u8::try_from(max)
            .unwrap_or(MAX_PATH_LENGTH)
            .min(MAX_PATH_LENGTH);
    }
    let mut banned = Vec::new();
    for exclusion in &query.exclude {
        match exclusion {
            Exclusion::Channel(scid) => payee.previously_failed_channels.push(*scid),
            Exclusion::Node(id) => banned.push(NodeId::from_pubkey(id)),
        }
    }
    let found = route(node, payee, query.amount_msat, &banned)?;
    let path = found
        .paths
        .first()
        .ok_or_else(|| RoutingError::RouteNotFound("the router found no path".to_string()))?;
    let mut from = us;
    Ok(from_path(path)
        .into_iter()
        .map(|hop| {
            let routed = RoutedHop {
                id: hop.id,
                channel: hop.channel,
                direction: direction(&from, &hop.id),
                amount_msat: hop.amount_msat,
                delay: hop.delay,
            };
            from = hop.id;
            routed
        })
        .collect())
}

/// `estimate_fee`: the routing fee and hops of the route LDK would take now.
pub fn estimate_fee(node: &Node, query: FeeQuery) -> Result<FeeEstimate, RoutingError> {
    let (payee, amount_msat, destination) = match query {
        FeeQuery::Invoice {
            invoice,
            amount_msat,
        } => {
            let invoice =
                parse_invoice(&invoice).map_err(|e| RoutingError::InvalidRequest(e.to_string()))?;
            let amount = match (invoice.amount_milli_satoshis(), amount_msat) {
                (Some(a), None) => a,
                (Some(a), Some(given)) if a == given => a,
                (Some(a), Some(given)) => {
                    return Err(RoutingError::InvalidRequest(format!(
                        "amount_msat {given} differs from the invoice's {a} msat"
                    )))
                }
                (None, Some(given)) => given,
                (None, None) => {
                    return Err(RoutingError::InvalidRequest(
                        "the invoice has no amount; give amount_msat".to_string(),
                    ))
                }
            };
            let destination = invoice.get_payee_pub_key();
            (
                PaymentParameters::from_bolt11_invoice(&invoice),
                amount,
                destination,
            )
        }
        FeeQuery::Destination {
            destination,
            amount_msat,
        } => (
            PaymentParameters::from_node_id(destination, DEFAULT_FINAL_CLTV),
            amount_msat,
            destination,
        ),
    };
    if destination == node.node_id() {
        return Err(RoutingError::InvalidRequest(
            "the destination is this node".to_string(),
        ));
    }
    let found = route(node, payee, amount_msat, &[])?;
    let hops = found.paths.iter().map(|p| p.hops.len()).max().unwrap_or(0);
    let total_cltv = found
        .paths
        .iter()
        .map(|p| p.hops.iter().map(|h| h.cltv_expiry_delta).sum::<u32>())
        .max()
        .unwrap_or(0);
    Ok(FeeEstimate {
        amount_msat,
        fee_msat: found.get_total_fees(),
        hops: u32::try_from(hops).unwrap_or(u32::MAX),
        total_cltv,
        destination,
    })
}
