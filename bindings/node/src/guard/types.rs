//! What the Guard returns: minted tokens, verdicts, alerts, token records, replay summaries,
//! and the shape of drained events.

use napi_derive::napi;

/// A freshly minted token: `token` is the raw token, shown this once (hand it out and drop
/// it); `id` is the id it is registered under.
#[napi(object)]
pub struct Minted {
    /// The raw token.
    pub token: String,
    /// Its id (`tid_...`).
    pub id: String,
}

impl From<tokenward::Minted> for Minted {
    fn from(minted: tokenward::Minted) -> Minted {
        Minted {
            token: minted.token.expose().to_string(),
            id: minted.id.to_string(),
        }
    }
}

/// An alert a usage detector raised.
#[napi(object)]
pub struct Alert {
    /// What was detected (`'ip_fanout'`, `'rate_spike'`, ...).
    pub kind: String,
    /// `'low'`, `'medium'` or `'high'`.
    #[napi(ts_type = "'low' | 'medium' | 'high'")]
    pub severity: String,
    /// The token's id.
    pub token_id: String,
    /// When, Unix ms.
    pub at: i64,
    /// The figures behind it (the shape depends on the kind; never a secret).
    #[napi(ts_type = "Record<string, unknown>")]
    pub evidence: serde_json::Value,
}

impl From<&tokenward::Alert> for Alert {
    fn from(alert: &tokenward::Alert) -> Alert {
        Alert {
            kind: alert.kind.code().into(),
            severity: alert.severity.code().into(),
            token_id: alert.token_id.to_string(),
            at: alert.at,
            evidence: serde_json::to_value(&alert.evidence).unwrap_or_default(),
        }
    }
}

/// What a response rule did about an alert.
#[napi(object)]
pub struct ActionTaken {
    /// The action (`'notify'`, `'quarantine'`, `'revoke'`).
    pub action: String,
    /// The kind of the alert that triggered it.
    pub on: String,
}

/// The outcome of `check`.
#[napi(object)]
pub struct Verdict {
    /// True when every condition passed.
    pub allowed: bool,
    /// Every reason for a denial as its stable code (`'revoked'`, `'ip_not_allowed'`, ...);
    /// empty when allowed.
    pub reasons: Vec<String>,
    /// The presented token's id (for an unknown token too: its fingerprint, the id a
    /// redacted log line shows).
    pub token_id: Option<String>,
    /// Set exactly when `reasons` holds `'rate_exceeded'`: milliseconds until the rate
    /// limit has room again (at least 1). Send it as `Retry-After` in seconds rounded up.
    pub retry_after_ms: Option<i64>,
    /// Alerts the request raised (usage tracking on only).
    pub alerts: Vec<Alert>,
    /// What the response rules did about them.
    pub actions: Vec<ActionTaken>,
}

impl From<tokenward::Verdict> for Verdict {
    fn from(verdict: tokenward::Verdict) -> Verdict {
        Verdict {
            allowed: verdict.is_allowed(),
            reasons: verdict.reasons.iter().map(|r| r.code().into()).collect(),
            token_id: verdict.token_id.map(|id| id.to_string()),
            retry_after_ms: verdict
                .retry_after_ms
                .map(|ms| i64::try_from(ms).unwrap_or(i64::MAX)),
            alerts: verdict.alerts.iter().map(Alert::from).collect(),
            actions: actions(&verdict.actions),
        }
    }
}

fn actions(actions: &[tokenward::guard::ActionTaken]) -> Vec<ActionTaken> {
    actions
        .iter()
        .map(|a| ActionTaken {
            action: a.action.code().into(),
            on: a.on.code().into(),
        })
        .collect()
}

/// The alerts a recorded outcome raised.
pub fn alerts(reaction: &tokenward::guard::Reaction) -> Vec<Alert> {
    reaction.alerts.iter().map(Alert::from).collect()
}

