//! The output in object storage: a [`Sink`] over an S3 bucket (or an
//! S3-compatible store: MinIO, Ceph RGW, R2) through `object_store`.
//!
//! Every output is one object under the key prefix, written with a single
//! PUT (so a reader sees the old object or the new one, never half), with
//! its media type, the configured `Cache-Control` and the `ETag` the store
//! gives it (S3 answers conditional GETs with it and `Last-Modified`).
//!
//! - **No listing, no probing.** The bucket is trusted to hold what the
//!   history store recorded of it: an output whose record is current is
//!   not even requested, and one whose re-rendered bytes equal the recorded
//!   digest is not uploaded. (An object deleted or edited in the bucket by
//!   hand is therefore repaired only when its output next changes.)
//! - **Conditional writes.** A PUT replacing an object is conditional on
//!   the `ETag` recorded when this store last wrote it (`If-Match`); a PUT
//!   creating one on its absence (`If-None-Match: *`). When the condition
//!   fails, the object is read: if it already holds these bytes it is
//!   kept; if this store's last run stopped between writing and recording
//!   it (its record is pending, see [`crate::outputs`]), it is replaced,
//!   again conditionally, on the `ETag` just read; otherwise another writer
//!   changed it since and it is **not** overwritten: the run fails with an
//!   error naming it. An object recorded but gone is created again.
//! - **Order.** Staged outputs go up in the order staged: those in a
//!   folder (article pages) several at a time, those at the top (feeds,
//!   then the OPML list and the index) one by one, so that nothing links
//!   to an object not yet there. Unlike a directory's rename pass, the
//!   switch is not one step: a run failing halfway has replaced some
//!   objects, and the next run (its records still pending) finishes it.
//!   Staged outputs are held in memory until the switch, so the first
//!   upload of a site takes as much memory as its outputs (a directory's
//!   staging goes to temporary files instead).
//!
//! Credentials come from the standard `AWS_*` environment variables (or
//! the instance's role), never from the config file, and are never shown:
//! errors go through [`crate::redact`].

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use bytes::Bytes;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as Key;
use object_store::{
    Attribute, Attributes, Error as StoreError, ObjectStore, ObjectStoreExt, PutMode, PutOptions,
    UpdateVersion,
};
use tokio::runtime::Runtime;
use tokio::task::JoinSet;

use crate::config::{BucketUrl, S3};
use crate::redact;
use crate::sink::{Sink, Stat, media_type};
use crate::store::{self, Output};

/// Most uploads in flight at once.
const CONCURRENT: usize = 8;

/// An S3 bucket (and key prefix) that outputs are published to.
pub struct Bucket {
    url: BucketUrl,
    key: String,
    store: Arc<AmazonS3>,
    runtime: Runtime,
    cache_control: String,
    staged: Vec<Upload>,
    /// What the uploads of this run gave, by path.
    written: HashMap<String, Stat>,
}

/// One object to write, and what the store recorded of it.
struct Upload {
    path: String,
    key: Key,
    bytes: Bytes,
    attributes: Attributes,
    etag: Option<String>,
    pending: bool,
}

impl Bucket {
    /// Connects to the bucket of `url` with `settings` and the `AWS_*`
    /// environment. Sends no request.
    pub fn open(url: BucketUrl, settings: &S3) -> Result<Self> {
        // One crypto provider for rustls; a second call finds it installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(&url.bucket);
        if let Some(endpoint) = &settings.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        if let Some(region) = &settings.region {
            builder = builder.with_region(region);
        }
        let store = builder
            .build()
            .map_err(|e| anyhow!("{}", redact::text(&e.to_string())))
            .with_context(|| format!("cannot set up object storage for {}", url.key()))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the object storage client")?;
        Ok(Self {
            key: url.key(),
            url,
            store: Arc::new(store),
            runtime,
            cache_control: settings.cache_control.clone(),
            staged: Vec::new(),
            written: HashMap::new(),
        })
    }

    fn object(&self, path: &str) -> Result<Key> {
        Key::parse(format!("{}{path}", self.url.prefix))
            .with_context(|| format!("{}{path} is not a valid object key", self.key))
    }
}

impl Sink for Bucket {
    fn key(&self) -> &str {
        &self.key
    }

    fn intact(&self, _path: &str, _recorded: &Output) -> bool {
        // Trusted: see the module doc.
        true
    }

    fn holds(&self, _path: &str, bytes: &[u8], recorded: Option<&Output>) -> bool {
        recorded
            .is_some_and(|r| !pending(r) && r.etag.is_some() && r.digest == store::digest(bytes))
    }

    fn stage(&mut self, path: &str, bytes: &[u8], recorded: Option<&Output>) -> Result<()> {
        let mut attributes = Attributes::new();
        attributes.insert(Attribute::ContentType, media_type(path).into());
        attributes.insert(Attribute::CacheControl, self.cache_control.clone().into());
        self.staged.push(Upload {
            path: path.to_string(),
            key: self.object(path)?,
            bytes: Bytes::copy_from_slice(bytes),
            attributes,
            etag: recorded.and_then(|r| r.etag.clone()),
            pending: recorded.is_some_and(pending),
        });
        Ok(())
    }

    fn switch(&mut self) -> Result<()> {
        let staged = std::mem::take(&mut self.staged);
        let written = self
            .runtime
            .block_on(upload_all(&self.store, &self.key, staged))?;
        self.written.extend(written);
        Ok(())
    }

