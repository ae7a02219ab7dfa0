//! The one list of methods the daemon serves: one `.with::<Method>()` line makes a method exist.
//! Adding a method takes a few more steps (service, schema, curl example, README row): see
//! `rpc-spec/README.md`.

use super::cln::getroute::Getroute;
use super::cln::listsendpays::Listsendpays;
use super::cln::sendpay::Sendpay;
use super::cln::wait::ClnWait;
use super::cln::waitsendpay::Waitsendpay;
use super::dispatcher::Router;
use super::lightning::channels::{
    close_channel::CloseChannel, get_channel_details::GetChannelDetails,
    get_claimable_balances::GetClaimableBalances,
    list_closed_channels_by_filter::ListClosedChannelsByFilter,
    list_open_channels_by_filter::ListOpenChannelsByFilter, open_channel::OpenChannel,
    update_channel::UpdateChannel,
};
use super::lightning::events::{
    list::ListEvents, list_webhook_deliveries::ListWebhookDeliveries, wait::WaitEvents,
};
use super::lightning::nodes::{
    add_trusted_node::AddTrustedNode, connect_to_node::ConnectToNode, get_info::GetInfo,
    list_trusted_nodes::ListTrustedNodes, remove_trusted_node::RemoveTrustedNode,
};
use super::lightning::payments::{
    cancel_invoice::CancelInvoice, estimate_fee::EstimateFee, export::Export,
    generate_invoice::GenerateInvoice, get_payment_details::GetPaymentDetails,
    list_payments_by_filter::ListPaymentsByFilter, send_payment::SendPayment,
    send_value_split::SendValueSplit, settle_invoice::SettleInvoice, wallet_totals::WalletTotals,
};
use super::lightning::wallet::{
    get_new_address::GetNewAddress, my_balance::MyBalance, send_to_address::SendToAddress,
};
use super::task::enable_lightning::{EnableLightningInit, EnableLightningStatus};
use super::version::Version;

/// The router of every method the daemon serves.
pub fn product_router() -> Router {
    Router::new()
        .with::<Version>()
        .with::<EnableLightningInit>()
        .with::<EnableLightningStatus>()
        .with::<ConnectToNode>()
        .with::<AddTrustedNode>()
        .with::<RemoveTrustedNode>()
        .with::<ListTrustedNodes>()
        .with::<GetInfo>()
        .with::<OpenChannel>()
        .with::<CloseChannel>()
        .with::<UpdateChannel>()
        .with::<GetChannelDetails>()
        .with::<ListOpenChannelsByFilter>()
        .with::<ListClosedChannelsByFilter>()
        .with::<GetClaimableBalances>()
        .with::<GetNewAddress>()
        .with::<MyBalance>()
        .with::<SendToAddress>()
        .with::<GenerateInvoice>()
        .with::<SendPayment>()
        .with::<GetPaymentDetails>()
        .with::<ListPaymentsByFilter>()
        .with::<SettleInvoice>()
        .with::<CancelInvoice>()
        .with::<EstimateFee>()
        .with::<SendValueSplit>()
        .with::<WalletTotals>()
        .with::<Export>()
        .with::<ListEvents>()
        .with::<WaitEvents>()
        .with::<ListWebhookDeliveries>()
        .with::<ClnWait>()
        .with::<Getroute>()
        .with::<Sendpay>()
        .with::<Waitsendpay>()
        .with::<Listsendpays>()
}

/// The wire names of every routed method, sorted.
pub fn method_names() -> Vec<&'static str> {
    product_router().method_names()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_is_listed_once() {
        // `product_router` panics on a duplicate name.
        let names = method_names();
        assert!(names.contains(&"version"));
    }
}
