//! CIDR lists compiled into sorted, merged address ranges searched by bisection.

use std::net::{IpAddr, Ipv4Addr};

/// A set of IPv4 and IPv6 addresses, built from CIDRs. Lookup is a binary search.
///
/// ```
/// use tokenward::policy::IpSet;
///
/// let set = IpSet::parse(&["10.0.0.0/8", "2001:db8::/32", "192.0.2.7"]).unwrap();
/// assert!(set.contains("10.20.30.40".parse().unwrap()));
/// assert!(set.contains("::ffff:10.1.2.3".parse().unwrap())); // IPv4-mapped is IPv4
/// assert!(!set.contains("192.0.2.8".parse().unwrap()));
/// assert_eq!(IpSet::parse(&["10.0.0.0/33"]).unwrap_err(), (0, "invalid CIDR: prefix length above 32".to_string()));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpSet {
    v4: Vec<(u32, u32)>,
    v6: Vec<(u128, u128)>,
}

impl IpSet {
    /// Compiles CIDRs (`10.0.0.0/8`) and single addresses. An entry with host bits set
    /// (`10.0.0.1/8`) is an error, as it is usually a typo. Errors give the entry's index.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<IpSet, (usize, String)> {
        let mut set = IpSet::default();
        for (index, entry) in entries.iter().enumerate() {
            match parse_cidr(entry.as_ref()).map_err(|reason| (index, reason))? {
                Range::V4(lo, hi) => set.v4.push((lo, hi)),
                Range::V6(lo, hi) => set.v6.push((lo, hi)),
            }
        }
        set.v4 = merge(set.v4, |hi| hi.saturating_add(1));
        set.v6 = merge(set.v6, |hi| hi.saturating_add(1));
        Ok(set)
    }

    /// True when `ip` lies in one of the ranges. IPv4-mapped IPv6 addresses count as IPv4.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match ip.to_canonical() {
            IpAddr::V4(v4) => find(&self.v4, u32::from(v4)),
            IpAddr::V6(v6) => find(&self.v6, u128::from(v6)),
        }
    }

    /// True when the set holds no address.
    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }
}

enum Range {
    V4(u32, u32),
    V6(u128, u128),
}

fn parse_cidr(entry: &str) -> Result<Range, String> {
    let (addr, len) = match entry.split_once('/') {
        Some((addr, len)) => (addr, Some(len)),
        None => (entry, None),
    };
    let addr: IpAddr = addr
        .parse()
        .map_err(|_| "invalid CIDR: not an IP address".to_string())?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let len: u32 = match len {
        None => max,
        Some(len)
            if !len.is_empty() && len.len() <= 3 && len.bytes().all(|b| b.is_ascii_digit()) =>
        {
            len.parse().expect("checked digits")
        }
        Some(_) => return Err("invalid CIDR: prefix length is not a number".to_string()),
    };
    if len > max {
        return Err(format!("invalid CIDR: prefix length above {max}"));
    }
    let host_bits_set =
        |bits: u128, width: u32| len < width && bits & (u128::MAX >> (128 - width + len)) != 0;
    match addr {
        IpAddr::V4(v4) => v4_range(v4, len, host_bits_set),
        IpAddr::V6(v6) => {
            // An IPv4-mapped block (::ffff:10.0.0.0/104) is the IPv4 block it maps.
            if let (Some(v4), true) = (v6.to_ipv4_mapped(), len >= 96) {
                return v4_range(v4, len - 96, host_bits_set);
            }
            let bits = u128::from(v6);
            if host_bits_set(bits, 128) {
                return Err(format!("invalid CIDR: host bits set after /{len}"));
            }
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - len)
            };
            Ok(Range::V6(bits & mask, bits | !mask))
        }
    }
}

fn v4_range(
    v4: Ipv4Addr,
    len: u32,
    host_bits_set: impl Fn(u128, u32) -> bool,
) -> Result<Range, String> {
    let bits = u32::from(v4);
    if host_bits_set(u128::from(bits), 32) {
        let net = Ipv4Addr::from(bits & mask32(len));
        return Err(format!(
            "invalid CIDR: host bits set (did you mean {net}/{len}?)"
        ));
    }
    Ok(Range::V4(bits & mask32(len), bits | !mask32(len)))
}

fn mask32(len: u32) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - len)
    }
}

/// Sorts inclusive ranges and merges those that overlap or touch (`next` is the successor).
fn merge<T: Copy + Ord>(mut ranges: Vec<(T, T)>, next: impl Fn(T) -> T) -> Vec<(T, T)> {
    ranges.sort_unstable();
    let mut out: Vec<(T, T)> = Vec::with_capacity(ranges.len());
    for (lo, hi) in ranges {
        match out.last_mut() {
            Some(last) if lo <= next(last.1) => last.1 = last.1.max(hi),
            _ => out.push((lo, hi)),
        }
    }
    out.shrink_to_fit();
    out
}

