//! The client address: the TCP peer, unless the peer is a trusted proxy, in which case the
//! right-most `X-Forwarded-For` hop that is not itself a trusted proxy. (The left-most
//! entry is whatever the client wrote, so trusting it would let anyone pick their address.)

use std::net::IpAddr;

use crate::config::TrustedProxies;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

pub fn resolve(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    trusted: &TrustedProxies,
) -> Option<IpAddr> {
    let peer = peer?;
    if trusted.is_empty() || !trusted.contains(peer) {
        return Some(peer);
    }
    let Some(header) = forwarded_for else {
        return Some(peer);
    };
    let mut last_trusted = peer;
    for hop in header.rsplit(',').map(str::trim) {
        match hop.parse::<IpAddr>() {
            Ok(ip) if trusted.contains(ip) => last_trusted = ip,
            Ok(ip) => return Some(ip),
            // A malformed hop: everything left of it is unverifiable, so stop here.
            Err(_) => return Some(last_trusted),
        }
    }
    Some(last_trusted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TrustedProxies;

    fn proxies(list: &str) -> TrustedProxies {
        TrustedProxies::parse_list(list).unwrap()
    }

    fn ip(raw: &str) -> IpAddr {
        raw.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client_whatever_the_header_says() {
        let none = TrustedProxies::default();
        assert_eq!(
            resolve(Some(ip("203.0.113.9")), Some("1.2.3.4"), &none),
            Some(ip("203.0.113.9"))
        );
    }

    #[test]
    fn an_untrusted_peer_cannot_forge_its_address() {
        let trusted = proxies("10.0.0.0/8");
        assert_eq!(
            resolve(Some(ip("203.0.113.9")), Some("1.2.3.4"), &trusted),
            Some(ip("203.0.113.9"))
        );
    }

    #[test]
    fn behind_trusted_proxies_the_right_most_untrusted_hop_is_the_client() {
        let trusted = proxies("10.0.0.0/8");
        // The client forged "6.6.6.6"; the first proxy appended the real client, 198.51.100.7.
        let header = "6.6.6.6, 198.51.100.7, 10.1.1.1";
        assert_eq!(
            resolve(Some(ip("10.0.0.2")), Some(header), &trusted),
            Some(ip("198.51.100.7"))
        );
        assert_eq!(
            resolve(Some(ip("10.0.0.2")), None, &trusted),
            Some(ip("10.0.0.2"))
        );
        assert_eq!(
            resolve(Some(ip("10.0.0.2")), Some("garbage, 10.1.1.1"), &trusted),
            Some(ip("10.1.1.1"))
        );
    }
}
