//! readmore: "Read More" listing pages → per-section RSS and Atom feeds.
//!
//! The pipeline runs one way: [`source`] finds inputs, [`parse`] turns text
//! into [`article::Article`]s, [`classify`] sorts them into sections,
//! [`feed`] builds one [`feed::Feed`] per section, [`render`] turns each feed
//! into every format, and [`mod@write`] puts the files in place atomically.
//! [`build`] runs the pipeline; [`cli`] is the command line around it.

pub mod article;
pub mod build;
pub mod classify;
pub mod cli;
pub mod config;
pub mod diag;
pub mod feed;
pub mod parse;
pub mod render;
pub mod source;
pub mod text;
pub mod write;

/// An error in how readmore was called (arguments, config): exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);
