//! `neardup serve DIR`: an HTTP/1.1 JSON service over a live index
//! ([`neardup::index::LiveIndex`]). One module for the command (flags,
//! start, shutdown), one for the routes ([`routes`]).
//!
//! The service is a thin layer: each route turns its JSON into one call of
//! the live index and its answer back into JSON. Adds are group-committed
//! (a 200 means durable); queries run on the blocking pool against the
//! live index's current view. SIGTERM or SIGINT: stop accepting, finish the
//! requests in flight, commit, exit 0.

pub mod routes;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Args;

use neardup::index::{LiveIndex, LiveOptions, MergePolicy};

use super::say;

/// `neardup serve` flags.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// The index directory (create it with `neardup index create`).
    dir: PathBuf,
    /// Address to listen on. Loopback by default; any other address needs
    /// --token-file. Port 0 picks a free port (printed on stderr).
    #[arg(long, value_name = "IP:PORT", default_value = "127.0.0.1:7700")]
    addr: SocketAddr,
    /// File holding the bearer token that every request but /health must
    /// send (`Authorization: Bearer TOKEN`). Required when --addr is not a
    /// loopback address.
    #[arg(long, value_name = "F")]
    token_file: Option<PathBuf>,
    /// Largest request body in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 16 << 20)]
    max_body_bytes: usize,
    /// Largest text of one document or query, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 4 << 20)]
    max_text_bytes: usize,
    /// Most documents in one /add request.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    max_docs: usize,
    /// Commit by itself once this many documents wait (adds through /add
    /// are committed before they are answered anyway).
    #[arg(long, value_name = "N", default_value_t = 1000)]
    commit_docs: usize,
    /// Commit by itself this many milliseconds after the oldest waiting
    /// change.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    commit_ms: u64,
    /// Seconds to wait for another writer of the index to finish.
    #[arg(long, value_name = "SECONDS", default_value_t = 0.0)]
    wait: f64,
    /// Merge segments in the background once this many adjacent ones are
    /// of one size tier (a query probes every segment); 0: never merge.
    #[arg(long, value_name = "N", default_value_t = 8)]
    merge_tier: usize,
    /// The most documents one background merge writes (adds wait while it
    /// writes; queries never do).
    #[arg(long, value_name = "N", default_value_t = 2_000_000)]
    merge_max_docs: u64,
}

/// Reads the token: the file's first line, trimmed; an empty one is
/// refused.
fn read_token(path: &std::path::Path) -> Result<String> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read the token file {}",
            neardup::display::path_for_terminal(path)
        )
    })?;
    let token = text.lines().next().unwrap_or("").trim().to_string();
    if token.is_empty() {
        bail!(
            "the token file {} is empty",
            neardup::display::path_for_terminal(path)
        );
    }
    Ok(token)
}

/// Runs the service until SIGTERM or SIGINT.
pub fn run(args: ServeArgs) -> Result<ExitCode> {
    let token = match &args.token_file {
        Some(path) => Some(read_token(path)?),
        None if !args.addr.ip().is_loopback() => bail!(
            "--addr {} is not a loopback address: give --token-file so that clients must \
             authenticate",
            args.addr
        ),
        None => None,
    };
    if !(args.wait.is_finite() && args.wait >= 0.0) {
        bail!("--wait must be a number of seconds, 0 or more");
    }
    let live = LiveIndex::open(
        &args.dir,
        LiveOptions {
            commit_every_docs: args.commit_docs,
            commit_interval: (args.commit_ms > 0).then(|| Duration::from_millis(args.commit_ms)),
            wait: Duration::from_secs_f64(args.wait),
            merge: (args.merge_tier > 0).then(|| MergePolicy {
                segments_per_tier: args.merge_tier.max(2),
                max_merge_docs: args.merge_max_docs,
                ..MergePolicy::default()
            }),
        },
    )
    .with_context(|| {
        format!(
            "cannot open the index {} for serving",
            neardup::display::path_for_terminal(&args.dir)
        )
    })?;
    let state = Arc::new(routes::AppState::new(
        live,
        token,
        routes::Limits {
            max_text_bytes: args.max_text_bytes,
            max_docs: args.max_docs,
        },
    ));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("neardup-serve")
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(args.addr, args.max_body_bytes, Arc::clone(&state)))?;
    drop(runtime);
    // Every request has finished: commit what waits, release the lock.
    let state = Arc::try_unwrap(state)
        .map_err(|_| anyhow::anyhow!("a request still holds the index after shutdown"))?;
    let report = state
        .into_live()
        .close()
        .context("cannot commit at shutdown")?;
    say(format_args!(
        "stopped; index at generation {}",
        report.generation
    ));
    Ok(ExitCode::SUCCESS)
}

async fn serve(addr: SocketAddr, max_body: usize, state: Arc<routes::AppState>) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr().context("cannot read the address")?;
    say(format_args!("listening on http://{local}"));
    let app = routes::router(state, max_body);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("the server failed")?;
    say("shutting down: requests finished, committing");
    Ok(())
}

/// Resolves at SIGTERM or SIGINT (Ctrl-C).
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
