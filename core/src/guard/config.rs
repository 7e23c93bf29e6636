//! The Guard's configuration document and token metadata.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::respond::ResponseRule;
use crate::policy::{PolicyDoc, PolicyError};
use crate::usage::UsageConfig;
use crate::Timestamp;

/// Default capacity of the event queue.
pub const DEFAULT_EVENT_CAPACITY: usize = 4096;

/// A Guard's configuration: the minting prefix, the event queue's size, named policies, usage
/// tracking with its anomaly detectors, and the response rules that act on their alerts.
///
/// A `[usage]` section (even empty) turns usage tracking on: every check of a registered token
/// feeds its [`UsageTracker`](crate::UsageTracker), whose settings the section holds (see
/// [`UsageConfig`]). `[[respond]]` rules (see [`ResponseRule`]) need it. Without rules every
/// alert is only reported (`notify`).
///
/// ```
/// use tokenward::GuardConfig;
///
/// let config = GuardConfig::from_toml(r#"
///     token_prefix = "acme_"
///     event_capacity = 10000
///
///     [policies.ci]
///     subjects = ["ci-runner"]
///     allow_ips = ["10.0.0.0/8"]
///     endpoints = ["POST /v1/deploys"]
///
///     [policies.readonly]
///     endpoints = ["GET /v1/**"]
///     rate_limit = { requests = 100, window = "1m" }
///
///     [usage]
///     learning_period_secs = 86400
///
///     [[respond]]
///     on = "ip_fanout"
///     min_severity = "high"
///     action = "quarantine"
/// "#)?;
/// assert_eq!(config.policies.len(), 2);
/// assert_eq!(config.respond.len(), 1);
///
/// let err = GuardConfig::from_toml("[usage]\ndistinct_cap = 99").unwrap_err();
/// assert_eq!(err.to_string(), "usage.distinct_cap: must be between 1 and 16");
///
/// let err = GuardConfig::from_toml("[policies.ci]\nallow_ips = [\"10.0.0.0/33\"]").unwrap_err();
/// assert_eq!(err.to_string(), r#"policies.ci.allow_ips[0]: invalid CIDR: prefix length above 32"#);
/// # Ok::<(), tokenward::policy::PolicyError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuardConfig {
    /// The prefix of minted tokens (default `tw_`): a lowercase letter, up to 14 lowercase
    /// letters or digits, and `_`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_prefix: Option<String>,
    /// How many events the queue holds before it drops (default 4096, at least 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_capacity: Option<usize>,
    /// Policies by name, referred to by tokens (`TokenMeta::policy`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub policies: BTreeMap<String, PolicyDoc>,
    /// Usage tracking and anomaly detection; off when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<UsageConfig>,
    /// Response rules, applied to every alert in order (`[[respond]]` in TOML).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub respond: Vec<ResponseRule>,
}

impl GuardConfig {
    /// Parses a TOML config and checks every policy in it.
    pub fn from_toml(text: &str) -> Result<GuardConfig, PolicyError> {
        let config: GuardConfig = crate::parse::toml(text)?;
        config.validate()?;
        Ok(config)
    }

    /// Parses a JSON config and checks every policy in it.
    pub fn from_json(text: &str) -> Result<GuardConfig, PolicyError> {
        let config: GuardConfig = crate::parse::json(text)?;
        config.validate()?;
        Ok(config)
    }

    /// Checks the prefix, and compiles every policy once to report the first error by path.
    pub fn validate(&self) -> Result<(), PolicyError> {
        if let Some(prefix) = &self.token_prefix {
            crate::token::validate_prefix(prefix)
                .map_err(|e| PolicyError::new("token_prefix", e.to_string()))?;
        }
        for (name, doc) in &self.policies {
            validate_policy_name(name)
                .map_err(|r| PolicyError::new(format!("policies.{name}"), r))?;
            crate::policy::Policy::compile(doc)
                .map_err(|e| e.within(&format!("policies.{name}")))?;
        }
        if let Some(usage) = &self.usage {
            usage.validate().map_err(|e| match e {
                crate::Error::Field(field) => field,
                other => PolicyError::new("usage", other.to_string()),
            })?;
        } else if !self.respond.is_empty() {
            return Err(PolicyError::new(
                "respond",
                "response rules act on usage alerts: add a [usage] section",
            ));
        }
        Ok(())
    }
}

