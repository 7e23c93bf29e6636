//! `tw_request` and `tw_ip`: what `tw_guard_check` takes, and their conversion to the core's
//! `Request` (borrowing the caller's bytes: no allocation, no copy).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use tokenward::Request;

use crate::boundary::Failure;
use crate::status::tw_status;
use crate::text::tw_str;

/// `tw_ip.family` of an absent address: what a zero-initialised `tw_ip` holds.
pub const TW_IP_NONE: u8 = 0;
/// `tw_ip.family` of an IPv4 address: `bytes[0..4]`, network byte order.
pub const TW_IP_V4: u8 = 4;
/// `tw_ip.family` of an IPv6 address: `bytes[0..16]`, network byte order.
pub const TW_IP_V6: u8 = 6;

/// An IP address in binary, as a C server holds its peer: the bytes of a `struct in_addr` or
/// `struct in6_addr`, in network byte order, copied as they are.
///
/// ```c
/// struct sockaddr_storage peer; // filled by accept() or getpeername()
/// if (peer.ss_family == AF_INET) {
///     req.addr.family = TW_IP_V4;
///     memcpy(req.addr.bytes, &((const struct sockaddr_in *)&peer)->sin_addr, 4);
/// } else if (peer.ss_family == AF_INET6) {
///     req.addr.family = TW_IP_V6;
///     memcpy(req.addr.bytes, &((const struct sockaddr_in6 *)&peer)->sin6_addr, 16);
/// }
/// ```
///
/// An IPv4-mapped IPv6 address (`::ffff:10.2.3.4`, what a dual-stack socket reports for an
/// IPv4 client) is the IPv4 address to every policy and detector: pass it as it is.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tw_ip {
    /// `TW_IP_NONE` (0: absent), `TW_IP_V4` or `TW_IP_V6`; any other value is
    /// `TW_INVALID_ARGUMENT`. Not an `AF_*` constant: those differ between systems.
    pub family: u8,
    /// The address: the first 4 bytes for `TW_IP_V4` (the rest are ignored), all 16 for
    /// `TW_IP_V6`.
    pub bytes: [u8; 16],
}

impl tw_ip {
    /// The address, or `None` when absent.
    #[inline(always)]
    fn to_core(self) -> Result<Option<IpAddr>, Failure> {
        let [a, b, c, d, ..] = self.bytes;
        match self.family {
            TW_IP_NONE => Ok(None),
            TW_IP_V4 => Ok(Some(IpAddr::V4(Ipv4Addr::new(a, b, c, d)))),
            TW_IP_V6 => Ok(Some(IpAddr::V6(Ipv6Addr::from(self.bytes)))),
            family => Err(bad_family(family)),
        }
    }
}

#[cold]
fn bad_family(family: u8) -> Failure {
    Failure::new(
        tw_status::TW_INVALID_ARGUMENT,
        format!(
            "request.addr.family is {family}, not TW_IP_NONE (0), TW_IP_V4 (4) or TW_IP_V6 (6)"
        ),
    )
}

/// One request presenting a token, with the context the host knows. Only `token` is
/// required; a zero-initialised struct has every other field absent (`len` 0, `addr.family`
/// `TW_IP_NONE`). A policy condition on a field the request lacks denies (fail closed): a
/// policy with `allow_ips` denies a request without `ip` or `addr` as
/// `TW_REASON_IP_NOT_ALLOWED`.
///
/// ```c
/// tw_request req = {0};
/// req.token = (tw_str){token, token_len};
/// req.addr.family = TW_IP_V4; // or, from text: req.ip = (tw_str){"10.2.3.4", 8};
/// memcpy(req.addr.bytes, &peer_v4.sin_addr, 4);
/// req.method = (tw_str){"GET", 3};
/// req.path = (tw_str){raw_path, raw_path_len};
/// ```
///
/// `addr` was added after the first fields (in 0.1.0, before any release): a program compiled
/// against a header without it must be recompiled, as for any change of a struct's size.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tw_request {
    /// The raw token as presented (any bytes, need not be UTF-8). Absent or longer than 4096
    /// bytes: `TW_REASON_UNKNOWN_TOKEN`.
    pub token: tw_str,
    /// The client address as text (`203.0.113.9`, `2001:db8::1`), for hosts that have it as
    /// text; a server holding a `struct sockaddr` passes `addr` instead (no parsing). Text that
    /// is no address is `TW_INVALID_ARGUMENT`, never ignored. Give `ip` or `addr`, not both.
    pub ip: tw_str,
    /// The client's country, ISO 3166-1 alpha-2 (`DE`; case-insensitive).
    pub country: tw_str,
    /// The HTTP method (or any verb the host uses).
    pub method: tw_str,
    /// The raw request-target path as received, before any decoding (`/v1/caf%C3%A9?x=2`);
    /// the query is ignored. A path with no canonical form (`/a/..%2fb`) is denied as
    /// `TW_REASON_INVALID_PATH`.
    pub path: tw_str,
    /// Who the caller says it is (a service account, a user id).
    pub subject: tw_str,
    /// The device identifier.
    pub device: tw_str,
    /// The deployment environment (`prod`, `staging`).
    pub environment: tw_str,
    /// The user agent.
    pub user_agent: tw_str,
    /// Whether `latitude` and `longitude` hold the client's location (for the impossible
    /// travel detector).
    pub has_location: bool,
    /// Latitude in degrees, -90 to 90.
    pub latitude: f64,
    /// Longitude in degrees, -180 to 180.
    pub longitude: f64,
    /// The client address in binary (see `tw_ip`); `family` `TW_IP_NONE` when absent. Both
    /// `addr` and `ip` present is `TW_INVALID_ARGUMENT` (which one to trust is the host's
    /// decision, not a guess).
    pub addr: tw_ip,
}

