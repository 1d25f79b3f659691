//! The routes of `neardup serve`: one handler per route, typed request and
//! response bodies, every error turned into a JSON answer in one place
//! ([`ApiError`]).
//!
//! | route | body | answer |
//! |---|---|---|
//! | `POST /query` | `{"text", "id"?, "limit"?, "explain"?}` | `{"matches": [{"id", "jaccard", "containment", "cluster"}]}` |
//! | `POST /add` | `{"docs": [{"id", "text"}]}` | `{"added", "pairs", "clusters", "skipped"}` once durable |
//! | `DELETE /docs/<id>` | | `{"deleted": id, "generation"}` once durable |
//! | `GET /docs/<id>` | | the document's cluster and stored facts |
//! | `GET /stats` | | counts of the index and of the service |
//! | `GET /health` | | `{"status": "ok"}` (no token needed) |

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use neardup::index::LiveIndex;
use neardup::output::json::{
    AddJson, DeletedJson, DocJson, ErrorJson, HealthJson, MatchJson, MatchPassages, MatchesJson,
    PairJson, ServeStatsJson, SkipJson,
};

/// Request limits besides the body size.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest text of one document or query, in bytes.
    pub max_text_bytes: usize,
    /// Most documents in one `/add`.
    pub max_docs: usize,
}

/// What every handler shares.
#[derive(Debug)]
pub struct AppState {
    live: Arc<LiveIndex>,
    token: Option<String>,
    limits: Limits,
    started: Instant,
    queries: AtomicU64,
    adds: AtomicU64,
}

impl AppState {
    /// The state of a service over `live`.
    pub fn new(live: LiveIndex, token: Option<String>, limits: Limits) -> AppState {
        AppState {
            live: Arc::new(live),
            token,
            limits,
            started: Instant::now(),
            queries: AtomicU64::new(0),
            adds: AtomicU64::new(0),
        }
    }

    /// The live index back, once no request holds it.
    pub fn into_live(self) -> LiveIndex {
        Arc::try_unwrap(self.live).expect("no request is running after shutdown")
    }
}

/// An error answered as `{"error": message}` with its status.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }
    fn bad(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }
    fn internal(e: impl std::fmt::Display) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorJson {
            error: &self.message,
        };
        (self.status, Json(to_value(body))).into_response()
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> ApiError {
        let status = r.status();
        let message = match &r {
            JsonRejection::MissingJsonContentType(_) => {
                "expected a JSON body with `Content-Type: application/json`".to_string()
            }
            _ if status == StatusCode::PAYLOAD_TOO_LARGE => {
                "request body is over the size limit (--max-body-bytes)".to_string()
            }
            _ => r.body_text(),
        };
        ApiError::new(status, message)
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// Runs `f` on the blocking pool (the index works synchronously); a panic
/// there is a 500, never a crash.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(format!("request failed: {e}")))?
}

/// The router with its limits and the token check.
pub fn router(state: Arc<AppState>, max_body: usize) -> Router {
    let guarded = Router::new()
        .route("/query", post(query))
        .route("/add", post(add))
        .route("/docs/{id}", get(get_doc).delete(delete_doc))
        .route("/stats", get(stats))
        .route_layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            authorize,
        ));
    Router::new()
        .route("/health", get(health))
        .merge(guarded)
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method not allowed on this route",
            )
        })
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(state)
}

/// Constant-time comparison, so that the time of a refusal does not tell
/// how much of a guess was right.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn authorize(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    if let Some(token) = &state.token {
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if !given.is_some_and(|g| same(g.trim().as_bytes(), token.as_bytes())) {
            let mut r = ApiError::new(
                StatusCode::UNAUTHORIZED,
                "missing or wrong bearer token (Authorization: Bearer TOKEN)",
            )
            .into_response();
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
            return r;
        }
    }
    next.run(req).await
}

fn check_text(limits: &Limits, what: &str, text: &str) -> ApiResult<()> {
    if text.len() > limits.max_text_bytes {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "{what} is {} bytes, over the limit of {} (--max-text-bytes)",
                text.len(),
                limits.max_text_bytes
            ),
        ));
    }
    Ok(())
}

fn check_id(id: &str) -> ApiResult<()> {
    if id.is_empty() {
        return Err(ApiError::bad("a document id must not be empty"));
    }
    if id.len() > 4096 {
        return Err(ApiError::bad(format!(
            "a document id is {} bytes, over the limit of 4096",
            id.len()
        )));
    }
    Ok(())
}

/// `POST /query` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryRequest {
    text: String,
    /// The query document's own id: never reported as its own match.
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    limit: Option<usize>,
    #[serde(default)]
    explain: Option<bool>,
}

