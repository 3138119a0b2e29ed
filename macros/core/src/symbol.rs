//! The names of attribute keys, in one place.

use std::fmt::{self, Display};
use syn::{Ident, Path};

/// An attribute key.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Symbol(pub &'static str);

pub const NAME: Symbol = Symbol("name");
pub const RETRY: Symbol = Symbol("retry");
pub const TIMEOUT: Symbol = Symbol("timeout");
pub const HEARTBEAT: Symbol = Symbol("heartbeat");
pub const CRATE: Symbol = Symbol("crate");
pub const CALLBACK: Symbol = Symbol("callback");

pub const ERRORS: Symbol = Symbol("errors");
pub const INTERVAL: Symbol = Symbol("interval");
pub const MAX_ATTEMPTS: Symbol = Symbol("max_attempts");
pub const BACKOFF_RATE: Symbol = Symbol("backoff_rate");
pub const MAX_DELAY: Symbol = Symbol("max_delay");
pub const JITTER: Symbol = Symbol("jitter");
/// `errors = [other = "Vendor.Error"]`: an error name the compile-time check cannot see.
pub const OTHER: Symbol = Symbol("other");

pub const INIT: Symbol = Symbol("init");
pub const HTTP: Symbol = Symbol("http");
pub const SQS: Symbol = Symbol("sqs");
pub const CORS: Symbol = Symbol("cors");
pub const ORIGINS: Symbol = Symbol("origins");
pub const METHODS: Symbol = Symbol("methods");
pub const HEADERS: Symbol = Symbol("headers");
pub const EXPOSE: Symbol = Symbol("expose");
pub const MAX_AGE: Symbol = Symbol("max_age");
pub const CREDENTIALS: Symbol = Symbol("credentials");
pub const MEMORY: Symbol = Symbol("memory");
pub const URL: Symbol = Symbol("url");
pub const BATCH_SIZE: Symbol = Symbol("batch_size");
pub const WINDOW: Symbol = Symbol("window");
pub const FIFO: Symbol = Symbol("fifo");
pub const MAX_RECEIVE: Symbol = Symbol("max_receive");
pub const S3: Symbol = Symbol("s3");
pub const EVENTS: Symbol = Symbol("events");
pub const PREFIX: Symbol = Symbol("prefix");
pub const SUFFIX: Symbol = Symbol("suffix");
pub const EVENTBRIDGE: Symbol = Symbol("eventbridge");
pub const SOURCE: Symbol = Symbol("source");
pub const DETAIL_TYPE: Symbol = Symbol("detail_type");
pub const EXPRESS: Symbol = Symbol("express");

pub const STATUS: Symbol = Symbol("status");
pub const TRANSPARENT: Symbol = Symbol("transparent");
pub const COMMENT: Symbol = Symbol("comment");
pub const MAX_CONCURRENCY: Symbol = Symbol("max_concurrency");
pub const TASK: Symbol = Symbol("task");
pub const MAP: Symbol = Symbol("map");
pub const DISTRIBUTED: Symbol = Symbol("distributed");
pub const EXECUTION: Symbol = Symbol("execution");
pub const LABEL: Symbol = Symbol("label");
pub const STEPCRAFT: Symbol = Symbol("stepcraft");

impl PartialEq<Symbol> for Ident {
    fn eq(&self, word: &Symbol) -> bool {
        self == word.0
    }
}

impl PartialEq<Symbol> for &Ident {
    fn eq(&self, word: &Symbol) -> bool {
        *self == word.0
    }
}

impl PartialEq<Symbol> for Path {
    fn eq(&self, word: &Symbol) -> bool {
        self.is_ident(word.0)
    }
}

impl Display for Symbol {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.0)
    }
}
