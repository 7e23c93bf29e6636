//! `Guard::check`: the pipeline that turns a request into a verdict.

use std::borrow::Cow;
use std::sync::atomic::Ordering;

use serde::Serialize;

use super::events::EvidenceJson;
use super::registry::{shard_of, Record, TokenState, NEVER};
use super::respond::{Action, ActionTaken};
use super::{EventKind, Guard, Request, MAX_TOKEN_LEN};
use crate::policy::{
    canonical_request_path, PathError, RateExceeded, RateLimit, Reason, TokenTimes,
};
use crate::token::TokenId;
use crate::usage::{Alert, Observation, UsageStats};
use crate::Timestamp;

/// Allow or deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Every condition passed.
    Allow,
    /// At least one reason applies.
    Deny,
}

/// The outcome of a check: the decision, every reason for a denial, the token's id, and the
/// alerts the request raised with the actions the response rules took.
///
/// Serializes to JSON as `{"decision":"deny","reasons":["ip_not_allowed"],"token_id":"tid_..."}`,
/// plus `"retry_after_ms"`, `"alerts"` and `"actions"` when there are any.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Verdict {
    /// Allow or deny.
    pub decision: Decision,
    /// Every reason that applied, in [`Reason`] order; empty when allowed.
    pub reasons: Vec<Reason>,
    /// The presented token's id. For an unknown token it is still its fingerprint, the same id
    /// a redacted log line shows, so repeated attempts can be correlated.
    pub token_id: Option<TokenId>,
    /// Set exactly when `reasons` holds [`Reason::RateExceeded`]: milliseconds from the
    /// check's `now` until the rate limit has room for one more request (at least 1). Other
    /// reasons may still deny it then. An HTTP layer sends it as `Retry-After`, in seconds
    /// rounded up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
    /// Alerts the usage detectors raised on this request (usage tracking on only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<Alert>,
    /// What the response rules did about them, one entry per alert and action.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<ActionTaken>,
}

/// What a recorded outcome raised: see [`Guard::record_outcome`].
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Reaction {
    /// Alerts raised (an `error_burst` at most).
    pub alerts: Vec<Alert>,
    /// What the response rules did about them.
    pub actions: Vec<ActionTaken>,
}

impl Reaction {
    /// True when nothing was raised.
    pub fn is_empty(&self) -> bool {
        self.alerts.is_empty()
    }
}

impl Verdict {
    /// True when the decision is allow.
    pub fn is_allowed(&self) -> bool {
        self.decision == Decision::Allow
    }

    pub(crate) fn new(token_id: Option<TokenId>, mut reasons: Vec<Reason>) -> Verdict {
        reasons.sort_unstable();
        reasons.dedup();
        Verdict {
            decision: if reasons.is_empty() {
                Decision::Allow
            } else {
                Decision::Deny
            },
            reasons,
            token_id,
            retry_after_ms: None,
            alerts: Vec::new(),
            actions: Vec::new(),
        }
    }
}

/// The response to the alerts of one call, before the token's state is changed.
#[derive(Default)]
struct Plan {
    actions: Vec<ActionTaken>,
    /// The strongest action taken.
    strongest: Option<Action>,
}

/// The path the usage tracker observes for a request path that has no canonical form: one
/// endpoint of its own (a canonical path never holds a raw `{`), so a refused path can neither
/// hide nor pass for a known endpoint.
const INVALID_PATH_ENDPOINT: &str = "/{invalid-path}";

/// What the stages of one check share.
struct Check<'a, 'r> {
    request: &'a Request<'r>,
    /// The request path in canonical form, computed once for the policy and the usage stages.
    path: Option<Result<Cow<'r, str>, PathError>>,
    /// Whether the token's policy has endpoint scopes.
    scoped: bool,
    record: &'a Record,
    now: Timestamp,
    /// Reasons so far; allocates only when a stage fails.
    reasons: Vec<Reason>,
    /// When the rate limit has room again, if it has none now.
    retry_after_ms: Option<u64>,
}

