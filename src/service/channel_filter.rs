//! Filters over open channels (live, from the node) and closed ones (the history), with
//! KDF's field names and semantics: absent fields match everything, `from_`/`to_` bounds are
//! inclusive.

use crate::ledger::ChannelRecord;
use crate::node::ChannelInfo;

use super::filter::in_range;

/// KDF's `OpenChannelsFilter`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenChannelsFilter {
    pub channel_id: Option<String>,
    pub counterparty_node_id: Option<String>,
    pub funding_tx: Option<String>,
    pub from_funding_value_sats: Option<u64>,
    pub to_funding_value_sats: Option<u64>,
    pub is_outbound: Option<bool>,
    pub from_balance_msat: Option<u64>,
    pub to_balance_msat: Option<u64>,
    pub from_outbound_capacity_msat: Option<u64>,
    pub to_outbound_capacity_msat: Option<u64>,
    pub from_inbound_capacity_msat: Option<u64>,
    pub to_inbound_capacity_msat: Option<u64>,
    /// Funding has its required confirmations.
    pub confirmed: Option<bool>,
    pub is_ready: Option<bool>,
    pub is_usable: Option<bool>,
    pub is_public: Option<bool>,
}

fn eq_opt<T: PartialEq + ?Sized>(want: Option<&T>, have: &T) -> bool {
    want.is_none_or(|w| w == have)
}

impl OpenChannelsFilter {
    pub fn matches(&self, c: &ChannelInfo) -> bool {
        let confirmed = match (c.confirmations, c.confirmations_required) {
            (Some(have), Some(need)) => have >= need,
            (_, None) => c.is_channel_ready,
            (None, Some(_)) => false,
        };
        eq_opt(
            self.channel_id.as_deref(),
            c.channel_id.to_string().as_str(),
        ) && eq_opt(
            self.counterparty_node_id.as_deref(),
            c.counterparty.to_string().as_str(),
        ) && self
            .funding_tx
            .as_deref()
            .is_none_or(|f| c.funding_txo.map(|o| o.txid.to_string()).as_deref() == Some(f))
            && in_range(
                c.capacity_sat,
                self.from_funding_value_sats,
                self.to_funding_value_sats,
            )
            && eq_opt(self.is_outbound.as_ref(), &c.is_outbound)
            && in_range(c.balance_msat, self.from_balance_msat, self.to_balance_msat)
            && in_range(
                c.outbound_capacity_msat,
                self.from_outbound_capacity_msat,
                self.to_outbound_capacity_msat,
            )
            && in_range(
                c.inbound_capacity_msat,
                self.from_inbound_capacity_msat,
                self.to_inbound_capacity_msat,
            )
            && eq_opt(self.confirmed.as_ref(), &confirmed)
            && eq_opt(self.is_ready.as_ref(), &c.is_channel_ready)
            && eq_opt(self.is_usable.as_ref(), &c.is_usable)
            && eq_opt(self.is_public.as_ref(), &c.is_public)
    }
}

/// KDF's `ClosedChannelsFilter` (funding value in sats, claimed balance in BTC as KDF has it).
#[derive(Debug, Clone, Default)]
pub struct ClosedChannelsFilter {
    pub channel_id: Option<String>,
    pub counterparty_node_id: Option<String>,
    pub funding_tx: Option<String>,
    pub from_funding_value: Option<u64>,
    pub to_funding_value: Option<u64>,
    pub closing_tx: Option<String>,
    /// Substring of the closure reason.
    pub closure_reason: Option<String>,
    pub claiming_tx: Option<String>,
    pub from_claimed_balance: Option<f64>,
    pub to_claimed_balance: Option<f64>,
    /// `Some(true)`: outbound only.
    pub is_outbound: Option<bool>,
    /// `Some(true)`: public only.
    pub is_public: Option<bool>,
}

/// Sats to a BTC amount as KDF reports balances.
pub fn sats_to_btc(sats: u64) -> f64 {
    sats as f64 / 100_000_000.0
}

fn opt_eq(want: &Option<String>, have: &Option<String>) -> bool {
    want.is_none() || want == have
}

