//! `Guard::check`: the pipeline that turns a request into a verdict.

use std::sync::atomic::Ordering;

use serde::Serialize;

use super::registry::{shard_of, Record, TokenState, NEVER};
use super::{EventKind, Guard, Request, MAX_TOKEN_LEN};
use crate::policy::{Reason, TokenTimes};
use crate::token::TokenId;
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

/// The outcome of a check: the decision, every reason for a denial, and the token's id.
///
/// Serializes to JSON as `{"decision":"deny","reasons":["ip_not_allowed"],"token_id":"tid_..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Verdict {
    /// Allow or deny.
    pub decision: Decision,
    /// Every reason that applied, in [`Reason`] order; empty when allowed.
    pub reasons: Vec<Reason>,
    /// The presented token's id. For an unknown token it is still its fingerprint, the same id
    /// a redacted log line shows, so repeated attempts can be correlated.
    pub token_id: Option<TokenId>,
}

impl Verdict {
    /// True when the decision is allow.
    pub fn is_allowed(&self) -> bool {
        self.decision == Decision::Allow
    }

    fn new(token_id: Option<TokenId>, mut reasons: Vec<Reason>) -> Verdict {
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
        }
    }
}

/// What the stages of one check share.
struct Check<'a, 'r> {
    request: &'a Request<'r>,
    record: &'a Record,
    now: Timestamp,
    /// Reasons so far; allocates only when a stage fails.
    reasons: Vec<Reason>,
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
        let verdict = {
            let map = self.shards[shard_of(&id)].map.read();
            match map.get(&id) {
                None => Verdict::new(Some(id), vec![Reason::UnknownToken]),
                Some(record) => {
                    let mut check = Check {
                        request,
                        record,
                        now,
                        reasons: Vec::new(),
                    };
                    check.lifecycle();
                    check.policy();
                    check.rate_limit();
                    // A usage stage (sliding-window statistics, anomaly detectors, response
                    // rules) slots in here: it sees the request, the record and the reasons.
                    check.finish(id)
                }
            }
        };
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

impl Check<'_, '_> {
    /// Stage 2: the token's own state and expiry.
    fn lifecycle(&mut self) {
        let now = self.now;
        match self.record.state {
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
            entry
                .policy
                .evaluate_into(self.request, times, self.now, &mut self.reasons);
        }
    }

    /// Stage 4: the rate limit. A request denied for another reason does not use up the
    /// budget, but is still told when the budget is gone.
    fn rate_limit(&mut self) {
        let Some(limit) = self
            .record
            .policy
            .as_ref()
            .and_then(|e| e.policy.rate_limit())
        else {
            return;
        };
        let ok = if self.reasons.is_empty() {
            limit.acquire(&self.record.rate, self.now)
        } else {
            limit.would_allow(&self.record.rate, self.now)
        };
        if !ok {
            self.reasons.push(Reason::RateExceeded);
        }
    }

    /// Stage 6: the verdict; an allowed check counts as a use.
    fn finish(self, id: TokenId) -> Verdict {
        if self.reasons.is_empty() {
            self.record.last_used.fetch_max(self.now, Ordering::Relaxed);
        }
        Verdict::new(Some(id), self.reasons)
    }
}
