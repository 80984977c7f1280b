//! Typed readers over a set of environment variables; each error names its variable.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("configuration error: {variable} {message}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

impl ConfigError {
    pub fn new(variable: &'static str, message: impl Into<String>) -> Self {
        Self {
            variable,
            message: message.into(),
        }
    }
}

/// The variables to read: the process environment, or a fixed map in tests.
pub struct EnvReader {
    vars: HashMap<String, String>,
}

impl EnvReader {
    pub fn process() -> Self {
        Self {
            vars: std::env::vars().collect(),
        }
    }

    #[cfg(test)]
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        Self {
            vars: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// A set, non-blank value, or `None`.
    fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    pub fn required(&self, name: &'static str) -> Result<String, ConfigError> {
        self.get(name)
            .map(str::to_owned)
            .ok_or_else(|| ConfigError::new(name, "is required but not set"))
    }

    pub fn optional(&self, name: &'static str) -> Option<String> {
        self.get(name).map(str::to_owned)
    }

    pub fn string_or(&self, name: &'static str, default: &str) -> Result<String, ConfigError> {
        Ok(self.get(name).unwrap_or(default).to_owned())
    }

    /// A database name: letters, digits, `_` and `-` only.
    pub fn name_or(&self, name: &'static str, default: &str) -> Result<String, ConfigError> {
        let value = self.string_or(name, default)?;
        let valid = value.len() <= 63
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if valid {
            Ok(value)
        } else {
            Err(ConfigError::new(name, "must be 1..=63 of [A-Za-z0-9_-]"))
        }
    }

    pub fn url(&self, name: &'static str, schemes: &[&str]) -> Result<String, ConfigError> {
        let raw = self.required(name)?;
        let parsed = url::Url::parse(&raw)
            .map_err(|e| ConfigError::new(name, format!("is not a valid URL ({e})")))?;
        if !schemes.contains(&parsed.scheme()) {
            return Err(ConfigError::new(
                name,
                format!(
                    "must use one of the schemes {schemes:?} (got `{}`)",
                    parsed.scheme()
                ),
            ));
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(ConfigError::new(name, "must name a host"));
        }
        Ok(raw)
    }

    pub fn number_or<T>(
        &self,
        name: &'static str,
        default: T,
        range: RangeInclusive<T>,
    ) -> Result<T, ConfigError>
    where
        T: FromStr + PartialOrd + std::fmt::Display + Copy,
    {
        let Some(raw) = self.get(name) else {
            return Ok(default);
        };
        let value: T = raw
            .parse()
            .map_err(|_| ConfigError::new(name, format!("must be a whole number (got `{raw}`)")))?;
        if range.contains(&value) {
            Ok(value)
        } else {
            Err(ConfigError::new(
                name,
                format!(
                    "must be in {}..={} (got {value})",
                    range.start(),
                    range.end()
                ),
            ))
        }
    }

    /// `true` or `false` (also `1`/`0`, `on`/`off`, `yes`/`no`, in any case).
    pub fn flag_or(&self, name: &'static str, default: bool) -> Result<bool, ConfigError> {
        let Some(raw) = self.get(name) else {
            return Ok(default);
        };
        match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "on" | "yes" => Ok(true),
            "false" | "0" | "off" | "no" => Ok(false),
            _ => Err(ConfigError::new(
                name,
                format!("must be `true` or `false` (got `{raw}`)"),
            )),
        }
    }

    /// A whole number of the unit the name ends with (`_MS`, `_SECONDS`, `_MINUTES`,
    /// `_HOURS`, `_DAYS`): the name states the unit, and nothing else does.
    pub fn duration_or(
        &self,
        name: &'static str,
        default: u64,
        range: RangeInclusive<u64>,
    ) -> Result<Duration, ConfigError> {
        let unit = unit_of(name).ok_or_else(|| {
            ConfigError::new(
                name,
                "names no unit (_MS, _SECONDS, _MINUTES, _HOURS, _DAYS)",
            )
        })?;
        let count = self.number_or(name, default, range)?;
        Ok(unit * u32::try_from(count).unwrap_or(u32::MAX))
    }

    pub fn socket_addr_or(
        &self,
        name: &'static str,
        default: &str,
    ) -> Result<SocketAddr, ConfigError> {
        let raw = self.string_or(name, default)?;
        raw.parse().map_err(|_| {
            ConfigError::new(
                name,
                format!("must be an address like 127.0.0.1:8080 (got `{raw}`)"),
            )
        })
    }

    /// A comma-separated list; empty when unset.
    pub fn list(&self, name: &'static str) -> Result<Vec<String>, ConfigError> {
        Ok(self
            .get(name)
            .map(|raw| {
                raw.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default())
    }

    pub fn trusted_proxies(&self, name: &'static str) -> Result<TrustedProxies, ConfigError> {
        let entries = self.list(name)?;
        let mut networks = Vec::with_capacity(entries.len());
        for entry in entries {
            networks.push(IpNetwork::parse(&entry).ok_or_else(|| {
                ConfigError::new(
                    name,
                    format!("`{entry}` is not an IP address or CIDR block"),
                )
            })?);
        }
        Ok(TrustedProxies { networks })
    }
}

/// The proxies whose `X-Forwarded-For` hops are believed.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies {
    networks: Vec<IpNetwork>,
}

impl TrustedProxies {
    /// Parses a comma-separated list of addresses and CIDR blocks.
    pub fn parse_list(raw: &str) -> Option<Self> {
        let networks = raw
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(IpNetwork::parse)
            .collect::<Option<Vec<_>>>()?;
        Some(Self { networks })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.networks.iter().any(|n| n.contains(ip))
    }

    pub fn is_empty(&self) -> bool {
        self.networks.is_empty()
    }
}

#[derive(Clone, Copy, Debug)]
struct IpNetwork {
    addr: IpAddr,
    prefix: u8,
}

impl IpNetwork {
    fn parse(raw: &str) -> Option<Self> {
        let (addr, prefix) = match raw.split_once('/') {
            Some((addr, prefix)) => (
                addr.parse::<IpAddr>().ok()?,
                Some(prefix.parse::<u8>().ok()?),
            ),
            None => (raw.parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Self { addr, prefix })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => prefix_match(
                u128::from(u32::from(net)) << 96,
                u128::from(u32::from(ip)) << 96,
                self.prefix,
            ),
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_match(u128::from(net), u128::from(ip), self.prefix)
            }
            (IpAddr::V6(_), IpAddr::V4(v4)) => {
                IpNetwork::contains(self, IpAddr::V6(v4.to_ipv6_mapped()))
            }
            (IpAddr::V4(_), IpAddr::V6(v6)) => v6
                .to_ipv4_mapped()
                .is_some_and(|v4| self.contains(IpAddr::V4(v4))),
        }
    }
}

fn prefix_match(net: u128, ip: u128, prefix: u8) -> bool {
    if prefix == 0 {
        return true;
    }
    let mask = u128::MAX << (128 - u32::from(prefix));
    net & mask == ip & mask
}

/// The unit a duration variable's name ends with.
fn unit_of(name: &str) -> Option<Duration> {
    [
        ("_MS", 1),
        ("_SECONDS", 1_000),
        ("_MINUTES", 60_000),
        ("_HOURS", 3_600_000),
        ("_DAYS", 86_400_000),
    ]
    .into_iter()
    .find(|(suffix, _)| name.ends_with(suffix))
    .map(|(_, millis)| Duration::from_millis(millis))
}