    fn remove(&mut self, path: &str) -> Result<()> {
        let key = self.object(path)?;
        match self.runtime.block_on(self.store.delete(&key)) {
            Ok(()) | Err(StoreError::NotFound { .. }) => Ok(()),
            Err(e) => Err(failure(e)).with_context(|| format!("cannot remove {}{path}", self.key)),
        }
    }

    fn stat(&self, path: &str, recorded: Option<&Output>) -> Option<Stat> {
        self.written.get(path).cloned().or_else(|| {
            recorded.map(|r| Stat {
                size: r.size,
                mtime_ns: r.mtime_ns,
                etag: r.etag.clone(),
            })
        })
    }
}

/// Whether a record is the pending one a run writes before switching
/// (see [`crate::outputs`]): that run may have written the object and
/// stopped before recording it.
fn pending(recorded: &Output) -> bool {
    recorded.signature.is_empty()
}

/// Uploads `staged` in order: a run of consecutive outputs in a folder
/// [`CONCURRENT`] at a time, top-level ones one by one once all before
/// them are up.
async fn upload_all(
    store: &Arc<AmazonS3>,
    root: &str,
    staged: Vec<Upload>,
) -> Result<HashMap<String, Stat>> {
    let mut written = HashMap::new();
    let mut in_flight = JoinSet::new();
    for upload in staged {
        if upload.path.contains('/') {
            if in_flight.len() >= CONCURRENT {
                finish_one(&mut in_flight, &mut written).await?;
            }
            let (store, root) = (Arc::clone(store), root.to_string());
            in_flight.spawn(async move {
                let stat = upload_one(&store, &root, &upload).await;
                (upload.path, stat)
            });
        } else {
            while !in_flight.is_empty() {
                finish_one(&mut in_flight, &mut written).await?;
            }
            let stat = upload_one(store, root, &upload).await?;
            written.insert(upload.path, stat);
        }
    }
    while !in_flight.is_empty() {
        finish_one(&mut in_flight, &mut written).await?;
    }
    Ok(written)
}

async fn finish_one(
    in_flight: &mut JoinSet<(String, Result<Stat>)>,
    written: &mut HashMap<String, Stat>,
) -> Result<()> {
    if let Some(done) = in_flight.join_next().await {
        let (path, stat) = done.context("an upload task failed")?;
        written.insert(path, stat?);
    }
    Ok(())
}

/// Writes one object, conditionally (see the module doc).
async fn upload_one(store: &AmazonS3, root: &str, upload: &Upload) -> Result<Stat> {
    let name = || format!("{root}{}", upload.path);
    match put(store, upload, upload.etag.clone()).await {
        Ok(stat) => Ok(stat),
        Err(
            StoreError::Precondition { .. }
            | StoreError::AlreadyExists { .. }
            | StoreError::NotFound { .. },
        ) => resolve(store, upload, &name()).await,
        Err(e) => Err(failure(e)).with_context(|| format!("cannot write {}", name())),
    }
}

/// A PUT of `upload`, replacing the object of ETag `etag`, or creating it
/// when `etag` is none.
async fn put(store: &AmazonS3, upload: &Upload, etag: Option<String>) -> Result<Stat, StoreError> {
    let mode = match etag {
        Some(etag) => PutMode::Update(UpdateVersion {
            e_tag: Some(etag),
            version: None,
        }),
        None => PutMode::Create,
    };
    let options = PutOptions {
        mode,
        attributes: upload.attributes.clone(),
        ..PutOptions::default()
    };
    let done = store
        .put_opts(&upload.key, upload.bytes.clone().into(), options)
        .await?;
    Ok(Stat {
        size: upload.bytes.len() as u64,
        mtime_ns: 0,
        etag: done.e_tag,
    })
}

/// After a failed condition: keeps an object that already holds the bytes,
/// replaces one this store wrote without recording it, creates one that is
/// gone, and refuses to overwrite one another writer changed.
async fn resolve(store: &AmazonS3, upload: &Upload, name: &str) -> Result<Stat> {
    let context = || format!("cannot write {name}");
    let current = match store.get(&upload.key).await {
        Ok(current) => current,
        Err(StoreError::NotFound { .. }) => {
            return put(store, upload, None)
                .await
                .map_err(|e| conflict(e, name))
                .with_context(context);
        }
        Err(e) => return Err(failure(e)).with_context(context),
    };
    let etag = current.meta.e_tag.clone();
    let bytes = current
        .bytes()
        .await
        .map_err(failure)
        .with_context(context)?;
    if bytes == upload.bytes {
        return Ok(Stat {
            size: bytes.len() as u64,
            mtime_ns: 0,
            etag,
        });
    }
    if !upload.pending || etag.is_none() {
        bail!(
            "{name} was changed in the bucket by another writer since this store last wrote it \
             (or this store never wrote it); not overwritten. If no other readmore writes \
             there, delete the object and run again"
        );
    }
    put(store, upload, etag)
        .await
        .map_err(|e| conflict(e, name))
        .with_context(context)
}

/// A failed write after a failed condition: a precondition failing again
/// means another writer is at work.
fn conflict(e: StoreError, name: &str) -> anyhow::Error {
    match e {
        StoreError::Precondition { .. } | StoreError::AlreadyExists { .. } => {
            anyhow!("{name} is being written by another writer; not overwritten")
        }
        e => failure(e),
    }
}

/// An object storage error as one line, credentials removed.
fn failure(e: StoreError) -> anyhow::Error {
    anyhow!("{}", redact::text(&e.to_string()))
}
