//! Fee estimates: the fallback when Core has no data, the 253 sat/kw floor, and Core's
//! `estimatesmartfee` answer when it has one.

use lightning::chain::chaininterface::{ConfirmationTarget, FeeEstimator};
use mmln::chain::ChainBackend;

use crate::support::*;

#[tokio::test]
async fn without_data_the_fallback_is_used_and_never_below_the_floor() {
    let chain = start_chain(None, None).await;

    let mut config = config_for(&chain);
    config.fallback_fee_rate_sat_per_kw = 2_000;
    let backend = ChainBackend::connect(config).await.unwrap();
    assert_eq!(
        backend.get_est_sat_per_1000_weight(ConfirmationTarget::UrgentOnChainSweep),
        2_000
    );
    assert_eq!(
        backend.get_est_sat_per_1000_weight(ConfirmationTarget::NonAnchorChannelFee),
        2_000
    );
    assert_eq!(
        backend.get_est_sat_per_1000_weight(ConfirmationTarget::MaximumFeeEstimate),
        2_000
    );
    // What we demand of peers stays at the floor rather than a guess.
    assert_eq!(
        backend
            .get_est_sat_per_1000_weight(ConfirmationTarget::MinAllowedNonAnchorChannelRemoteFee),
        253
    );

    let mut config = config_for(&chain);
    config.fallback_fee_rate_sat_per_kw = 100;
    let backend = ChainBackend::connect(config).await.unwrap();
    for target in ALL_TARGETS {
        assert_eq!(
            backend.get_est_sat_per_1000_weight(target),
            253,
            "{target:?}"
        );
    }
    chain.shutdown().await.unwrap();
}

#[tokio::test]
async fn core_estimates_are_converted_from_btc_per_kvb() {
    // 20 sat/vB = 0.0002 BTC/kvB = 5000 sat/kw.
    let chain = start_chain(None, Some(20.0)).await;
    let backend = ChainBackend::connect(config_for(&chain)).await.unwrap();
    for target in [
        ConfirmationTarget::MaximumFeeEstimate,
        ConfirmationTarget::UrgentOnChainSweep,
        ConfirmationTarget::AnchorChannelFee,
        ConfirmationTarget::NonAnchorChannelFee,
        ConfirmationTarget::ChannelCloseMinimum,
        ConfirmationTarget::OutputSpendingFee,
    ] {
        assert_eq!(
            backend.get_est_sat_per_1000_weight(target),
            5_000,
            "{target:?}"
        );
    }
    // Peer minimums keep a margin for estimators that round differently.
    for target in [
        ConfirmationTarget::MinAllowedAnchorChannelRemoteFee,
        ConfirmationTarget::MinAllowedNonAnchorChannelRemoteFee,
    ] {
        assert_eq!(
            backend.get_est_sat_per_1000_weight(target),
            4_750,
            "{target:?}"
        );
    }
    chain.shutdown().await.unwrap();
}

const ALL_TARGETS: [ConfirmationTarget; 8] = [
    ConfirmationTarget::MaximumFeeEstimate,
    ConfirmationTarget::UrgentOnChainSweep,
    ConfirmationTarget::MinAllowedAnchorChannelRemoteFee,
    ConfirmationTarget::MinAllowedNonAnchorChannelRemoteFee,
    ConfirmationTarget::AnchorChannelFee,
    ConfirmationTarget::NonAnchorChannelFee,
    ConfirmationTarget::ChannelCloseMinimum,
    ConfirmationTarget::OutputSpendingFee,
];

#[tokio::test]
async fn estimates_are_refreshed_on_each_new_tip() {
    let dir = tempfile::tempdir().unwrap();
    let chain = start_chain(Some(dir.path()), Some(20.0)).await;
    let rpc = rpc_for(&chain);
    let miner = TestWallet::new(20);
    rpc.mine(1, &miner.address).await;
    let backend = ChainBackend::connect(config_for(&chain)).await.unwrap();
    let (shutdown, shutdown_rx) = tokio::sync::watch::channel(false);
    let tip = rpc.tip().await;
    let listener = std::sync::Arc::new(Recorder::default());
    let task = backend
        .start(vec![(tip.block_hash, listener)], shutdown_rx)
        .await
        .unwrap();
    assert_eq!(
        backend.get_est_sat_per_1000_weight(ConfirmationTarget::UrgentOnChainSweep),
        5_000
    );

    // Core comes back estimating 40 sat/vB; the next block brings the new estimate.
    let mut config = chain.config().clone();
    chain.shutdown().await.unwrap();
    config.fee_rate_sat_per_vb = Some(40.0);
    let chain = mmln::regtest::RegtestServer::start(config).await.unwrap();
    let rpc = rpc_for(&chain);
    rpc.mine(1, &miner.address).await;
    wait_for("the 10,000 sat/kw estimate", FOLLOW_TIMEOUT, || async {
        (backend.get_est_sat_per_1000_weight(ConfirmationTarget::UrgentOnChainSweep) == 10_000)
            .then_some(())
    })
    .await;

    stop(shutdown, task).await;
    chain.shutdown().await.unwrap();
}
