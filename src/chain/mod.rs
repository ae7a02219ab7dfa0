//! The Bitcoin Core JSON-RPC chain backend (issue: chain).
