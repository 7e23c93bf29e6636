//! Policy documents: parse (TOML or JSON), compile, evaluate, and enforce through a Guard.
//!
//! Input: a format byte, the document up to a 0xFF byte, then the request and times. Checks:
//! a document that parses survives its JSON round trip unchanged (snapshots store policies as
//! JSON) and compiles the same way after it; evaluation is deterministic, sorted in `Reason`
//! order, and denies whatever the Guard denies for the same policy; extreme times (`i64::MIN`,
//! `i64::MAX`) and odd locations (NaN) never panic.
#![no_main]

use std::net::IpAddr;

use libfuzzer_sys::fuzz_target;
use tokenward::policy::{Policy, PolicyDoc, TokenTimes};
use tokenward::{Guard, Request, TokenKey, TokenMeta};
use tokenward_fuzz::Bytes;

#[global_allocator]
static ALLOC: tokenward_fuzz::BoundedAlloc = tokenward_fuzz::BoundedAlloc;

/// An i64 from 8 bytes, or, for one of a few small codes, an extreme value.
fn instant(input: &mut Bytes) -> i64 {
    match input.byte() {
        0 => i64::MIN,
        1 => i64::MAX,
        2 => 0,
        _ => i64::from_le_bytes(input.take(8).try_into().unwrap_or([0; 8])),
    }
}

fn ip(input: &mut Bytes) -> Option<IpAddr> {
    match input.byte() % 3 {
        0 => None,
        1 => Some(
            <[u8; 4]>::try_from(input.take(4))
                .unwrap_or_default()
                .into(),
        ),
        _ => Some(
            <[u8; 16]>::try_from(input.take(16))
                .unwrap_or_default()
                .into(),
        ),
    }
}

fn text<'a>(input: &mut Bytes<'a>) -> Option<&'a str> {
    std::str::from_utf8(input.part())
        .ok()
        .filter(|s| !s.is_empty())
}

fn request<'a>(input: &mut Bytes<'a>) -> Request<'a> {
    let mut request = Request::new("tw_fuzz_token");
    if let Some(ip) = ip(input) {
        request = request.ip(ip);
    }
    let fields = input.byte();
    let mut take = |bit: u8| (fields & bit != 0).then(|| text(input)).flatten();
    if let Some(country) = take(1) {
        request = request.country(country);
    }
    if let Some(subject) = take(2) {
        request = request.subject(subject);
    }
    if let Some(device) = take(4) {
        request = request.device(device);
    }
    if let Some(environment) = take(8) {
        request = request.environment(environment);
    }
    if let Some(agent) = take(16) {
        request = request.user_agent(agent);
    }
    if let (Some(method), Some(path)) = (take(32), take(32)) {
        request = request.endpoint(method, path);
    }
    if fields & 64 != 0 {
        let lat = f64::from_le_bytes(input.take(8).try_into().unwrap_or([0; 8]));
        let lon = f64::from_le_bytes(input.take(8).try_into().unwrap_or([0; 8]));
        request = request.location(lat, lon);
    }
    request
}

fuzz_target!(|data: &[u8]| {
    let mut input = Bytes::new(data);
    let json = input.byte() & 1 == 1;
    let Ok(text) = std::str::from_utf8(input.part()) else {
        return;
    };
    let doc = if json {
        PolicyDoc::from_json(text)
    } else {
        PolicyDoc::from_toml(text)
    };
    let Ok(doc) = doc else {
        return;
    };
    let again = PolicyDoc::from_json(&doc.to_json()).expect("a document's JSON parses");
    assert_eq!(again, doc, "JSON round trip changed the document");
    let compiled = Policy::compile(&doc);
    assert_eq!(Policy::compile(&again).is_ok(), compiled.is_ok());
    let Ok(policy) = compiled else {
        return;
    };

    let times = TokenTimes {
        issued_at: instant(&mut input),
        last_used: instant(&mut input),
    };
    let now = instant(&mut input);
    let request = request(&mut input);
    let reasons = policy.evaluate(&request, times, now);
    assert!(reasons.windows(2).all(|w| w[0] < w[1]), "reasons unsorted");
    assert_eq!(
        policy.evaluate(&request, times, now),
        reasons,
        "not deterministic"
    );

    // The same policy through a Guard: every reason the policy gives, the Guard gives too
    // (it may add its own, such as a rate limit).
    let guard = Guard::new(TokenKey::new(b"fuzz"));
    let meta = TokenMeta::new()
        .inline_policy(doc)
        .issued_at(times.issued_at);
    if guard
        .register("tw_fuzz_token", &meta, times.issued_at)
        .is_err()
    {
        return;
    }
    let verdict = guard.check(&request, now);
    if times.last_used == times.issued_at {
        for reason in &reasons {
            assert!(
                verdict.reasons.contains(reason),
                "Guard allowed what the policy denies"
            );
        }
    }
    let _ = guard.check(&request, now.saturating_add(1));
});