/// A token's record, as `tokenInfo` shows it.
#[napi(object)]
pub struct TokenInfo {
    /// Its id.
    pub id: String,
    /// Owner.
    pub owner: Option<String>,
    /// Service.
    pub service: Option<String>,
    /// Environment.
    pub environment: Option<String>,
    /// Tags, sorted.
    pub tags: Vec<String>,
    /// The named policy (`'<inline>'` for an inline one).
    pub policy: Option<String>,
    /// Issue time, Unix ms.
    pub issued_at: i64,
    /// Expiry, Unix ms.
    pub expires_at: Option<i64>,
    /// Lifecycle state.
    #[napi(ts_type = "'active' | 'revoked' | 'quarantined' | 'rotated'")]
    pub state: String,
    /// When it was revoked or quarantined, Unix ms.
    pub state_since: Option<i64>,
    /// The id of the token that replaced it (state `'rotated'`).
    pub rotated_to: Option<String>,
    /// When a rotated token stops working, Unix ms.
    pub grace_end: Option<i64>,
    /// Last allowed use, Unix ms (the issue time if never used).
    pub last_used: i64,
}

impl From<tokenward::guard::TokenInfo> for TokenInfo {
    fn from(info: tokenward::guard::TokenInfo) -> TokenInfo {
        use tokenward::guard::TokenState as S;
        let (state_since, rotated_to, grace_end) = match &info.state {
            S::Active => (None, None, None),
            S::Revoked { at } | S::Quarantined { at } => (Some(*at), None, None),
            S::Rotated { to, grace_end } => (None, Some(to.to_string()), Some(*grace_end)),
        };
        TokenInfo {
            id: info.id.to_string(),
            owner: info.owner,
            service: info.service,
            environment: info.environment,
            tags: info.tags,
            policy: info.policy,
            issued_at: info.issued_at,
            expires_at: info.expires_at,
            state: info.state.name().into(),
            state_since,
            rotated_to,
            grace_end,
            last_used: info.last_used,
        }
    }
}

/// What `replayEvents` did.
#[napi(object)]
pub struct Replayed {
    /// Events that changed a token's state (or created a rotation's new token).
    pub applied: i64,
    /// Events at or before the last one applied, skipped.
    pub already_applied: i64,
    /// Events that change nothing here (denials, alerts, registrations, changes the state
    /// already holds or overrides: a revoked token stays revoked).
    pub unchanged: i64,
    /// Events the source's full queue lost (`dropped` events): treat the state as incomplete.
    pub lost: i64,
    /// Tokens the events left usable that this Guard does not hold: register them again
    /// from the host's records (until then they are denied as unknown). Sorted.
    pub to_register: Vec<String>,
    /// Tokens the events revoked or left quarantined that this Guard does not hold: never
    /// register them again as active. Sorted.
    pub stopped_unknown: Vec<String>,
}

impl From<tokenward::guard::Replayed> for Replayed {
    fn from(replayed: tokenward::guard::Replayed) -> Replayed {
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        let ids = |ids: &[tokenward::TokenId]| ids.iter().map(|id| id.to_string()).collect();
        Replayed {
            applied: count(replayed.applied),
            already_applied: count(replayed.already_applied),
            unchanged: count(replayed.unchanged),
            lost: count(replayed.lost),
            to_register: ids(&replayed.to_register),
            stopped_unknown: ids(&replayed.stopped_unknown),
        }
    }
}

/// A drained event in the core's JSON shape (`serde_json` of `tokenward::Event`): its place
/// in the hash chain (`seq`, `prev_hash`), its time, and what happened, keyed by the kind's
/// name: `{ revoked: { token: 'tid_...', cause: null } }`. Write events to an audit log as
/// they are; `replayEvents` takes them back.
#[napi(object)]
pub struct GuardEvent {
    /// Position in the chain, from 1, without gaps.
    pub seq: i64,
    /// The time of the call that caused it, Unix ms.
    pub at: i64,
    /// What happened: one key, the kind's name, holding its fields.
    #[napi(ts_type = "Record<string, any>")]
    pub kind: serde_json::Value,
    /// The BLAKE3 hash of the previous event in hex (all zeros for the first).
    #[napi(js_name = "prev_hash")]
    pub prev_hash: String,
}
