//! Turning request attributes into compact keys: fixed-key hashes, networks, normalised user
//! agents and endpoints, country codes. Nothing here allocates except the display strings that
//! go into alert evidence.

use std::hash::Hasher;
use std::net::IpAddr;

use siphasher::sip::SipHasher13;

// A fixed, public key: the hashes only need to agree across instances so sketches merge, and
// must not change between versions so snapshots stay valid. They are not a secret defence.
const K0: u64 = 0x746f_6b65_6e77_6172; // "tokenwar"
const K1: u64 = 0x6420_7573_6167_6531; // "d usage1"

// Domain tags so an IP, an agent and a path with the same bytes never share a hash.
const TAG_IP: u8 = 1;
const TAG_NET: u8 = 2;
const TAG_WIDE: u8 = 3;
const TAG_AGENT: u8 = 4;
const TAG_ENDPOINT: u8 = 5;
const TAG_INT: u8 = 6;
const TAG_FAMILY: u8 = 7;
const TAG_PATH: u8 = 8;

/// Inputs longer than this are hashed by their first `MAX_INPUT` bytes, bounding the work a
/// hostile request can cause.
const MAX_INPUT: usize = 1024;

fn hasher(tag: u8) -> SipHasher13 {
    let mut h = SipHasher13::new_with_keys(K0, K1);
    h.write_u8(tag);
    h
}

fn fold(h: SipHasher13) -> u32 {
    let x = h.finish();
    (x ^ (x >> 32)) as u32
}

/// Hash of an integer (tests and benches use it to make distinct values).
pub(crate) fn hash_u64(v: u64) -> u32 {
    let mut h = hasher(TAG_INT);
    h.write_u64(v);
    fold(h)
}

/// v4-mapped v6 addresses count as their v4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// The keys of one IP: the address, its network (/24 or /48) and its wide network (/16 or /32).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct IpKeys {
    pub ip: u32,
    pub network: u32,
    pub wide: u32,
}

pub(crate) fn ip_keys(ip: IpAddr) -> IpKeys {
    let (bytes, len, net_len, wide_len) = match canonical(ip) {
        IpAddr::V4(v4) => {
            let mut b = [0u8; 16];
            b[..4].copy_from_slice(&v4.octets());
            (b, 4, 3, 2)
        }
        IpAddr::V6(v6) => (v6.octets(), 16, 6, 4),
    };
    let key = |tag: u8, n: usize| {
        let mut h = hasher(tag);
        h.write_u8(len as u8);
        h.write(&bytes[..n]);
        fold(h)
    };
    IpKeys {
        ip: key(TAG_IP, len),
        network: key(TAG_NET, net_len),
        wide: key(TAG_WIDE, wide_len),
    }
}

/// The network of an IP for display: `a.b.c.0/24` or the /48 of a v6 address.
pub(crate) fn network_text(ip: IpAddr) -> String {
    match canonical(ip) {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
        }
    }
}

/// Hash of a user agent with digits ignored, so `curl/8.4.0` and `curl/8.5.0` are one family.
pub(crate) fn agent_key(agent: &str) -> u32 {
    let mut h = hasher(TAG_AGENT);
    let bytes = &agent.as_bytes()[..agent.len().min(MAX_INPUT)];
    // SipHash is a byte stream: writing the runs between digits equals writing them joined.
    for run in bytes.split(u8::is_ascii_digit) {
        h.write(run);
    }
    fold(h)
}

