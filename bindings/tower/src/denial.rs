//! A [`Denial`] from the core's gate written as an HTTP or a gRPC response.

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderMap, Request, Response, StatusCode, Version};
use tokenward::gate::Denial;

/// Whether a request is a gRPC call: HTTP/2 (gRPC runs on nothing else) with
/// `content-type: application/grpc`, with or without a `+proto` style suffix or parameters.
/// Anything else (`application/grpc-web`, gRPC's type over HTTP/1.1) gets HTTP denials: a
/// client that is no gRPC client could not read a trailers-only answer.
pub(crate) fn is_grpc<B>(request: &Request<B>) -> bool {
    request.version() == Version::HTTP_2
        && request
            .headers()
            .get(CONTENT_TYPE)
            .is_some_and(|v| is_grpc_type(v.as_bytes()))
}

fn is_grpc_type(value: &[u8]) -> bool {
    const GRPC: &[u8] = b"application/grpc";
    value.len() >= GRPC.len()
        && value[..GRPC.len()].eq_ignore_ascii_case(GRPC)
        && matches!(value.get(GRPC.len()), None | Some(b'+' | b';'))
}

/// The response for a denial: the core's status, headers and JSON body, or for a gRPC call a
/// trailers-only response (HTTP 200, `grpc-status`, `grpc-message`, no body). The body names
/// the reasons, never the token.
pub(crate) fn response(denial: &Denial, grpc: bool) -> Response<Bytes> {
    if grpc {
        return grpc_response(denial);
    }
    let mut response = Response::new(Bytes::from(denial.body()));
    *response.status_mut() = StatusCode::from_u16(denial.status).unwrap_or(StatusCode::FORBIDDEN);
    let headers = response.headers_mut();
    for (name, value) in denial.headers() {
        insert(headers, name, &value);
    }
    response
}

fn grpc_response(denial: &Denial) -> Response<Bytes> {
    let mut response = Response::new(Bytes::new());
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
    // As the HTTP denials: no cache may keep an answer about one client's credential.
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let code = denial.grpc_code() as u16;
    headers.insert("grpc-status", HeaderValue::from(code));
    // `error: reason, reason`: reason codes are snake_case ASCII, so no percent-encoding is due.
    let mut message = denial.error.to_owned();
    for (i, reason) in denial.reasons.iter().enumerate() {
        message.push_str(if i == 0 { ": " } else { ", " });
        message.push_str(reason.code());
    }
    insert(headers, "grpc-message", &message);
    if let Some(seconds) = denial.retry_after {
        headers.insert("retry-after", HeaderValue::from(seconds));
    }
    response
}

/// Inserts a header from the core's name and value; one that is not valid is left out
/// rather than panicking (the core's names and values are ASCII, so this does not happen).
fn insert(headers: &mut HeaderMap, name: &str, value: &str) {
    if let (Ok(name), Ok(value)) = (
        HeaderName::from_bytes(name.as_bytes()),
        HeaderValue::from_str(value),
    ) {
        headers.insert(name, value);
    }
}

/// The HTTP status a gRPC response stands for, for [`record_outcome`]: its `grpc-status` when
/// the response headers carry one (a trailers-only error, as tonic sends a handler's `Err`),
/// else the HTTP status. A status sent in trailers after the body is not waited for: such a
/// call counts as its HTTP status (200).
///
/// The map is grpc-gateway's, except `UNIMPLEMENTED` (a method the server does not have),
/// which counts as 404 so that probing for methods shows as an error burst like probing for
/// paths.
///
/// [`record_outcome`]: tokenward::Guard::record_outcome
pub(crate) fn grpc_outcome(headers: &HeaderMap, http: StatusCode) -> u16 {
    let Some(code) = headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u8>().ok())
    else {
        return http.as_u16();
    };
    match code {
        0 => 200,
        1 => 499,
        3 | 9 | 11 => 400,
        4 => 504,
        5 | 12 => 404,
        6 | 10 => 409,
        7 => 403,
        8 => 429,
        14 => 503,
        16 => 401,
        _ => 500,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokenward::gate::{Gate, GateConfig};

    #[test]
    fn grpc_denials_are_trailers_only() {
        let gate = Gate::new(&GateConfig::default()).unwrap();
        let response = response(&gate.missing_token(), true);
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["grpc-status"], "16");
        assert_eq!(response.headers()["grpc-message"], "missing_token");
        assert_eq!(response.headers()[CONTENT_TYPE], "application/grpc");
        assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
        assert!(response.body().is_empty());
    }

    #[test]
    fn only_http2_with_the_grpc_type_is_grpc() {
        let request = |version, ty: &str| {
            Request::builder()
                .version(version)
                .header(CONTENT_TYPE, ty)
                .body(())
                .unwrap()
        };
        for ty in [
            "application/grpc",
            "application/grpc+proto",
            "Application/GRPC;x=1",
        ] {
            assert!(is_grpc(&request(Version::HTTP_2, ty)), "{ty}");
            assert!(
                !is_grpc(&request(Version::HTTP_11, ty)),
                "{ty} over HTTP/1.1"
            );
        }
        for ty in [
            "application/grpc-web",
            "application/grpcx",
            "application/json",
        ] {
            assert!(!is_grpc(&request(Version::HTTP_2, ty)), "{ty}");
        }
        let untyped = Request::builder()
            .version(Version::HTTP_2)
            .body(())
            .unwrap();
        assert!(!is_grpc(&untyped));
    }

    #[test]
    fn grpc_statuses_count_as_http_statuses() {
        let mut headers = HeaderMap::new();
        assert_eq!(grpc_outcome(&headers, StatusCode::OK), 200);
        for (code, status) in [
            ("0", 200),
            ("16", 401),
            ("7", 403),
            ("12", 404),
            ("13", 500),
        ] {
            headers.insert("grpc-status", HeaderValue::from_static(code));
            assert_eq!(grpc_outcome(&headers, StatusCode::OK), status, "{code}");
        }
        headers.insert("grpc-status", HeaderValue::from_static("junk"));
        assert_eq!(grpc_outcome(&headers, StatusCode::OK), 200);
    }
}
