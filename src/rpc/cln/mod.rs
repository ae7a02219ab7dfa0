//! Core Lightning's method names, for clients written for CLN.

pub mod wait;
