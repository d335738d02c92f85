//! The client's IP: the socket peer, or the `X-Forwarded-For` hop just before
//! the nearest untrusted one when the peer is a configured trusted proxy.

use std::net::IpAddr;

use actix_web::HttpRequest;

/// Proxies (exact addresses or CIDR ranges) whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    ranges: Vec<(IpAddr, u8)>,
}

impl TrustedProxies {
    /// Parses entries like `127.0.0.1`, `10.0.0.0/8` or `::1`.
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        let ranges = entries
            .iter()
            .map(|entry| {
                let (addr, bits) = match entry.split_once('/') {
                    Some((addr, bits)) => (addr, Some(bits)),
                    None => (entry.as_str(), None),
                };
                let addr: IpAddr = addr
                    .parse()
                    .map_err(|_| format!("`{entry}` is not an IP address or CIDR range"))?;
                let max = if addr.is_ipv4() { 32 } else { 128 };
                let bits = match bits {
                    Some(b) => b
                        .parse::<u8>()
                        .ok()
                        .filter(|b| *b <= max)
                        .ok_or_else(|| format!("`{entry}` has an invalid prefix length"))?,
                    None => max,
                };
                Ok((addr, bits))
            })
            .collect::<Result<_, String>>()?;
        Ok(Self { ranges })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.ranges
            .iter()
            .any(|(net, bits)| in_range(ip, *net, *bits))
    }
}

fn in_range(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

/// The address the request came from, honouring `X-Forwarded-For` only as far
/// back as the chain of trusted proxies reaches.
pub fn client_ip(req: &HttpRequest, trusted: &TrustedProxies) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    Some(resolve(peer, &forwarded, trusted))
}

fn resolve(peer: IpAddr, forwarded: &[&str], trusted: &TrustedProxies) -> IpAddr {
    let mut client = peer;
    for hop in forwarded.iter().rev() {
        if !trusted.contains(client) {
            break;
        }
        match hop.parse::<IpAddr>() {
            Ok(ip) => client = ip,
            Err(_) => break,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trusted(entries: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(&entries.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn untrusted_peers_cannot_spoof_their_address() {
        let ip = resolve(
            "203.0.113.9".parse().unwrap(),
            &["1.2.3.4"],
            &trusted(&["127.0.0.1"]),
        );
        assert_eq!(ip, "203.0.113.9".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn a_trusted_proxy_forwards_the_client_address() {
        let ip = resolve(
            "127.0.0.1".parse().unwrap(),
            &["198.51.100.7"],
            &trusted(&["127.0.0.1"]),
        );
        assert_eq!(ip, "198.51.100.7".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn only_the_trusted_part_of_the_chain_is_believed() {
        // The client forged the first entry; the trusted proxy appended the real one.
        let chain = ["6.6.6.6", "198.51.100.7", "10.1.2.3"];
        let ip = resolve(
            "127.0.0.1".parse().unwrap(),
            &chain,
            &trusted(&["127.0.0.1", "10.0.0.0/8"]),
        );
        assert_eq!(ip, "198.51.100.7".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn bad_entries_are_rejected() {
        assert!(TrustedProxies::parse(&["10.0.0.0/33".into()]).is_err());
        assert!(TrustedProxies::parse(&["localhost".into()]).is_err());
    }
}
