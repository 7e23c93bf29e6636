//! Response rules: what the Guard does when a usage detector raises an alert.
//!
//! A rule names the alert kinds it reacts to, a severity floor and an action. Every alert is
//! matched against every rule; each matching rule's action is taken (the strongest decides
//! the fate of the request). With no rule at all, every alert is `notify`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use crate::usage::{Alert, AlertKind, Held, Severity};

/// What a response rule does. Ordered by strength: `notify < deny < quarantine < revoke`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Only report: the alert is returned and queued as an `alert` event marked `notify`, for
    /// the host to page someone.
    Notify,
    /// Deny the request that raised the alert, with reason `anomaly_denied`. The token stays
    /// usable. (An alert from `record_outcome` has no request to deny: it is reported only.)
    Deny,
    /// Quarantine the token: this request and every later one deny with `quarantined` until
    /// the host calls [`Guard::release`](super::Guard::release).
    Quarantine,
    /// Revoke the token for good: this request and every later one deny with `revoked`.
    Revoke,
}

impl Action {
    /// The stable code, e.g. `"quarantine"`.
    pub const fn code(self) -> &'static str {
        match self {
            Action::Notify => "notify",
            Action::Deny => "deny",
            Action::Quarantine => "quarantine",
            Action::Revoke => "revoke",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Which alert kinds a rule reacts to: `"any"`, one kind, or a list of kinds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(into = "Vec<String>")]
pub struct AlertKinds(Option<Vec<AlertKind>>);

impl AlertKinds {
    /// Every kind.
    pub fn any() -> AlertKinds {
        AlertKinds(None)
    }

    /// These kinds.
    pub fn of(kinds: &[AlertKind]) -> AlertKinds {
        AlertKinds(Some(kinds.to_vec()))
    }

    /// Whether `kind` is one of them.
    pub fn contains(&self, kind: AlertKind) -> bool {
        self.0.as_ref().is_none_or(|k| k.contains(&kind))
    }
}

impl From<AlertKinds> for Vec<String> {
    fn from(kinds: AlertKinds) -> Vec<String> {
        match kinds.0 {
            None => vec!["any".into()],
            Some(k) => k.iter().map(|k| k.code().to_string()).collect(),
        }
    }
}

impl<'de> Deserialize<'de> for AlertKinds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<AlertKinds, D::Error> {
        struct Names;
        impl<'de> serde::de::Visitor<'de> for Names {
            type Value = Vec<String>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an alert kind, a list of kinds, or \"any\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Vec<String>, E> {
                Ok(vec![v.to_string()])
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Vec<String>, A::Error> {
                let mut names = Vec::new();
                while let Some(name) = seq.next_element::<String>()? {
                    names.push(name);
                }
                Ok(names)
            }
        }
        let names = d.deserialize_any(Names)?;
        if names.is_empty() {
            return Err(serde::de::Error::custom("needs at least one alert kind"));
        }
        if names.iter().any(|n| n == "any") {
            return Ok(AlertKinds::any());
        }
        let kinds = names
            .iter()
            .map(|n| n.parse::<AlertKind>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| {
                let codes: Vec<&str> = AlertKind::ALL.iter().map(|k| k.code()).collect();
                serde::de::Error::custom(format!(
                    "{} (expected \"any\" or one of {})",
                    strip_config_prefix(&e.to_string()),
                    codes.join(", ")
                ))
            })?;
        Ok(AlertKinds(Some(kinds)))
    }
}

fn strip_config_prefix(text: &str) -> &str {
    text.strip_prefix("config error: ")
        .or_else(|| text.strip_prefix("invalid config: "))
        .unwrap_or(text)
}

/// One `[[respond]]` rule of a [`GuardConfig`](super::GuardConfig).
///
/// ```
/// use tokenward::guard::{Action, ResponseRule};
/// use tokenward::{AlertKind, Severity};
///
/// let rule: ResponseRule = toml::from_str(r#"
///     on = "ip_fanout"
///     min_severity = "high"
///     action = "quarantine"
/// "#).unwrap();
/// assert_eq!(rule.action, Action::Quarantine);
/// assert!(rule.on.contains(AlertKind::IpFanout));
/// assert_eq!(rule.min_severity, Severity::High);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseRule {
    /// The alert kinds it reacts to: `"any"`, a kind (`"ip_fanout"`) or a list of kinds.
    pub on: AlertKinds,
    /// The least severity it reacts to (default `low`: every alert of those kinds).
    #[serde(default = "lowest")]
    pub min_severity: Severity,
    /// Corroboration: the rule reacts only when the token raised at least this many distinct
    /// alert kinds within the last hour, this alert's included (default 1: any alert). A
    /// quarantine that waits for two detectors to agree locks out far fewer honest users.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub min_kinds: u32,
    /// What it does.
    pub action: Action,
}