pub(crate) fn validate_policy_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.');
    if ok {
        Ok(())
    } else {
        Err("policy names are 1 to 64 letters, digits, `_`, `-` or `.`".into())
    }
}

/// Which policy a token carries: a named one from the config, or its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PolicySpec {
    /// A policy of the Guard's config, by name.
    Named(String),
    /// A policy for this token alone.
    Inline(Box<PolicyDoc>),
}

/// What the host knows about a token when it registers or mints it.
///
/// ```
/// use tokenward::TokenMeta;
///
/// let meta = TokenMeta::new()
///     .owner("alice")
///     .service("billing")
///     .environment("prod")
///     .tag("ci")
///     .policy("ci")
///     .expires_at(1_900_000_000_000);
/// assert_eq!(meta.tags, ["ci"]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenMeta {
    /// Who the token belongs to.
    #[serde(default)]
    pub owner: Option<String>,
    /// The service it is for.
    #[serde(default)]
    pub service: Option<String>,
    /// The environment it is for (metadata for selectors; the policy's `environments`
    /// condition checks requests).
    #[serde(default)]
    pub environment: Option<String>,
    /// Free-form tags, for selectors.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Its policy; none means only lifecycle and expiry apply.
    #[serde(default)]
    pub policy: Option<PolicySpec>,
    /// When it was issued (default: the registration time).
    #[serde(default)]
    pub issued_at: Option<Timestamp>,
    /// When it stops working.
    #[serde(default)]
    pub expires_at: Option<Timestamp>,
    /// Soft expectations (countries, networks, devices, endpoints): they inform the usage
    /// detectors and never deny by themselves. See [`Expectations`](super::Expectations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<super::Expectations>,
}

impl TokenMeta {
    /// Empty metadata.
    pub fn new() -> TokenMeta {
        TokenMeta::default()
    }

    /// Sets the owner.
    pub fn owner(mut self, owner: impl Into<String>) -> Self {
        self.owner = Some(owner.into());
        self
    }

    /// Sets the service.
    pub fn service(mut self, service: impl Into<String>) -> Self {
        self.service = Some(service.into());
        self
    }

    /// Sets the environment.
    pub fn environment(mut self, environment: impl Into<String>) -> Self {
        self.environment = Some(environment.into());
        self
    }