/// Whether a path segment is an identifier rather than part of the route. Identifiers collapse
/// to `{id}` so `/users/17` and `/users/42` are one endpoint, and a secret in a path never
/// reaches evidence. What real APIs put in paths:
/// - numbers, hex and UUIDs, long random strings (20+ bytes);
/// - anything percent-encoded (object keys such as `reports%2F2024%2Fq1.csv`);
/// - digits mixed with separators: versions (`1.4.2`, `v2.0`), dates (`2024-01-05`), prefixed
///   ids (`cus_9fZk2L`, `sub-00017`), names with numbers (`build-4411`);
/// - letters and digits mixed over 8+ bytes (`a1b2c3d4`, `NffrFeUfNV2Hib`);
/// - prefixed ids without digits (`acct_NffrFeUfNVHib`: a short lower-case prefix, `_` and 8+
///   characters with upper case);
/// - slugs of three or more words (`how-to-reset-a-password`).
///
/// Short words (`v1`, `api2`, `audit-logs`, `wp-login.php`) stay route segments.
fn is_identifier(segment: &[u8]) -> bool {
    if segment.contains(&b'%') || segment.len() >= 20 {
        return true;
    }
    let digits = segment.iter().filter(|b| b.is_ascii_digit()).count();
    if digits > 0 {
        let separated = segment.iter().any(|b| {
            matches!(
                b,
                b'.' | b'_' | b'-' | b'~' | b':' | b'@' | b'+' | b'=' | b','
            )
        });
        let hex = segment.len() >= 8 && segment.iter().all(|b| b.is_ascii_hexdigit() || *b == b'-');
        return digits == segment.len() || hex || separated || segment.len() >= 8;
    }
    if let Some(at) = segment.iter().position(|b| *b == b'_') {
        let (prefix, rest) = (&segment[..at], &segment[at + 1..]);
        if (2..=8).contains(&prefix.len())
            && prefix.iter().all(u8::is_ascii_lowercase)
            && rest.len() >= 8
            && rest.iter().all(u8::is_ascii_alphanumeric)
            && rest.iter().any(u8::is_ascii_uppercase)
        {
            return true;
        }
    }
    segment.iter().filter(|b| **b == b'-').count() >= 2
}

/// Hash of a path as requested (identifiers kept, query dropped): tells a client retrying one
/// URL from one walking many.
pub(crate) fn path_key(path: &str) -> u32 {
    let mut h = hasher(TAG_PATH);
    for segment in route(path) {
        h.write_u8(b'/');
        h.write(segment);
    }
    fold(h)
}

/// Route segments kept in a route family (see [`family_key`]).
const FAMILY_DEPTH: usize = 2;

/// Hash of a path's route family: its first two segments with identifiers collapsed, any
/// method. The scan detector learns families rather than full endpoints, so identifiers the
/// folding misses deeper in a path (`/v1/projects/acme-web/builds`) never look like new
/// endpoints, while a scan's `/admin`, `/.env`, `/v1/internal` still do.
pub(crate) fn family_key(path: &str) -> u32 {
    let mut h = hasher(TAG_FAMILY);
    for segment in route(path).take(FAMILY_DEPTH) {
        h.write_u8(b'/');
        write_folded(&mut h, segment);
    }
    fold(h)
}

/// How a path segment reads once identifiers are folded.
enum Folded<'s> {
    Route(&'s [u8]),
    Id,
    /// An object key (`reports%2F2024%2Fq1.csv`, accepted where no endpoint scope judges the
    /// path): its first piece, folded in turn, then one identifier for the rest. Keys under
    /// one folder are one endpoint, while `/admin%2F` and `/.env%2F` stay as distinct as
    /// `/admin` and `/.env`: a scan cannot pass them all off as one folded segment.
    Key(&'s [u8]),
}

fn fold_segment(segment: &[u8]) -> Folded<'_> {
    if !is_identifier(segment) {
        return Folded::Route(segment);
    }
    // Only identifiers can hold a `%`: plain segments never pay for this.
    match segment
        .contains(&b'%')
        .then(|| encoded_slash(segment))
        .flatten()
    {
        Some(cut) if cut > 0 => Folded::Key(&segment[..cut]),
        _ => Folded::Id,
    }
}

/// Where the first `%2F` of a segment is (canonical paths write escapes in upper case).
/// Segments are short: a plain scan costs less than setting up `memchr`.
fn encoded_slash(segment: &[u8]) -> Option<usize> {
    segment.windows(3).position(|w| w == b"%2F")
}

