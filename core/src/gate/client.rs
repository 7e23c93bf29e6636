//! Who the client is: the connection's peer, or the address a trusted proxy forwarded.
//!
//! Headers that name the client are written by whoever sent the request, so they are believed
//! only from peers the host lists as its proxies. Each proxy appends the address it received
//! from; walking the list from the right, the first address that is not itself a trusted proxy
//! is the client. Anything a client wrote further left is never reached.

use std::net::{IpAddr, SocketAddr};

use crate::policy::IpSet;

/// Which header the trusted proxies use to forward the client address.
///
/// Only one is read: a proxy that appends to `X-Forwarded-For` passes a client's own
/// `Forwarded` header through untouched, so reading both would let the client choose.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2` (the common de-facto header).
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client;proto=https, for="[2001:db8::1]:443"`.
    Forwarded,
}

impl ForwardedHeader {
    /// The header's name in lower case.
    pub fn name(self) -> &'static str {
        match self {
            ForwardedHeader::XForwardedFor => "x-forwarded-for",
            ForwardedHeader::Forwarded => "forwarded",
        }
    }
}

/// The client address: the peer when it is not a trusted proxy, else the rightmost forwarded
/// address that is not a trusted proxy (the leftmost when all are). `None` when there is no
/// peer address (a Unix socket) or a forwarded entry that must be read is not an address
/// (`unknown`, an obfuscated name, garbage): unknown, which a policy with `allow_ips` denies.
pub(crate) fn client_ip<'h>(
    peer: Option<IpAddr>,
    trusted: &IpSet,
    header: ForwardedHeader,
    values: impl Iterator<Item = &'h [u8]>,
) -> Option<IpAddr> {
    let peer = peer?.to_canonical();
    if !trusted.contains(peer) {
        return Some(peer);
    }
    let mut hops = Vec::new();
    for value in values {
        let text = std::str::from_utf8(value).ok()?;
        match header {
            ForwardedHeader::XForwardedFor => hops.extend(text.split(',').map(str::trim)),
            ForwardedHeader::Forwarded => hops.extend(forwarded_for(text)),
        }
    }
    let mut client = peer;
    for hop in hops.iter().rev() {
        client = parse_hop(hop)?;
        if !trusted.contains(client) {
            break;
        }
    }
    Some(client)
}

/// An address as proxies write it: bare, with a port, or bracketed IPv6 with or without one.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    let ip = hop
        .parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| hop.strip_prefix('[')?.strip_suffix(']')?.parse().ok())?;
    Some(ip.to_canonical())
}

/// The `for=` value of each element of an RFC 7239 `Forwarded` header, unquoted. An element
/// without `for=` yields an empty string, which is no address: the chain is broken there.
///
/// Elements are split at every `,` and pairs at every `;`, quotes or not. A quoted `for=`
/// value (an IPv6 address, a port) never holds either, and a quote-aware split would let a
/// client's unbalanced `"` swallow the elements its proxies append to the same line.
fn forwarded_for(text: &str) -> Vec<&str> {
    text.split(',')
        .map(|element| {
            element
                .split(';')
                .filter_map(|pair| pair.split_once('='))
                .find(|(name, _)| name.trim().eq_ignore_ascii_case("for"))
                .map_or("", |(_, value)| unquote(value.trim()))
        })
        .collect()
}

/// A peer address as servers write it: `203.0.113.9`, `::ffff:10.0.0.1`, `[2001:db8::1]`,
/// `fe80::1%eth0` (the zone is dropped), surrounding spaces ignored; IPv4-mapped IPv6 is
/// read as IPv4. Anything else (a Unix socket path, a name, garbage) is no address: the
/// client is then unknown, and never taken for a trusted proxy.
///
/// ```
/// use tokenward::gate::parse_peer;
///
/// assert_eq!(parse_peer(" ::ffff:10.0.0.1 "), Some("10.0.0.1".parse().unwrap()));
/// assert_eq!(parse_peer("fe80::1%eth0"), Some("fe80::1".parse().unwrap()));
/// assert_eq!(parse_peer("[2001:db8::1]"), Some("2001:db8::1".parse().unwrap()));
/// assert_eq!(parse_peer("/run/app.sock"), None);
/// ```
pub fn parse_peer(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    let text = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text);
    let text = text.split('%').next().unwrap_or(text);
    text.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

