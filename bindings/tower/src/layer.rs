//! [`GuardLayer`] and the [`GuardService`] it wraps around an inner service.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{SystemTime, UNIX_EPOCH};

use http::{Extensions, Request, Response};
use tokenward::gate::{Gate, HttpRequest, Passage};
use tokenward::{Event, Guard, Timestamp};
use tower_layer::Layer;
use tower_service::Service;

use crate::body::GuardBody;
use crate::denial;
use crate::future::{Outcome, ResponseFuture};
use crate::HeaderMapRef;

type CountryFn = dyn Fn(Option<IpAddr>) -> Option<String> + Send + Sync;
type PeerFn = dyn Fn(&Extensions) -> Option<IpAddr> + Send + Sync;
type ClockFn = dyn Fn() -> Timestamp + Send + Sync;
type EventsFn = dyn Fn(Vec<Event>) + Send + Sync;

/// A [`tower`](https://docs.rs/tower) layer that checks every request's token with a
/// [`Guard`] before the inner service sees it.
///
/// Everything about reading the request and answering a denial is the core's
/// [`Gate`] (token from `Authorization: Bearer` or a configured header, cookie or query
/// parameter; the client address from the connection, or from `X-Forwarded-For` /
/// `Forwarded` only when the peer is a trusted proxy; the trusted country header; exempt
/// paths; 400/401/403/429 with `WWW-Authenticate` and `Retry-After`). The layer adds what
/// needs a server:
///
/// - the peer address, from axum's `ConnectInfo<SocketAddr>` (serve with
///   `into_make_service_with_connect_info::<SocketAddr>()`) or a plain [`SocketAddr`] in the
///   request extensions, or from [`peer_from`](Self::peer_from) (tonic:
///   `TcpConnectInfo::remote_addr`). Without one the client address is unknown, no forwarded
///   header is believed, and a policy with `allow_ips` denies;
/// - the clock ([`SystemTime`], or [`clock`](Self::clock));
/// - the country from [`country_lookup`](Self::country_lookup) when no trusted header gave it;
/// - the allowed request's [`Verdict`](tokenward::Verdict), inserted into its extensions
///   (axum: `Extension<Verdict>`; requests to exempt paths carry none, so their handlers
///   take `Option<Extension<Verdict>>` if they look);
/// - the response status fed back to [`Guard::record_outcome`] when the inner service's
///   future completes (a gRPC call counts as its `grpc-status` when the response headers
///   carry one, else as 200; a service error counts as 500; a future dropped before it
///   completes counts as nothing);
/// - denials of gRPC calls (HTTP/2 with `content-type: application/grpc`) as trailers-only
///   responses: HTTP 200 with `grpc-status` 16 (`UNAUTHENTICATED`), 7 (`PERMISSION_DENIED`)
///   or 8 (`RESOURCE_EXHAUSTED`), a `grpc-message` naming the reasons and
///   `cache-control: no-store`; any other request gets the HTTP denial;
/// - one `tracing` warning (with the `tracing` feature) the first time a request comes without
///   a peer address, since forwarded headers are then never believed.
///
/// The Guard's events (lifecycle changes, alerts, denials) queue in the Guard until the host
/// drains them: with [`Guard::drain_events`] on its own schedule, or by giving
/// [`on_events`](Self::on_events), which the layer calls with every batch it drains after a
/// request.
///
/// ```
/// use std::sync::Arc;
/// use axum::{routing::get, Router};
/// use tokenward::gate::{Gate, GateConfig};
/// use tokenward::{Guard, TokenKey};
/// use tokenward_tower::GuardLayer;
///
/// let guard = Arc::new(Guard::new(TokenKey::new(b"the host's fingerprint key")));
/// let mut config = GateConfig::default();
/// config.exempt_paths = vec!["/health".into()];
/// let layer = GuardLayer::new(guard, Gate::new(&config)?);
/// let app: Router = Router::new()
///     .route("/v1/orders", get(|| async { "[]" }))
///     .route("/health", get(|| async { "ok" }))
///     .layer(layer);
/// # Ok::<(), tokenward::FieldError>(())
/// ```
#[derive(Clone)]
pub struct GuardLayer {
    shared: Arc<Shared>,
}