impl Guard {
    /// Checks a request at time `now`: is its token registered, alive, and used within its
    /// policy? Allowed checks record the use (idle expiry) and take from the rate limit;
    /// denials are queued as `denied` events.
    ///
    /// ```
    /// use tokenward::{Decision, Guard, Reason, Request, TokenKey};
    ///
    /// let guard = Guard::new(TokenKey::new(b"k"));
    /// let verdict = guard.check(&Request::new("tw_not_a_registered_token"), 0);
    /// assert_eq!(verdict.decision, Decision::Deny);
    /// assert_eq!(verdict.reasons, [Reason::UnknownToken]);
    /// ```
    pub fn check(&self, request: &Request<'_>, now: Timestamp) -> Verdict {
        let token = request.token;
        if token.is_empty() || token.len() > MAX_TOKEN_LEN {
            return Verdict::new(None, vec![Reason::UnknownToken]);
        }
        // Stage 1, lookup: one keyed hash and one probe, whether the token exists or not.
        let id = self.key.id(token);
        let mut plan = Plan::default();
        let mut verdict = {
            let map = self.shards[shard_of(&id)].map.read();
            match map.get(&id) {
                None => Verdict::new(Some(id), vec![Reason::UnknownToken]),
                Some(record) => {
                    // Encoded slashes in a segment (object keys) are data unless endpoint
                    // scopes judge the path.
                    let scoped = record
                        .policy
                        .as_ref()
                        .is_some_and(|e| e.policy.scopes_endpoints());
                    let mut check = Check {
                        request,
                        path: request.path.map(|raw| canonical_request_path(raw, scoped)),
                        scoped,
                        record,
                        now,
                        reasons: Vec::new(),
                        retry_after_ms: None,
                    };
                    check.lifecycle();
                    check.policy();
                    check.rate_limit();
                    let alerts = self.usage_stage(&mut check, id, &mut plan);
                    let mut verdict = check.finish(id);
                    verdict.alerts = alerts;
                    verdict
                }
            }
        };
        // State changes need the shard's write lock: taken after the read lock is gone.
        // This request already carries the matching reason.
        self.respond(id, &verdict.alerts, &plan, now);
        verdict.actions = plan.actions;
        if !verdict.is_allowed() {
            self.emit(
                now,
                EventKind::Denied {
                    token: id,
                    reasons: verdict.reasons.clone(),
                },
            );
        }
        verdict
    }
}

impl Guard {
    /// Stage 5: feed the usage tracker, plan the response to its alerts, and add the reason
    /// the strongest action gives this request.
    fn usage_stage(&self, check: &mut Check<'_, '_>, id: TokenId, plan: &mut Plan) -> Vec<Alert> {
        let Some(tracker) = &self.usage else {
            return Vec::new();
        };
        let request = check.request;
        let path = match &check.path {
            Some(Ok(path)) => Some(&**path),
            Some(Err(_)) => Some(INVALID_PATH_ENDPOINT),
            None => None,
        };
        let observation = Observation {
            // A path refused for its encoding says nothing about who holds the token.
            denied: check.reasons.iter().any(|r| *r != Reason::InvalidPath),
            declared_scope_match: check.scoped.then(|| {
                !check
                    .reasons
                    .iter()
                    .any(|r| matches!(r, Reason::ScopeDenied | Reason::InvalidPath))
            }),
            expected: check
                .record
                .expect
                .as_ref()
                .map(|e| e.judge(request, path))
                .unwrap_or_default(),
            group: check.record.group(),
            ..Observation::from_request(request, path)
        };
        let (alerts, held) = tracker.observe_held(id, &observation, check.now);
        // A token already stopped (revoked, quarantined, rotated out) keeps being watched:
        // what its holder tries is reported as `stopped_alert` events, and no rule acts.
        let stopped = check
            .reasons
            .iter()
            .find(|r| matches!(r, Reason::Revoked | Reason::Quarantined | Reason::Rotated));
        if let Some(&state) = stopped {
            for alert in &alerts {
                self.emit_stopped(state, alert);
            }
            return Vec::new();
        }
        if alerts.is_empty() {
            if self.responder.denies_held(&held).is_some() {
                check.reasons.push(Reason::AnomalyDenied);
            }
            return alerts;
        }
        *plan = self.plan(&alerts, held.recent_kinds());
        match plan.strongest {
            Some(Action::Revoke) => check.reasons.push(Reason::Revoked),
            Some(Action::Quarantine) if check.record.lifecycle.is_active() => {
                check.reasons.push(Reason::Quarantined)
            }
            // A token already quarantined or revoked says so; a rotated one in its grace
            // window cannot be quarantined, so this request alone is denied.
            Some(Action::Quarantine) | Some(Action::Deny) => {
                check.reasons.push(Reason::AnomalyDenied)
            }
            Some(Action::Notify) | None => {
                if self.responder.denies_held(&held).is_some() {
                    check.reasons.push(Reason::AnomalyDenied);
                }
            }
        }
        alerts
    }