fn lowest() -> Severity {
    Severity::Low
}

fn one() -> u32 {
    1
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

impl ResponseRule {
    /// Whether the rule reacts to `alert` (on a token that raised one kind in the hour).
    pub fn matches(&self, alert: &Alert) -> bool {
        self.matches_kind(alert.kind, alert.severity, 1)
    }

    /// Whether the rule reacts to an alert of `kind` and `severity` on a token that raised
    /// `recent_kinds` distinct kinds within the last hour.
    pub fn matches_kind(&self, kind: AlertKind, severity: Severity, recent_kinds: u32) -> bool {
        severity >= self.min_severity
            && self.on.contains(kind)
            && recent_kinds.max(1) >= self.min_kinds
    }
}

/// An action a rule took on an alert, as a [`Verdict`](super::Verdict) and
/// [`Guard::record_outcome`](super::Guard::record_outcome) report it.
///
/// Serializes as `{"action": "quarantine", "on": "ip_fanout"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ActionTaken {
    /// The action.
    pub action: Action,
    /// The kind of the alert that triggered it.
    pub on: AlertKind,
}

/// The configured rules, compiled for lookup.
#[derive(Debug, Clone, Default)]
pub(crate) struct Responder {
    rules: Vec<ResponseRule>,
}

impl Responder {
    pub fn new(rules: &[ResponseRule]) -> Responder {
        Responder {
            rules: rules.to_vec(),
        }
    }

    /// The actions for one alert on a token that raised `recent_kinds` kinds within the hour,
    /// strongest last and without repeats; `[notify]` when no rule is configured.
    pub fn actions(&self, alert: &Alert, recent_kinds: u32) -> Vec<Action> {
        if self.rules.is_empty() {
            return vec![Action::Notify];
        }
        let mut actions: Vec<Action> = self
            .rules
            .iter()
            .filter(|r| r.matches_kind(alert.kind, alert.severity, recent_kinds))
            .map(|r| r.action)
            .collect();
        actions.sort_unstable();
        actions.dedup();
        actions
    }

    /// The kind of the first held alert that a `deny` (or stronger) rule covers: the request
    /// is refused. Held evidence never quarantines or revokes by itself.
    pub fn denies_held(&self, held: &Held) -> Option<AlertKind> {
        held.kinds()
            .find(|(kind, severity)| {
                self.rules.iter().any(|r| {
                    r.action >= Action::Deny
                        && r.matches_kind(*kind, *severity, held.recent_kinds())
                })
            })
            .map(|(kind, _)| kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(text: &str) -> Result<ResponseRule, String> {
        toml::from_str(text).map_err(|e| e.message().to_string())
    }

    #[test]
    fn kinds_parse_as_one_many_or_any() {
        let one = rule("on = \"new_country\"\naction = \"deny\"").unwrap();
        assert!(one.on.contains(AlertKind::NewCountry));
        assert!(!one.on.contains(AlertKind::IpFanout));
        let many = rule("on = [\"ip_fanout\", \"rate_spike\"]\naction = \"notify\"").unwrap();
        assert!(many.on.contains(AlertKind::RateSpike));
        let any = rule("on = \"any\"\naction = \"revoke\"").unwrap();
        assert!(AlertKind::ALL.iter().all(|k| any.on.contains(*k)));
        assert_eq!(any.min_severity, Severity::Low);
    }

    #[test]
    fn bad_rules_say_why() {
        let e = rule("on = \"ip_fanot\"\naction = \"deny\"").unwrap_err();
        assert!(e.contains("ip_fanot") && e.contains("ip_fanout"), "{e}");
        let e = rule("on = []\naction = \"deny\"").unwrap_err();
        assert!(e.contains("at least one"), "{e}");
        let e = rule("on = \"any\"\naction = \"ban\"").unwrap_err();
        assert!(e.contains("ban"), "{e}");
        let e = rule("on = \"any\"\naction = \"deny\"\nseverity = \"high\"").unwrap_err();
        assert!(e.contains("severity"), "{e}");
    }

    #[test]
    fn corroboration_waits_for_more_kinds() {
        let r = rule("on = \"any\"\nmin_kinds = 2\naction = \"quarantine\"").unwrap();
        assert!(!r.matches_kind(AlertKind::RateSpike, Severity::High, 1));
        assert!(r.matches_kind(AlertKind::RateSpike, Severity::High, 2));
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.contains("\"min_kinds\":2"), "{json}");
    }

    #[test]
    fn serializes_back_to_codes() {
        let r =
            rule("on = [\"ip_fanout\"]\nmin_severity = \"high\"\naction = \"quarantine\"").unwrap();
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(
            json,
            r#"{"on":["ip_fanout"],"min_severity":"high","action":"quarantine"}"#
        );
    }
}