/// Writes `segment` folded into `h`.
fn write_folded(h: &mut SipHasher13, segment: &[u8]) {
    match fold_segment(segment) {
        Folded::Route(s) => h.write(s),
        Folded::Id => h.write_u8(0),
        Folded::Key(first) => {
            // The first piece holds no `%2F`: it folds to a route word or an identifier.
            if is_identifier(first) {
                h.write_u8(0);
            } else {
                h.write(first);
            }
            h.write_u8(b'/');
            h.write_u8(0);
        }
    }
}

fn route(path: &str) -> impl Iterator<Item = &[u8]> {
    let bytes = &path.as_bytes()[..path.len().min(MAX_INPUT)];
    let end = bytes
        .iter()
        .position(|&b| b == b'?' || b == b'#')
        .unwrap_or(bytes.len());
    bytes[..end].split(|&b| b == b'/').filter(|s| !s.is_empty())
}

/// Hidden files and directories that hold configuration or credentials, which scanners for
/// leaked secrets request (lower case; `.env` also with a suffix: `.env.production`,
/// `.env.bak`, `.env~`, `.env_old`).
const PROBED_HIDDEN: &[&[u8]] = &[
    b".env",
    b".git",
    b".git-credentials",
    b".svn",
    b".hg",
    b".bzr",
    b".aws",
    b".azure",
    b".ssh",
    b".gnupg",
    b".docker",
    b".kube",
    b".npmrc",
    b".pypirc",
    b".netrc",
    b".pgpass",
    b".htpasswd",
    b".htaccess",
    b".bash_history",
    b".zsh_history",
    b".ds_store",
    b".vscode",
    b".idea",
];

/// Whether the path asks for one of the hidden files or directories scanners probe for leaked
/// configuration (`/.env`, `/app/.git/config`, `/.aws/credentials`). Other hidden names
/// (`.github`, `.gitlab-ci.yml`, `.well-known`) are ordinary paths of file and repository APIs.
pub(crate) fn is_hidden(path: &str) -> bool {
    // Such a segment starts the path or follows a slash: most paths have no `/.` and are
    // not split at all.
    (path.starts_with('.') || memchr::memmem::find(path.as_bytes(), b"/.").is_some())
        && route(path).any(|segment| {
            // `.env` then anything but a letter or digit (`.envoy` is another name).
            let env_file = segment.len() > 4
                && segment[..4].eq_ignore_ascii_case(b".env")
                && !segment[4].is_ascii_alphanumeric();
            env_file
                || PROBED_HIDDEN
                    .iter()
                    .any(|name| segment.eq_ignore_ascii_case(name))
        })
}

/// Hash of method and path with query dropped and identifiers collapsed.
pub(crate) fn endpoint_key(method: Option<&str>, path: &str) -> u32 {
    let mut h = hasher(TAG_ENDPOINT);
    let mut verb = [0u8; 16];
    let method = method.unwrap_or("").as_bytes();
    let n = method.len().min(16);
    verb[..n].copy_from_slice(&method[..n]);
    verb[..n].make_ascii_uppercase();
    h.write(&verb[..n]);
    for segment in route(path) {
        h.write_u8(b'/');
        write_folded(&mut h, segment);
    }
    fold(h)
}

/// The same normalisation for display, e.g. `GET /repos/{id}/keys`, cut to 120 characters.
pub(crate) fn endpoint_text(method: Option<&str>, path: &str) -> String {
    let mut out = String::new();
    if let Some(m) = method {
        out.extend(m.chars().take(16).map(|c| c.to_ascii_uppercase()));
        out.push(' ');
    }
    for segment in route(path) {
        out.push('/');
        let (first, key) = match fold_segment(segment) {
            Folded::Key(first) => (first, true),
            _ => (segment, false),
        };
        if is_identifier(first) {
            out.push_str("{id}");
        } else {
            out.push_str(&String::from_utf8_lossy(first));
        }
        if key {
            out.push_str("/{id}");
        }
        if out.len() > 120 {
            out.truncate(out.floor_char_boundary_compat(117));
            out.push_str("...");
            break;
        }
    }
    if !out.contains('/') {
        out.push('/');
    }
    out
}

