//! readmore: "Read More" listing pages → per-section RSS and Atom feeds.
//!
//! The pipeline runs one way: [`source`] finds inputs, [`parse`] turns text,
//! [`scrape`] HTML pages and [`feedsrc`] RSS, Atom and JSON feeds into
//! [`article::Article`]s, [`classify`] sorts them into sections,
//! [`store`] merges them into the history kept across runs, [`outputs`]
//! decides which files that history calls for and which must be written or
//! removed: [`feed`] builds one [`feed::Feed`] per section, [`site`] names
//! the article pages and models the index page and the OPML list,
//! [`render`] turns each into bytes, and a [`sink`] puts them in place
//! ([`sink::directory`] atomically in a local directory). [`build`] runs the
//! pipeline; [`cli`] is the command line.

pub mod article;
pub mod asked;
pub mod body;
pub mod build;
pub mod categories;
pub mod classify;
pub mod cli;
pub mod clock;
pub mod config;
pub mod dates;
pub mod dedup;
pub mod diag;
pub mod dom;
pub mod error;
pub mod explain;
pub mod feed;
pub mod feedsrc;
pub mod fetch;
pub mod fingerprint;
pub mod format;
pub mod http;
pub mod init;
pub mod lock;
pub mod outputs;
pub mod parse;
pub mod permalink;
pub mod preview;
pub mod pubdate;
pub mod publish;
pub mod purge;
pub mod read;
pub mod redact;
pub mod render;
pub mod sanitize;
pub mod scrape;
pub mod serve;
pub mod sink;
pub mod site;
pub mod source;
pub mod status;
pub mod store;
pub mod text;
pub mod websub;
pub mod worker;
pub mod xmlfix;