    /// Queues a `stopped_alert` event.
    fn emit_stopped(&self, state: Reason, alert: &Alert) {
        self.emit(
            alert.at,
            EventKind::StoppedAlert {
                token: alert.token_id,
                state,
                kind: alert.kind,
                severity: alert.severity,
                evidence: EvidenceJson::of(&alert.evidence),
            },
        );
    }

    /// The actions the rules take on `alerts`.
    fn plan(&self, alerts: &[Alert], recent_kinds: u32) -> Plan {
        let mut plan = Plan::default();
        for alert in alerts {
            for action in self.responder.actions(alert, recent_kinds) {
                plan.actions.push(ActionTaken {
                    action,
                    on: alert.kind,
                });
                plan.strongest = plan.strongest.max(Some(action));
            }
        }
        plan
    }

    /// Queues an `alert` event per alert and applies the plan's quarantine or revocation.
    fn respond(&self, id: TokenId, alerts: &[Alert], plan: &Plan, now: Timestamp) {
        for alert in alerts {
            let actions = plan
                .actions
                .iter()
                .filter(|a| a.on == alert.kind)
                .map(|a| a.action)
                .collect();
            self.emit(
                now,
                EventKind::Alert {
                    token: id,
                    kind: alert.kind,
                    severity: alert.severity,
                    evidence: EvidenceJson::of(&alert.evidence),
                    actions,
                },
            );
        }
        let cause = |action: Action| {
            plan.actions
                .iter()
                .find(|a| a.action == action)
                .map(|a| a.on)
        };
        match plan.strongest {
            Some(Action::Revoke) => self.revoke_for(&id, now, cause(Action::Revoke)),
            Some(Action::Quarantine) => self.quarantine_for(&id, now, cause(Action::Quarantine)),
            _ => {}
        }
    }

    /// Records the response status of a request of token `id` (the `token_id` of its
    /// [`Verdict`]). 401, 403 and 404 count as errors; a burst of them raises an `error_burst`
    /// alert, which the response rules act on like any other (a `deny` has no request left to
    /// deny and is only reported). Without usage tracking this does nothing.
    ///
    /// ```
    /// use tokenward::{Guard, GuardConfig, Request, TokenKey, TokenMeta};
    ///
    /// let config = GuardConfig::from_toml("[usage]")?;
    /// let guard = Guard::with_config(TokenKey::new(b"k"), &config)?;
    /// let minted = guard.mint(&TokenMeta::new(), &[3; 32], 0)?;
    /// let verdict = guard.check(&Request::new(minted.token.expose()), 1_000);
    /// let reaction = guard.record_outcome(&verdict.token_id.unwrap(), 404, 1_050);
    /// assert!(reaction.is_empty()); // one 404 is no burst
    /// assert_eq!(guard.stats(&minted.id, 2_000).unwrap().fine.total.errors, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn record_outcome(&self, id: &TokenId, status: u16, now: Timestamp) -> Reaction {
        let Some(tracker) = self.usage.as_ref() else {
            return Reaction::default();
        };
        let Some(alert) = tracker.record_outcome(*id, status, now) else {
            return Reaction::default();
        };
        // The same rule as for checks: on a stopped token an alert is only reported.
        if let Some(state) = self.stopped_reason(id, now) {
            self.emit_stopped(state, &alert);
            return Reaction::default();
        }
        let alerts = vec![alert];
        let plan = self.plan(&alerts, tracker.recent_kinds(*id, now));
        self.respond(*id, &alerts, &plan, now);
        Reaction {
            alerts,
            actions: plan.actions,
        }
    }

    /// The response statuses [`record_outcome`](Self::record_outcome) reads: 401, 403 and
    /// 404 with usage tracking, none without. A host may skip the call for any other status
    /// (most responses), which changes nothing.
    pub fn outcome_statuses(&self) -> &'static [u16] {
        if self.usage.is_some() {
            &crate::usage::OUTCOME_STATUSES
        } else {
            &[]
        }
    }

    /// `revoked`, `quarantined` or `rotated` when the token is stopped at `now`.
    fn stopped_reason(&self, id: &TokenId, now: Timestamp) -> Option<Reason> {
        let map = self.shards[shard_of(id)].map.read();
        match map.get(id)?.lifecycle.state() {
            TokenState::Revoked { .. } => Some(Reason::Revoked),
            TokenState::Quarantined { .. } => Some(Reason::Quarantined),
            TokenState::Rotated { grace_end, .. } if now >= grace_end => Some(Reason::Rotated),
            _ => None,
        }
    }

    /// [`record_outcome`](Self::record_outcome) for a raw token (hashed first).
    pub fn record_outcome_token(&self, raw_token: &[u8], status: u16, now: Timestamp) -> Reaction {
        if raw_token.is_empty() || raw_token.len() > MAX_TOKEN_LEN {
            return Reaction::default();
        }
        self.record_outcome(&self.key.id(raw_token), status, now)
    }

    /// A token's usage statistics as of `now`: `None` without usage tracking, or when the
    /// tracker holds no state for it (never checked, or evicted as idle).
    pub fn stats(&self, id: &TokenId, now: Timestamp) -> Option<UsageStats> {
        self.usage.as_ref()?.stats(*id, now)
    }
}