    /// Adds a tag.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into());
        self
    }

    /// Uses the Guard's policy of this name.
    pub fn policy(mut self, name: impl Into<String>) -> Self {
        self.policy = Some(PolicySpec::Named(name.into()));
        self
    }

    /// Gives the token its own policy.
    pub fn inline_policy(mut self, doc: PolicyDoc) -> Self {
        self.policy = Some(PolicySpec::Inline(Box::new(doc)));
        self
    }

    /// Sets the issue time.
    pub fn issued_at(mut self, at: Timestamp) -> Self {
        self.issued_at = Some(at);
        self
    }

    /// Sets the expiry.
    pub fn expires_at(mut self, at: Timestamp) -> Self {
        self.expires_at = Some(at);
        self
    }

    /// Sets the soft expectations.
    pub fn expect(mut self, expect: super::Expectations) -> Self {
        self.expect = Some(expect);
        self
    }

    /// Parses token metadata given as JSON text (how the bindings pass a dict or an object):
    /// owner, service, environment, tags, policy, issued_at, expires_at and `expect`. Errors
    /// name the field path and what was expected, never the value found or an unknown key.
    ///
    /// ```
    /// use tokenward::TokenMeta;
    ///
    /// let meta = TokenMeta::from_json(r#"{"owner": "ci", "expect": {"countries": ["DE", "FR"]}}"#)?;
    /// assert_eq!(meta.expect.unwrap().countries, ["DE", "FR"]);
    /// let err = TokenMeta::from_json(r#"{"expect": {"networks": ["10.0.0.0/33"]}}"#).unwrap_err();
    /// assert!(err.to_string().starts_with("expect.networks[0]:"), "{err}");
    /// # Ok::<(), tokenward::policy::PolicyError>(())
    /// ```
    pub fn from_json(text: &str) -> Result<TokenMeta, crate::policy::PolicyError> {
        let meta: TokenMeta = crate::parse::json(text)?;
        meta.validate()?;
        Ok(meta)
    }

    /// [`from_json`](Self::from_json) for a value already parsed (a `[[tokens]]` entry).
    pub fn from_value(value: serde_json::Value) -> Result<TokenMeta, crate::policy::PolicyError> {
        let meta: TokenMeta = crate::parse::value(value)?;
        meta.validate()?;
        Ok(meta)
    }

    /// Checks what can be checked without a Guard: the expectations and an inline policy.
    pub fn validate(&self) -> Result<(), crate::policy::PolicyError> {
        if let Some(expect) = &self.expect {
            super::expect::Compiled::new(expect).map_err(|e| e.within("expect"))?;
        }
        if let Some(PolicySpec::Inline(doc)) = &self.policy {
            crate::policy::Policy::compile(doc).map_err(|e| e.within("policy"))?;
        }
        Ok(())
    }
}

/// A token's record, as [`Guard::token`](super::Guard::token) shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    /// Its id.
    pub id: crate::TokenId,
    /// Owner.
    pub owner: Option<String>,
    /// Service.
    pub service: Option<String>,
    /// Environment.
    pub environment: Option<String>,
    /// Tags, sorted.
    pub tags: Vec<String>,
    /// The named policy (`<inline>` for an inline one).
    pub policy: Option<String>,
    /// Issue time.
    pub issued_at: Timestamp,
    /// Expiry.
    pub expires_at: Option<Timestamp>,
    /// Lifecycle state.
    pub state: super::TokenState,
    /// Last allowed use (the issue time if never used).
    pub last_used: Timestamp,
}

/// Chooses tokens by metadata for [`Guard::revoke_where`](super::Guard::revoke_where): every
/// field that is set must match (owner and service and environment and tag).
///
/// ```
/// use tokenward::Selector;
///
/// let leaked_laptop = Selector::new().owner("alice").tag("laptop");
/// assert!(!leaked_laptop.is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Selector {
    /// Tokens of this owner.
    #[serde(default)]
    pub owner: Option<String>,
    /// Tokens for this service.
    #[serde(default)]
    pub service: Option<String>,
    /// Tokens for this environment.
    #[serde(default)]
    pub environment: Option<String>,
    /// Tokens with this tag.
    #[serde(default)]
    pub tag: Option<String>,
}

impl Selector {
    /// A selector with no condition (which [`Guard::revoke_where`](super::Guard::revoke_where)
    /// refuses: it would revoke everything).
    pub fn new() -> Selector {
        Selector::default()
    }

    /// Tokens of this owner.
    pub fn owner(mut self, owner: impl Into<String>) -> Self {
        self.owner = Some(owner.into());
        self
    }

    /// Tokens for this service.
    pub fn service(mut self, service: impl Into<String>) -> Self {
        self.service = Some(service.into());
        self
    }

    /// Tokens for this environment.
    pub fn environment(mut self, environment: impl Into<String>) -> Self {
        self.environment = Some(environment.into());
        self
    }

    /// Tokens with this tag.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tag = Some(tag.into());
        self
    }

    /// True when no field is set.
    pub fn is_empty(&self) -> bool {
        self.owner.is_none()
            && self.service.is_none()
            && self.environment.is_none()
            && self.tag.is_none()
    }
}