impl ClosedChannelsFilter {
    pub fn matches(&self, c: &ChannelRecord) -> bool {
        let range_u = |v: Option<u64>, lo: Option<u64>, hi: Option<u64>| {
            (lo.is_none() && hi.is_none()) || v.is_some_and(|v| in_range(v, lo, hi))
        };
        let claimed = c.claimed_balance_sats.map(sats_to_btc);
        let claimed_ok = (self.from_claimed_balance.is_none() && self.to_claimed_balance.is_none())
            || claimed
                .is_some_and(|v| in_range(v, self.from_claimed_balance, self.to_claimed_balance));
        eq_opt(self.channel_id.as_deref(), c.channel_id.as_str())
            && opt_eq(&self.counterparty_node_id, &c.counterparty_node_id)
            && opt_eq(&self.funding_tx, &c.funding_tx)
            && range_u(
                c.funding_value_sats,
                self.from_funding_value,
                self.to_funding_value,
            )
            && opt_eq(&self.closing_tx, &c.closing_tx)
            && self.closure_reason.as_deref().is_none_or(|want| {
                c.closure_reason
                    .as_deref()
                    .is_some_and(|r| r.to_lowercase().contains(&want.to_lowercase()))
            })
            && opt_eq(&self.claiming_tx, &c.claiming_tx)
            && claimed_ok
            && eq_opt(self.is_outbound.as_ref(), &c.is_outbound)
            && eq_opt(self.is_public.as_ref(), &c.is_public)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lightning::ln::types::ChannelId;

    const PEER: &str = "02eec7245d6b7d2ccb30380bfbe2a3648cd7a942653f5aa340edcea1f283686619";

    fn open(capacity_sat: u64, is_outbound: bool) -> ChannelInfo {
        ChannelInfo {
            uuid: uuid::Uuid::new_v4(),
            channel_id: ChannelId([7; 32]),
            counterparty: PEER.parse().unwrap(),
            funding_txo: None,
            short_channel_id: None,
            capacity_sat,
            balance_msat: capacity_sat * 500,
            outbound_capacity_msat: capacity_sat * 400,
            inbound_capacity_msat: capacity_sat * 500,
            next_outbound_htlc_limit_msat: 0,
            is_outbound,
            is_public: false,
            is_channel_ready: true,
            is_usable: true,
            is_shutting_down: false,
            confirmations: Some(3),
            confirmations_required: Some(1),
            forwarding_fee_base_msat: None,
            forwarding_fee_proportional_millionths: None,
            cltv_expiry_delta: None,
        }
    }

    #[test]
    fn open_filter_fields_and_inclusive_bounds() {
        let c = open(100_000, true);
        assert!(OpenChannelsFilter::default().matches(&c));
        let f = OpenChannelsFilter {
            from_funding_value_sats: Some(100_000),
            to_funding_value_sats: Some(100_000),
            is_outbound: Some(true),
            confirmed: Some(true),
            counterparty_node_id: Some(PEER.to_string()),
            ..Default::default()
        };
        assert!(f.matches(&c));
        assert!(!OpenChannelsFilter {
            is_outbound: Some(false),
            ..Default::default()
        }
        .matches(&c));
        assert!(!OpenChannelsFilter {
            from_balance_msat: Some(50_000_001),
            ..Default::default()
        }
        .matches(&c));
        assert!(!OpenChannelsFilter {
            funding_tx: Some("ab".into()),
            ..Default::default()
        }
        .matches(&c));
    }

    #[test]
    fn closed_filter_ranges_need_a_value() {
        let record = ChannelRecord {
            uuid: "u".into(),
            channel_id: "aa".into(),
            counterparty_node_id: Some(PEER.into()),
            funding_tx: None,
            funding_tx_output_index: None,
            funding_value_sats: Some(100_000),
            is_outbound: false,
            is_public: true,
            created_at: 1,
            is_closed: true,
            closure_reason: Some("Cooperative close".into()),
            closing_tx: Some("cc".into()),
            claiming_tx: None,
            claimed_balance_sats: None,
            last_local_balance_msat: None,
            closed_at: Some(2),
        };
        let f = ClosedChannelsFilter {
            closure_reason: Some("COOPERATIVE".into()),
            from_funding_value: Some(1),
            is_public: Some(true),
            ..Default::default()
        };
        assert!(f.matches(&record));
        // A claimed-balance bound excludes channels with nothing claimed.
        assert!(!ClosedChannelsFilter {
            from_claimed_balance: Some(0.0),
            ..Default::default()
        }
        .matches(&record));
        assert!(!ClosedChannelsFilter {
            is_outbound: Some(true),
            ..Default::default()
        }
        .matches(&record));
    }
}