fn find<T: Copy + Ord>(ranges: &[(T, T)], ip: T) -> bool {
    let after = ranges.partition_point(|&(lo, _)| lo <= ip);
    after > 0 && ranges[after - 1].1 >= ip
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::net::Ipv6Addr;

    fn naive_contains(cidrs: &[(u32, u32)], ip: u32) -> bool {
        cidrs
            .iter()
            .any(|&(net, len)| mask32(len) & ip == net & mask32(len))
    }

    proptest! {
        #[test]
        fn v4_matches_a_naive_scan(
            cidrs in proptest::collection::vec((any::<u32>(), 0u32..=32), 0..40),
            probes in proptest::collection::vec(any::<u32>(), 1..40),
        ) {
            let entries: Vec<String> = cidrs.iter()
                .map(|&(net, len)| format!("{}/{len}", Ipv4Addr::from(net & mask32(len))))
                .collect();
            let set = IpSet::parse(&entries).unwrap();
            // Probe random addresses and the edges of every block.
            let edges = cidrs.iter().flat_map(|&(n, l)| {
                let lo = n & mask32(l);
                [lo, lo | !mask32(l), lo.wrapping_sub(1), (lo | !mask32(l)).wrapping_add(1)]
            });
            for ip in probes.into_iter().chain(edges) {
                prop_assert_eq!(set.contains(IpAddr::V4(ip.into())), naive_contains(&cidrs, ip), "{}", Ipv4Addr::from(ip));
            }
        }

        #[test]
        fn v6_matches_a_naive_scan(
            cidrs in proptest::collection::vec((any::<u128>(), 0u32..=128), 0..30),
            probes in proptest::collection::vec(any::<u128>(), 1..30),
        ) {
            let mask = |len: u32| if len == 0 { 0 } else { u128::MAX << (128 - len) };
            // Keep clear of the IPv4-mapped block, which is matched as IPv4.
            let cidrs: Vec<(u128, u32)> = cidrs.into_iter()
                .map(|(n, l)| ((n & mask(l)) | (1 << 127), l.max(1)))
                .map(|(n, l)| (n & mask(l), l))
                .collect();
            let entries: Vec<String> = cidrs.iter().map(|&(n, l)| format!("{}/{l}", Ipv6Addr::from(n))).collect();
            let set = IpSet::parse(&entries).unwrap();
            let edges = cidrs.iter().flat_map(|&(n, l)| [n, n | !mask(l), n.wrapping_sub(1), (n | !mask(l)).wrapping_add(1)]);
            for ip in probes.into_iter().map(|p| p | (1 << 127)).chain(edges) {
                let naive = cidrs.iter().any(|&(n, l)| ip & mask(l) == n);
                let addr = Ipv6Addr::from(ip);
                if addr.to_ipv4_mapped().is_some() { continue; }
                prop_assert_eq!(set.contains(IpAddr::V6(addr)), naive, "{}", addr);
            }
        }
    }

    #[test]
    fn errors_name_the_problem() {
        let err = |s: &str| IpSet::parse(&[s]).unwrap_err().1;
        assert_eq!(err("10.0.0.0/33"), "invalid CIDR: prefix length above 32");
        assert_eq!(
            err("10.0.0.1/8"),
            "invalid CIDR: host bits set (did you mean 10.0.0.0/8?)"
        );
        assert_eq!(err("10.0.0/8"), "invalid CIDR: not an IP address");
        assert_eq!(
            err("10.0.0.0/x"),
            "invalid CIDR: prefix length is not a number"
        );
        assert_eq!(
            err("2001:db8::1/32"),
            "invalid CIDR: host bits set after /32"
        );
        assert_eq!(IpSet::parse(&["10.0.0.0/8", "nope"]).unwrap_err().0, 1);
    }

    #[test]
    fn whole_spaces_and_mapped_blocks() {
        let all = IpSet::parse(&["0.0.0.0/0", "::/0"]).unwrap();
        assert!(all.contains("255.255.255.255".parse().unwrap()));
        assert!(all.contains("ffff::1".parse().unwrap()));
        let mapped = IpSet::parse(&["::ffff:192.168.0.0/112"]).unwrap();
        assert!(mapped.contains("192.168.3.4".parse().unwrap()));
        assert!(!mapped.contains("192.169.0.0".parse().unwrap()));
    }
}