impl Check<'_, '_> {
    /// The token's rate limit, if its policy has one.
    fn limit(&self) -> Option<&RateLimit> {
        self.record
            .policy
            .as_ref()
            .and_then(|e| e.policy.rate_limit())
    }

    /// Records a rate-limit denial: the reason, and when to retry.
    fn exceeded(&mut self, outcome: Result<(), RateExceeded>) {
        if let Err(exceeded) = outcome {
            self.reasons.push(Reason::RateExceeded);
            self.retry_after_ms = Some(exceeded.retry_after_ms);
        }
    }

    /// Stage 2: the token's own state and expiry.
    fn lifecycle(&mut self) {
        let now = self.now;
        match self.record.lifecycle.state() {
            TokenState::Active => {}
            TokenState::Revoked { .. } => self.reasons.push(Reason::Revoked),
            TokenState::Quarantined { .. } => self.reasons.push(Reason::Quarantined),
            TokenState::Rotated { grace_end, .. } => {
                if now >= grace_end {
                    self.reasons.push(Reason::Rotated);
                }
            }
        }
        if self.record.expires_at != NEVER && now >= self.record.expires_at {
            self.reasons.push(Reason::Expired);
        }
    }

    /// Stage 3: the policy's conditions.
    fn policy(&mut self) {
        if let Some(entry) = &self.record.policy {
            let times = TokenTimes {
                issued_at: self.record.issued_at,
                last_used: self.record.last_used(),
            };
            let path = self.path.as_ref().map(|p| p.as_deref().map_err(|e| *e));
            entry
                .policy
                .evaluate_into(self.request, path, times, self.now, &mut self.reasons);
        } else if matches!(self.path, Some(Err(_))) {
            // No policy judges the path, but one without a canonical form is refused all the
            // same: the host's server may route it anywhere.
            self.reasons.push(Reason::InvalidPath);
        }
    }

    /// Stage 4: is there room under the rate limit? Nothing is counted yet: only a request
    /// that every stage allows is (in [`finish`](Self::finish)), so a denial for any reason,
    /// anomaly responses included, uses up nothing. A request denied for another reason is
    /// still told when the budget is gone.
    fn rate_limit(&mut self) {
        let Some(limit) = self.limit() else {
            return;
        };
        let outcome = limit.would_allow(&self.record.rate.lock(), self.now);
        self.exceeded(outcome);
    }

    /// Stage 6: the verdict. An allowed check takes its place under the rate limit (denied
    /// with `rate_exceeded` if a concurrent check of the same token took the last one since
    /// stage 4; the usage tracker then saw it as allowed) and counts as a use.
    fn finish(mut self, id: TokenId) -> Verdict {
        if self.reasons.is_empty() {
            if let Some(limit) = self.limit() {
                let outcome = limit.acquire(&mut self.record.rate.lock(), self.now);
                self.exceeded(outcome);
            }
        }
        if self.reasons.is_empty() {
            self.record.last_used.fetch_max(self.now, Ordering::Relaxed);
        }
        let mut verdict = Verdict::new(Some(id), self.reasons);
        verdict.retry_after_ms = self.retry_after_ms;
        verdict
    }
}
