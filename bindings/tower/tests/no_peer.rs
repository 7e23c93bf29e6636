//! A request without a peer address: an unknown client, and one warning through `tracing`
//! (not one per request) saying why forwarded headers are not believed.
#![cfg(feature = "tracing")]

use std::convert::Infallible;
use std::io::Write;
use std::sync::{Arc, Mutex};

use http::{Request, Response};
use tokenward::gate::{Gate, GateConfig};
use tokenward::{Guard, TokenKey};
use tokenward_tower::GuardLayer;
use tower::{service_fn, Layer, Service};
use tracing_subscriber::fmt::MakeWriter;

#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Sink {
    type Writer = Sink;
    fn make_writer(&'a self) -> Sink {
        self.clone()
    }
}

#[test]
fn a_missing_peer_is_warned_about_once() {
    let guard = Arc::new(Guard::new(TokenKey::new(b"no peer test key")));
    let mut config = GateConfig::default();
    config.trusted_proxies = vec!["10.0.0.0/8".into()];
    let layer = GuardLayer::new(guard, Gate::new(&config).unwrap());
    let mut service = layer.layer(service_fn(|_: Request<String>| async {
        Ok::<_, Infallible>(Response::new(String::new()))
    }));
    let sink = Sink::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(sink.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        for _ in 0..3 {
            let request = Request::builder()
                .uri("/v1/x")
                .header("x-forwarded-for", "198.51.100.7")
                .body(String::new())
                .unwrap();
            // Denied (no token) without awaiting: the warning is written in `call`.
            drop(service.call(request));
        }
    });
    let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    assert_eq!(text.matches("without a peer address").count(), 1, "{text}");
    assert!(text.contains("WARN"), "{text}");
}