/// What every clone of a [`GuardService`] shares.
#[derive(Clone)]
pub(crate) struct Shared {
    pub(crate) guard: Arc<Guard>,
    gate: Gate,
    country: Option<Arc<CountryFn>>,
    peer: Arc<PeerFn>,
    pub(crate) clock: Arc<ClockFn>,
    on_events: Option<Arc<EventsFn>>,
    no_peer: Arc<NoPeerWarning>,
}

impl GuardLayer {
    /// A layer checking requests with `guard`, read as `gate` says.
    pub fn new(guard: Arc<Guard>, gate: Gate) -> GuardLayer {
        GuardLayer {
            shared: Arc::new(Shared {
                guard,
                gate,
                country: None,
                peer: Arc::new(default_peer),
                clock: Arc::new(system_now),
                on_events: None,
                no_peer: Arc::new(NoPeerWarning::default()),
            }),
        }
    }

    /// Asks `lookup` for the client's country (given the client address the gate settled
    /// on) when no trusted country header gave one.
    pub fn country_lookup(
        self,
        lookup: impl Fn(Option<IpAddr>) -> Option<String> + Send + Sync + 'static,
    ) -> GuardLayer {
        self.with(|s| s.country = Some(Arc::new(lookup)))
    }

    /// Reads the connection's peer address from the request extensions with `peer` instead
    /// of looking for axum's `ConnectInfo<SocketAddr>` or a [`SocketAddr`].
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use tokenward::gate::{Gate, GateConfig};
    /// # use tokenward::{Guard, TokenKey};
    /// # use tokenward_tower::GuardLayer;
    /// # let guard = Arc::new(Guard::new(TokenKey::new(b"k")));
    /// # let gate = Gate::new(&GateConfig::default()).unwrap();
    /// // A server that stores its own connection type, such as tonic's
    /// // `TcpConnectInfo` (`.and_then(|c| c.remote_addr())`).
    /// #[derive(Clone)]
    /// struct Conn(std::net::SocketAddr);
    /// let layer = GuardLayer::new(guard, gate)
    ///     .peer_from(|ext| ext.get::<Conn>().map(|c| c.0.ip()));
    /// ```
    pub fn peer_from(
        self,
        peer: impl Fn(&Extensions) -> Option<IpAddr> + Send + Sync + 'static,
    ) -> GuardLayer {
        self.with(|s| s.peer = Arc::new(peer))
    }

    /// Reads the time (Unix milliseconds) from `clock` instead of [`SystemTime`].
    pub fn clock(self, clock: impl Fn() -> Timestamp + Send + Sync + 'static) -> GuardLayer {
        self.with(|s| s.clock = Arc::new(clock))
    }

    /// Drains the Guard's events after every request that raised any and hands them to
    /// `sink` (a logger, an audit writer, a channel's sender). It runs on the request's task:
    /// keep it quick and non-blocking (send to a channel and write elsewhere).
    pub fn on_events(self, sink: impl Fn(Vec<Event>) + Send + Sync + 'static) -> GuardLayer {
        self.with(|s| s.on_events = Some(Arc::new(sink)))
    }

    fn with(mut self, set: impl FnOnce(&mut Shared)) -> GuardLayer {
        set(Arc::make_mut(&mut self.shared));
        self
    }
}

impl fmt::Debug for GuardLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.shared.fmt(f)
    }
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GuardLayer")
            .field("guard", &self.guard)
            .field("gate", &self.gate)
            .field("country_lookup", &self.country.is_some())
            .field("on_events", &self.on_events.is_some())
            .finish_non_exhaustive()
    }
}

impl<S> Layer<S> for GuardLayer {
    type Service = GuardService<S>;

    fn layer(&self, inner: S) -> GuardService<S> {
        GuardService {
            inner,
            shared: self.shared.clone(),
        }
    }
}