fn unquote(value: &str) -> &str {
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(peer: &str, header: ForwardedHeader, values: &[&str]) -> Option<String> {
        let trusted = IpSet::parse(&["10.0.0.0/8", "fd00::/8"]).unwrap();
        let peer = peer.parse().ok();
        client_ip(peer, &trusted, header, values.iter().map(|v| v.as_bytes()))
            .map(|ip| ip.to_string())
    }

    const XFF: ForwardedHeader = ForwardedHeader::XForwardedFor;
    const FWD: ForwardedHeader = ForwardedHeader::Forwarded;

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        assert_eq!(
            resolve("203.0.113.9", XFF, &["1.2.3.4"]).unwrap(),
            "203.0.113.9"
        );
        assert_eq!(
            resolve("203.0.113.9", FWD, &["for=1.2.3.4"]).unwrap(),
            "203.0.113.9"
        );
        assert_eq!(
            resolve("::ffff:203.0.113.9", XFF, &[]).unwrap(),
            "203.0.113.9"
        );
    }

    #[test]
    fn a_trusted_chain_is_walked_from_the_right() {
        let spoofed = ["6.6.6.6, 198.51.100.7, 10.0.0.2"];
        assert_eq!(resolve("10.0.0.1", XFF, &spoofed).unwrap(), "198.51.100.7");
        // Several header lines are one list, in order.
        let lines = ["6.6.6.6", "198.51.100.7", "10.0.0.2"];
        assert_eq!(resolve("10.0.0.1", XFF, &lines).unwrap(), "198.51.100.7");
        assert_eq!(
            resolve("10.0.0.1", XFF, &["10.0.0.3, 10.0.0.2"]).unwrap(),
            "10.0.0.3"
        );
        assert_eq!(resolve("10.0.0.1", XFF, &[]).unwrap(), "10.0.0.1");
        assert_eq!(
            resolve("10.0.0.1", XFF, &["198.51.100.7:5123"]).unwrap(),
            "198.51.100.7"
        );
        assert_eq!(
            resolve("::ffff:10.0.0.1", XFF, &["2001:db8::1"]).unwrap(),
            "2001:db8::1"
        );
    }

    #[test]
    fn an_unreadable_hop_that_must_be_read_makes_the_client_unknown() {
        assert_eq!(resolve("10.0.0.1", XFF, &["198.51.100.7, garbage"]), None);
        assert_eq!(resolve("10.0.0.1", XFF, &[""]), None);
        assert_eq!(resolve("10.0.0.1", FWD, &["for=unknown"]), None);
        assert_eq!(
            resolve("10.0.0.1", FWD, &["for=_hidden, for=10.0.0.2"]),
            None
        );
        // Left of the first untrusted address, nothing is read.
        assert_eq!(
            resolve("10.0.0.1", XFF, &["garbage, 198.51.100.7"]).unwrap(),
            "198.51.100.7"
        );
        assert_eq!(resolve("unix-socket", XFF, &["1.2.3.4"]), None);
    }

    #[test]
    fn forwarded_elements_are_parsed_with_quotes_ports_and_brackets() {
        let value = r#"for=6.6.6.6, for="[2001:db8:cafe::17]:4711";proto=https;by=10.0.0.9"#;
        assert_eq!(
            resolve("10.0.0.1", FWD, &[value]).unwrap(),
            "2001:db8:cafe::17"
        );
        let value = r#"For="198.51.100.7:80";host=api.example, for=10.0.0.2"#;
        assert_eq!(resolve("10.0.0.1", FWD, &[value]).unwrap(), "198.51.100.7");
        assert_eq!(resolve("10.0.0.1", FWD, &["proto=https"]), None);
        // A client's unbalanced quote cannot swallow what its proxy appended to the line.
        let value = r#"for="1.2.3.4, for=198.51.100.7"#;
        assert_eq!(resolve("10.0.0.1", FWD, &[value]).unwrap(), "198.51.100.7");
    }
}