trait FloorBoundary {
    fn floor_char_boundary_compat(&self, at: usize) -> usize;
}

impl FloorBoundary for String {
    fn floor_char_boundary_compat(&self, mut at: usize) -> usize {
        while !self.is_char_boundary(at) {
            at -= 1;
        }
        at
    }
}

/// An ISO 3166-1 alpha-2 code as two upper-case bytes; anything else is `None`.
pub(crate) fn country_code(country: &str) -> Option<u16> {
    match country.as_bytes() {
        [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => Some(u16::from_be_bytes([
            a.to_ascii_uppercase(),
            b.to_ascii_uppercase(),
        ])),
        _ => None,
    }
}

/// The two letters of a country code.
pub(crate) fn country_text(code: u16) -> String {
    let [a, b] = code.to_be_bytes();
    [a as char, b as char].iter().collect()
}

/// Text cut to `max` characters for evidence.
pub(crate) fn clip(text: &str, max: usize) -> String {
    crate::error::Clip(text, max).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probed_hidden_paths_are_known_names_of_configuration() {
        for hidden in [
            ".env",
            "/.env",
            "/.ENV.production",
            "/.env~",
            "/api/.env_backup",
            "/app/.git/config",
            "/x/.aws/credentials?x=1",
            "/.DS_Store",
        ] {
            assert!(is_hidden(hidden), "{hidden}");
        }
        for plain in [
            "/",
            "/v1/a.b",
            "/v1/file.",
            "/v1/..",
            "/.well-known/jwks.json",
            "/.WELL-KNOWN/x",
            "/search?next=/.env",
            "/v1#/.git",
            "/repos/o/r/contents/.github/workflows/ci.yml",
            "/projects/1/repository/files/.gitlab-ci.yml",
            "/r/rust/.json",
            "/.auth/me",
            "/.envoy/config",
        ] {
            assert!(!is_hidden(plain), "{plain}");
        }
    }

    #[test]
    fn hashes_are_stable_across_builds() {
        // Sketches merge across instances and snapshots only if these never change.
        assert_eq!(hash_u64(1), hash_u64(1));
        let a = ip_keys("203.0.113.7".parse().unwrap());
        let b = ip_keys("203.0.113.9".parse().unwrap());
        let c = ip_keys("203.0.114.9".parse().unwrap());
        assert_ne!(a.ip, b.ip);
        assert_eq!(a.network, b.network);
        assert_ne!(a.network, c.network);
        assert_eq!(a.wide, c.wide);
        let mapped = ip_keys("::ffff:203.0.113.7".parse().unwrap());
        assert_eq!(mapped, a);
    }

    #[test]
    fn networks_display_as_prefixes() {
        assert_eq!(
            network_text("203.0.113.7".parse().unwrap()),
            "203.0.113.0/24"
        );
        assert_eq!(
            network_text("2001:db8:1:2::5".parse().unwrap()),
            "2001:db8:1::/48"
        );
    }

    #[test]
    fn agents_ignore_versions() {
        assert_eq!(agent_key("curl/8.4.0"), agent_key("curl/8.5.1"));
        assert_ne!(agent_key("curl/8.4.0"), agent_key("python-requests/2.31"));
        assert_eq!(agent_key("a1b22c"), agent_key("abc"));
    }

    #[test]
    fn endpoints_collapse_identifiers_and_queries() {
        let k = |m, p| endpoint_key(Some(m), p);
        assert_eq!(k("GET", "/users/17"), k("get", "/users/42?x=1"));
        assert_eq!(
            k("GET", "/o/3f2a9c1e-0b7d-4e2a-9a0f-123456789abc"),
            k("GET", "/o/0f2a9c1e-0b7d-4e2a-9a0f-123456789abd")
        );
        assert_ne!(k("GET", "/users/17"), k("DELETE", "/users/17"));
        assert_ne!(k("GET", "/users"), k("GET", "/admin"));
        assert_eq!(
            endpoint_text(Some("get"), "/repos/9912/keys?token=abc"),
            "GET /repos/{id}/keys"
        );
        assert_eq!(
            endpoint_text(None, "/hooks/xoxb1234567890abcdefghij"),
            "/hooks/{id}"
        );
        let long = "/a".repeat(5000);
        assert!(endpoint_text(Some("GET"), &long).len() <= 124);
    }

    #[test]
    fn real_world_identifiers_fold() {
        let text = |p| endpoint_text(Some("GET"), p);
        assert_eq!(text("/v1/customers/cus_9fZk2LmQ"), "GET /v1/customers/{id}");
        assert_eq!(
            text("/v1/subscriptions/sub_NffrFeUfNVHib"),
            "GET /v1/subscriptions/{id}"
        );
        assert_eq!(
            text("/v1/releases/1.4.2/assets"),
            "GET /v1/releases/{id}/assets"
        );
        assert_eq!(
            text("/v1/releases/v2.0/assets"),
            "GET /v1/releases/{id}/assets"
        );
        // An object key: its first piece, then one identifier for the rest.
        assert_eq!(
            text("/v1/objects/reports%2F2024%2Fq1.csv"),
            "GET /v1/objects/reports/{id}"
        );
        assert_eq!(
            text("/v1/objects/reports%2F2025%2Fq2.pdf"),
            "GET /v1/objects/reports/{id}"
        );
        assert_eq!(
            text("/v1/objects/4411%2Fa.csv"),
            "GET /v1/objects/{id}/{id}"
        );
        // A scan hiding behind a trailing encoded slash keeps its names.
        assert_eq!(text("/admin%2F"), "GET /admin/{id}");
        assert_ne!(family_key("/admin%2F"), family_key("/.env%2F"));
        assert_ne!(
            endpoint_key(Some("GET"), "/admin%2F"),
            endpoint_key(Some("GET"), "/.env%2F")
        );
        assert_eq!(
            family_key("/v1/objects/reports%2F2024"),
            family_key("/v1/objects/exports%2F2025")
        );
        assert_eq!(
            endpoint_key(Some("GET"), "/v1/objects/reports%2F2024%2Fa.csv"),
            endpoint_key(Some("GET"), "/v1/objects/reports%2F2025%2Fb.pdf")
        );
        assert_eq!(text("/v1/days/2024-01-05"), "GET /v1/days/{id}");
        assert_eq!(text("/docs/how-to-reset-password"), "GET /docs/{id}");
        assert_eq!(text("/v1/builds/a1b2c3d4"), "GET /v1/builds/{id}");
        // Route words stay.
        assert_eq!(text("/api2/audit-logs"), "GET /api2/audit-logs");
        assert_eq!(text("/wp-login.php"), "GET /wp-login.php");
        assert_eq!(text("/v1/user_settings"), "GET /v1/user_settings");
    }

    #[test]
    fn families_keep_two_segments() {
        assert_eq!(
            family_key("/v1/projects/acme-web/builds"),
            family_key("/v1/projects")
        );
        assert_eq!(
            family_key("/v1/customers/cus_9fZk2LmQ"),
            family_key("/v1/customers/7")
        );
        assert_ne!(family_key("/v1/projects"), family_key("/v1/admin"));
        assert_ne!(family_key("/.env"), family_key("/admin"));
    }

    #[test]
    fn country_codes_are_two_letters() {
        assert_eq!(country_code("de"), country_code("DE"));
        assert_eq!(country_text(country_code("de").unwrap()), "DE");
        assert_eq!(country_code("DEU"), None);
        assert_eq!(country_code("1A"), None);
        assert_eq!(country_code("ü"), None);
    }
}