impl tw_request {
    /// Writes the core's request into `core` (all of it on success), borrowing the fields'
    /// bytes.
    ///
    /// An out-parameter, and not inlined, so each field is written once, in place: returned by
    /// value, or inlined, the request was assembled aside and copied (about 50 instructions of
    /// a check: callgrind, `benches/c_guard_check.sh`).
    ///
    /// # Safety
    /// Every field must be valid as documented.
    #[inline(never)]
    pub(crate) unsafe fn read_into<'a>(&'a self, core: &mut Request<'a>) -> Result<(), Failure> {
        core.ip = match (self.addr.to_core()?, self.ip.len) {
            (addr, 0) => addr,
            // SAFETY: the caller's contract, field by field.
            (None, _) => Some(text_ip(unsafe { self.ip.text("request.ip") }?)?),
            (Some(_), _) => return Err(both_addresses()),
        };
        core.location = match self.has_location {
            false => None,
            true => Some(location(self.latitude, self.longitude)?),
        };
        // SAFETY: as above.
        core.token = unsafe { self.token.bytes("request.token") }?.unwrap_or_default();
        // SAFETY: as above.
        let text = |field: &tw_str, what| unsafe { field.text(what) };
        core.country = text(&self.country, "request.country")?;
        core.method = text(&self.method, "request.method")?;
        core.path = text(&self.path, "request.path")?;
        core.subject = text(&self.subject, "request.subject")?;
        core.device = text(&self.device, "request.device")?;
        core.environment = text(&self.environment, "request.environment")?;
        core.user_agent = text(&self.user_agent, "request.user_agent")?;
        Ok(())
    }
}

/// The address in `request.ip` (present: its length is not 0).
fn text_ip(text: Option<&str>) -> Result<IpAddr, Failure> {
    text.and_then(|ip| ip.parse().ok()).ok_or_else(|| {
        Failure::new(
            tw_status::TW_INVALID_ARGUMENT,
            "request.ip is not an IPv4 or IPv6 address",
        )
    })
}

#[cold]
fn both_addresses() -> Failure {
    Failure::new(
        tw_status::TW_INVALID_ARGUMENT,
        "request.ip and request.addr are both set: pass the client address once",
    )
}

fn location(latitude: f64, longitude: f64) -> Result<(f64, f64), Failure> {
    if (-90.0..=90.0).contains(&latitude) && (-180.0..=180.0).contains(&longitude) {
        Ok((latitude, longitude))
    } else {
        Err(Failure::new(
            tw_status::TW_INVALID_ARGUMENT,
            "request.latitude must be within -90..90 and request.longitude within -180..180",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(text: &'static str) -> tw_str {
        tw_str {
            ptr: text.as_ptr().cast(),
            len: text.len(),
        }
    }

    fn request() -> tw_request {
        let none = field("");
        tw_request {
            token: field("tw_token"),
            ip: none,
            country: none,
            method: none,
            path: none,
            subject: none,
            device: none,
            environment: none,
            user_agent: none,
            has_location: false,
            latitude: 0.0,
            longitude: 0.0,
            addr: tw_ip {
                family: TW_IP_NONE,
                bytes: [0; 16],
            },
        }
    }

    fn ip_of(request: &tw_request) -> Result<Option<IpAddr>, tw_status> {
        let mut core = Request::default();
        unsafe { request.read_into(&mut core) }
            .map(|()| core.ip)
            .map_err(|f| f.status)
    }

    #[test]
    fn binary_and_text_addresses_agree() {
        let mut v4 = request();
        v4.addr.family = TW_IP_V4;
        v4.addr.bytes[..4].copy_from_slice(&[10, 2, 3, 4]);
        v4.addr.bytes[4..].fill(0xee); // ignored for IPv4
        let mut text = request();
        text.ip = field("10.2.3.4");
        assert_eq!(ip_of(&v4), Ok(Some("10.2.3.4".parse().unwrap())));
        assert_eq!(ip_of(&v4), ip_of(&text));

        let mut v6 = request();
        v6.addr.family = TW_IP_V6;
        v6.addr.bytes = "2001:db8::1".parse::<Ipv6Addr>().unwrap().octets();
        assert_eq!(ip_of(&v6), Ok(Some("2001:db8::1".parse().unwrap())));
        assert_eq!(ip_of(&request()), Ok(None));
    }

    #[test]
    fn bad_families_and_two_addresses_are_refused() {
        for family in [1, 2, 10, 5, 255] {
            let mut r = request();
            r.addr.family = family;
            assert_eq!(ip_of(&r), Err(tw_status::TW_INVALID_ARGUMENT));
        }
        let mut both = request();
        both.ip = field("10.2.3.4");
        both.addr.family = TW_IP_V4;
        assert_eq!(ip_of(&both), Err(tw_status::TW_INVALID_ARGUMENT));
        let mut junk = request();
        junk.ip = field("10.2.3.400");
        assert_eq!(ip_of(&junk), Err(tw_status::TW_INVALID_ARGUMENT));
        let mut not_utf8 = request();
        not_utf8.ip = tw_str {
            ptr: b"\xff".as_ptr().cast(),
            len: 1,
        };
        assert_eq!(ip_of(&not_utf8), Err(tw_status::TW_INVALID_UTF8));
    }

    #[test]
    fn locations_in_range_only() {
        assert!(location(52.5, 13.4).is_ok());
        for (lat, lon) in [
            (91.0, 0.0),
            (0.0, -181.0),
            (f64::NAN, 0.0),
            (0.0, f64::INFINITY),
        ] {
            assert_eq!(
                location(lat, lon).unwrap_err().status,
                tw_status::TW_INVALID_ARGUMENT
            );
        }
    }
}