/// The service [`GuardLayer`] wraps around `S`: see the layer for what it does.
#[derive(Clone)]
pub struct GuardService<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S: fmt::Debug> fmt::Debug for GuardService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GuardService")
            .field("inner", &self.inner)
            .field("layer", &self.shared)
            .finish()
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for GuardService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<GuardBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let grpc = denial::is_grpc(&request);
        match self.shared.pass(&request) {
            Passage::Exempt => ResponseFuture::inner(self.inner.call(request), None),
            Passage::Allowed(verdict) => {
                let outcome = verdict
                    .token_id
                    .map(|id| Outcome::new(self.shared.clone(), id, grpc));
                request.extensions_mut().insert(verdict);
                ResponseFuture::inner(self.inner.call(request), outcome)
            }
            Passage::Denied { denial, .. } => {
                self.shared.emit_events();
                ResponseFuture::denied(denial::response(&denial, grpc))
            }
        }
    }
}

impl Shared {
    /// The gate's answer for a request.
    fn pass<B>(&self, request: &Request<B>) -> Passage {
        let headers = HeaderMapRef(request.headers());
        let target = target(request);
        let mut http = HttpRequest::new(request.method().as_str(), target, &headers);
        match (self.peer)(request.extensions()) {
            Some(peer) => http = http.peer(peer),
            None => self.no_peer.warn(),
        }
        let country = self
            .country
            .as_deref()
            .map(|f| f as &dyn Fn(Option<IpAddr>) -> Option<String>);
        self.gate.check(&self.guard, &http, (self.clock)(), country)
    }

    /// Hands the queued events to the sink, if there is one.
    pub(crate) fn emit_events(&self) {
        if let Some(sink) = &self.on_events {
            let events = self.guard.drain_events();
            if !events.is_empty() {
                sink(events);
            }
        }
    }
}

/// The request target as received: the path and query, undecoded. Under a nested axum
/// router the URI has lost its prefix; `OriginalUri` has it.
fn target<B>(request: &Request<B>) -> &str {
    #[cfg(feature = "axum")]
    let uri = request
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map_or(request.uri(), |original| &original.0);
    #[cfg(not(feature = "axum"))]
    let uri = request.uri();
    uri.path_and_query().map_or("/", |pq| pq.as_str())
}

/// The peer from axum's `ConnectInfo<SocketAddr>`, else a [`SocketAddr`] in the extensions.
fn default_peer(extensions: &Extensions) -> Option<IpAddr> {
    #[cfg(feature = "axum")]
    if let Some(info) = extensions.get::<axum::extract::ConnectInfo<SocketAddr>>() {
        return Some(info.0.ip());
    }
    extensions.get::<SocketAddr>().map(SocketAddr::ip)
}

/// Says once per layer (through `tracing`, when that feature is on) that a request came
/// without a peer address: its client is unknown, so `allow_ips` denies it and forwarded
/// headers are never believed, even from a trusted proxy. The usual cause is a server set up
/// without connection info (axum's `into_make_service_with_connect_info`, or
/// [`GuardLayer::peer_from`]).
#[derive(Default)]
struct NoPeerWarning(std::sync::atomic::AtomicBool);

impl NoPeerWarning {
    fn warn(&self) {
        use std::sync::atomic::Ordering;
        if self.0.load(Ordering::Relaxed) || self.0.swap(true, Ordering::Relaxed) {
            return;
        }
        #[cfg(feature = "tracing")]
        tracing::warn!(
            "tokenward: a request without a peer address (no ConnectInfo<SocketAddr> or \
             SocketAddr in its extensions, see GuardLayer::peer_from): its client is unknown and \
             forwarded headers are not believed, even from trusted proxies"
        );
    }
}

/// Unix milliseconds from the system clock (0 before the epoch).
fn system_now() -> Timestamp {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| {
        Timestamp::try_from(d.as_millis()).unwrap_or(Timestamp::MAX)
    })
}
