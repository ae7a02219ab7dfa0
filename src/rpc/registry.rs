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
use super::lightning::keys::{
    create::CreateKey, list::ListKeys, revoke::RevokeKey, usage::KeyUsageMethod,
};
use super::lightning::nodes::{
    add_trusted_node::AddTrustedNode, connect_to_node::ConnectToNode, get_info::GetInfo,
    list_trusted_nodes::ListTrustedNodes, remove_trusted_node::RemoveTrustedNode,
};
use super::lightning::offers::{
    create_offer::CreateOffer, create_refund::CreateRefund, disable_offer::DisableOffer,
    list_offers::ListOffers, request_refund_payment::RequestRefundPayment,
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
use crate::service::keys::Access;

/// The router of every method the daemon serves, with each method's access class (see
/// `service/keys/scope.rs`): `.read` methods only read and `readonly` keys may call them;
/// `generate_invoice` is the `invoice` class; `.with` is admin only.
pub fn product_router() -> Router {
    Router::new()
        .read::<Version>()
        .with::<EnableLightningInit>()
        .read::<EnableLightningStatus>()
        .with::<ConnectToNode>()
        .with::<AddTrustedNode>()
        .with::<RemoveTrustedNode>()
        .read::<ListTrustedNodes>()
        .read::<GetInfo>()
        .with::<OpenChannel>()
        .with::<CloseChannel>()
        .with::<UpdateChannel>()
        .read::<GetChannelDetails>()
        .read::<ListOpenChannelsByFilter>()
        .read::<ListClosedChannelsByFilter>()
        .read::<GetClaimableBalances>()
        .with::<GetNewAddress>()
        .read::<MyBalance>()
        .with::<SendToAddress>()
        .with_access::<GenerateInvoice>(Access::Invoice)
        .with::<SendPayment>()
        .read::<GetPaymentDetails>()
        .read::<ListPaymentsByFilter>()
        .with::<SettleInvoice>()
        .with::<CancelInvoice>()
        .read::<EstimateFee>()
        .read::<ListEvents>()
        .read::<WaitEvents>()
        .read::<ListWebhookDeliveries>()
        .with::<CreateKey>()
        .with::<ListKeys>()
        .with::<RevokeKey>()
        .with::<KeyUsageMethod>()
        .with::<SendValueSplit>()
        .read::<WalletTotals>()
        .read::<Export>()
        .with_access::<CreateOffer>(Access::Invoice)
        .read::<ListOffers>()
        .with::<DisableOffer>()
        .with::<CreateRefund>()
        .with_access::<RequestRefundPayment>(Access::Invoice)
        .read::<ClnWait>()
        .read::<Getroute>()
        .with::<Sendpay>()
        .read::<Waitsendpay>()
        .read::<Listsendpays>()
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
