//! The regtest development chain (issue: chain).
