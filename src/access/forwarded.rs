//! Which proxies' forwarding headers are believed. The reference runs under
//! uvicorn, whose proxy-headers middleware takes `X-Forwarded-Proto` (one of
//! http, https, ws, wss) from trusted peers only, 127.0.0.1 by default, and
//! never takes the host from a header: artifactd does the same.

use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustedProxies {
    Any,
    These(Vec<IpNet>),
}

impl Default for TrustedProxies {
    fn default() -> Self {
        TrustedProxies::These(vec![IpNet::from(IpAddr::from([127, 0, 0, 1]))])
    }
}

impl FromStr for TrustedProxies {
    type Err = String;

    /// A comma-separated list of addresses or networks, or `*`.
    fn from_str(s: &str) -> Result<Self, String> {
        let items: Vec<&str> = s.split(',').map(str::trim).filter(|x| !x.is_empty()).collect();
        if items.contains(&"*") {
            return Ok(TrustedProxies::Any);
        }
        let nets = items
            .iter()
            .map(|item| {
                IpNet::from_str(item)
                    .or_else(|_| IpAddr::from_str(item).map(IpNet::from))
                    .map_err(|_| format!("'{item}' is not an IP address or network"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TrustedProxies::These(nets))
    }
}

impl TrustedProxies {
    pub fn trusts(&self, peer: Option<IpAddr>) -> bool {
        match (self, peer) {
            (TrustedProxies::Any, _) => true,
            (TrustedProxies::These(nets), Some(ip)) => nets.iter().any(|n| n.contains(&ip)),
            (TrustedProxies::These(_), None) => false,
        }
    }

    /// The request's scheme: `http`, unless a trusted peer forwarded another.
    pub fn scheme(&self, req: &actix_web::HttpRequest) -> String {
        if !self.trusts(req.peer_addr().map(|a| a.ip())) {
            return "http".into();
        }
        let forwarded = req.headers().get_all("x-forwarded-proto").last();
        let value: Option<String> = forwarded.map(|v| v.as_bytes().iter().map(|&b| b as char).collect());
        match value.as_deref().map(str::trim) {
            Some(p @ ("http" | "https" | "ws" | "wss")) => p.to_string(),
            _ => "http".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_addresses_networks_and_any() {
        let t: TrustedProxies = "127.0.0.1, 10.0.0.0/8,::1".parse().unwrap_or(TrustedProxies::Any);
        assert!(t.trusts(Some("127.0.0.1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0])))));
        assert!(t.trusts(Some(IpAddr::from([10, 1, 2, 3]))));
        assert!(!t.trusts(Some(IpAddr::from([192, 168, 0, 1]))));
        assert!(!t.trusts(None));
        assert_eq!("*".parse::<TrustedProxies>(), Ok(TrustedProxies::Any));
        assert!("localhost".parse::<TrustedProxies>().is_err());
        assert!(!TrustedProxies::default().trusts(Some("::1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0])))));
    }

    #[test]
    fn only_trusted_peers_set_the_scheme_and_only_to_known_schemes() {
        use actix_web::test::TestRequest;
        let peer = |ip: &str| format!("{ip}:5000").parse().unwrap_or_else(|_| std::net::SocketAddr::from(([0, 0, 0, 0], 0)));
        let t = TrustedProxies::default();
        let req = TestRequest::default().peer_addr(peer("127.0.0.1")).insert_header(("x-forwarded-proto", "https")).to_http_request();
        assert_eq!(t.scheme(&req), "https");
        let req = TestRequest::default().peer_addr(peer("127.0.0.1")).insert_header(("x-forwarded-proto", "javascript")).to_http_request();
        assert_eq!(t.scheme(&req), "http");
        let req = TestRequest::default().peer_addr(peer("192.0.2.1")).insert_header(("x-forwarded-proto", "https")).to_http_request();
        assert_eq!(t.scheme(&req), "http");
    }
}