async fn query(
    State(state): State<Arc<AppState>>,
    body: Result<Json<QueryRequest>, JsonRejection>,
) -> ApiResult<Json<Value>> {
    let Json(req) = body?;
    check_text(&state.limits, "text", &req.text)?;
    state.queries.fetch_add(1, Ordering::Relaxed);
    let live = Arc::clone(&state.live);
    let matches = blocking(move || {
        let mut found = live.query(&req.text).map_err(ApiError::internal)?;
        if let Some(me) = &req.id {
            found.retain(|m| &m.id != me);
        }
        found.truncate(req.limit.unwrap_or(usize::MAX));
        let explain = req.explain.unwrap_or(false);
        let committed = live.committed();
        let align = neardup::explain::AlignConfig {
            shingle: live.config().shingle(),
            ..Default::default()
        };
        let out: Vec<MatchJson<'_>> = found
            .iter()
            .map(|m| {
                let mut explained = None;
                if explain {
                    let text = match m.address {
                        // Only a document indexed from a file can be read
                        // again; and an address belongs to its commit.
                        Some(addr) if committed.try_find(&m.id).ok().flatten() == Some(addr) => {
                            committed
                                .load_text(addr)
                                .map_err(|e| format!("cannot explain: {e}"))
                        }
                        _ => Err("cannot explain: the document was committed or \
                                  removed since the query"
                            .to_string()),
                    };
                    explained = Some(match text {
                        Ok(t) => MatchPassages::Passages {
                            passages: neardup::explain::explain(&req.text, &t, &align).passages,
                        },
                        Err(explain_error) => MatchPassages::Failed {
                            passages: (),
                            explain_error,
                        },
                    });
                }
                MatchJson {
                    cluster: m.cluster,
                    explained,
                    ..MatchJson::new(&m.id, m.jaccard, m.containment)
                }
            })
            .collect();
        Ok(to_value(MatchesJson { matches: out }))
    })
    .await?;
    Ok(Json(matches))
}

/// One document of `POST /add`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddDoc {
    id: String,
    text: String,
}

/// `POST /add` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddRequest {
    docs: Vec<AddDoc>,
}

/// A schema of [`neardup::output::json`] as a JSON value.
fn to_value(schema: impl Serialize) -> Value {
    serde_json::to_value(schema).expect("plain data serializes")
}

async fn add(
    State(state): State<Arc<AppState>>,
    body: Result<Json<AddRequest>, JsonRejection>,
) -> ApiResult<Json<Value>> {
    let Json(req) = body?;
    if req.docs.is_empty() {
        return Err(ApiError::bad("`docs` is empty: nothing to add"));
    }
    if req.docs.len() > state.limits.max_docs {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "{} documents in one request, over the limit of {} (--max-docs)",
                req.docs.len(),
                state.limits.max_docs
            ),
        ));
    }
    for (i, d) in req.docs.iter().enumerate() {
        check_id(&d.id)
            .map_err(|e| ApiError::new(e.status, format!("docs[{i}]: {}", e.message)))?;
        check_text(&state.limits, &format!("docs[{i}].text"), &d.text)?;
    }
    state.adds.fetch_add(1, Ordering::Relaxed);
    let live = Arc::clone(&state.live);
    let out = blocking(move || {
        let docs: Vec<(String, String)> = req.docs.into_iter().map(|d| (d.id, d.text)).collect();
        let done = live.add_durable(&docs).map_err(|e| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("the commit failed, nothing is acknowledged (the documents wait for the next commit): {e}"),
            )
        })?;
        let ours: HashSet<&str> = done.added.iter().map(String::as_str).collect();
        let mut pairs = Vec::new();
        let mut clusters = BTreeMap::new();
        if let Some(commit) = &done.commit {
            pairs = commit
                .pairs
                .iter()
                .filter(|p| ours.contains(p.a.as_str()) || ours.contains(p.b.as_str()))
                .map(|p| PairJson::new(&p.a, &p.b, p.jaccard, p.containment))
                .collect();
            for (id, cluster) in &commit.clusters {
                if ours.contains(id.as_str()) {
                    clusters.insert(id.as_str(), *cluster);
                }
            }
        }
        let skipped = done
            .skipped
            .iter()
            .map(|s| SkipJson {
                reason: format!("{:?}", s.reason),
                message: &s.message,
            })
            .collect();
        Ok(to_value(AddJson {
            added: done.added.len(),
            pairs,
            clusters,
            skipped,
        }))
    })
    .await?;
    Ok(Json(out))
}

async fn get_doc(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let live = Arc::clone(&state.live);
    blocking(move || {
        let doc = live.try_get(&id).map_err(ApiError::internal)?;
        let doc = doc.ok_or_else(|| {
            ApiError::new(StatusCode::NOT_FOUND, format!("no document with id {id:?}"))
        })?;
        let facts = doc.facts.as_ref();
        Ok(Json(to_value(DocJson {
            id: &doc.entry.id,
            cluster: facts.map(|f| f.cluster),
            committed: facts.is_some(),
            generation: facts.and_then(|f| f.generation),
            source: doc.entry.source.to_string(),
            words: doc.entry.words,
            bytes: doc.entry.bytes,
            shingles: doc.shingles,
            text_hash: format!("{:016x}", doc.entry.text_hash),
        })))
    })
    .await
}

async fn delete_doc(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let live = Arc::clone(&state.live);
    blocking(move || {
        if !live.remove(&id) {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!("no document with id {id:?}"),
            ));
        }
        // Durable before the answer, as an add is.
        let report = live.commit().map_err(|e| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("the commit failed (the removal waits for the next one): {e}"),
            )
        })?;
        Ok(Json(to_value(DeletedJson {
            deleted: &id,
            generation: report.generation,
        })))
    })
    .await
}

async fn stats(State(state): State<Arc<AppState>>) -> ApiResult<Json<Value>> {
    let live = Arc::clone(&state.live);
    let s = blocking(move || Ok(live.stats())).await?;
    Ok(Json(to_value(ServeStatsJson {
        index: &s,
        uptime_seconds: state.started.elapsed().as_secs(),
        queries: state.queries.load(Ordering::Relaxed),
        add_requests: state.adds.load(Ordering::Relaxed),
        rss_bytes: rss_bytes(),
    })))
}

async fn health() -> Json<Value> {
    Json(to_value(HealthJson { status: "ok" }))
}

/// Resident memory of this process (Linux), for `/stats`.
fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
