//! A token's lifecycle state with a per-token version, and the rules that keep a stopped token
//! stopped when states from different times meet (restore, replay).
//!
//! Every change bumps the version, so of two states from one history the newer one has the
//! higher version. Merging two states keeps the newer, except that stopping is one-way:
//! revoked is terminal, a rotation never becomes active again and its grace never ends later,
//! and between active and quarantined at the same version, quarantined wins.

use super::registry::TokenState;
use crate::token::TokenId;
use crate::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Active,
    Revoked,
    Quarantined,
    Rotated,
}

/// A [`TokenState`] in 32 bytes with room for its version (the public enum has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Lifecycle {
    /// The replacement, for a rotated token.
    to: TokenId,
    /// When it was revoked or quarantined, or a rotation's end of grace.
    at: Timestamp,
    /// Lifecycle changes so far.
    version: u32,
    kind: Kind,
}

const NO_TOKEN: TokenId = TokenId::from_bytes([0; 16]);

impl Lifecycle {
    /// A new token: active, version 0.
    pub const ACTIVE: Lifecycle = Lifecycle {
        to: NO_TOKEN,
        at: 0,
        version: 0,
        kind: Kind::Active,
    };

    /// A state at a given version (from a snapshot).
    pub fn from_parts(state: TokenState, version: u32) -> Lifecycle {
        let (kind, at, to) = match state {
            TokenState::Active => (Kind::Active, 0, NO_TOKEN),
            TokenState::Revoked { at } => (Kind::Revoked, at, NO_TOKEN),
            TokenState::Quarantined { at } => (Kind::Quarantined, at, NO_TOKEN),
            TokenState::Rotated { to, grace_end } => (Kind::Rotated, grace_end, to),
        };
        Lifecycle {
            to,
            at,
            version,
            kind,
        }
    }

    pub fn state(&self) -> TokenState {
        match self.kind {
            Kind::Active => TokenState::Active,
            Kind::Revoked => TokenState::Revoked { at: self.at },
            Kind::Quarantined => TokenState::Quarantined { at: self.at },
            Kind::Rotated => TokenState::Rotated {
                to: self.to,
                grace_end: self.at,
            },
        }
    }

    pub fn version(&self) -> u32 {
        self.version
    }

    pub fn is_active(&self) -> bool {
        self.kind == Kind::Active
    }

    /// Moves to `state` as a new change (version + 1).
    pub fn set(&mut self, state: TokenState) {
        *self = Lifecycle::from_parts(state, self.version.saturating_add(1));
    }

    /// Revokes unless revoked already; true when it changed.
    pub fn revoke(&mut self, at: Timestamp) -> bool {
        if self.kind == Kind::Revoked {
            return false;
        }
        self.set(TokenState::Revoked { at });
        true
    }

    /// Quarantines an active token; true when it changed.
    pub fn quarantine(&mut self, at: Timestamp) -> bool {
        if self.kind != Kind::Active {
            return false;
        }
        self.set(TokenState::Quarantined { at });
        true
    }

    /// Releases a quarantine that began at or before `at` (a release never undoes a later
    /// quarantine); true when it changed.
    pub fn release(&mut self, at: Timestamp) -> bool {
        if self.kind != Kind::Quarantined || self.at > at {
            return false;
        }
        self.release_at(at);
        true
    }

    /// Makes a token active as a release at `at`, remembering when (until the next change),
    /// so a quarantine from before it that arrives late is recognised as stale.
    pub fn release_at(&mut self, at: Timestamp) {
        self.set(TokenState::Active);
        self.at = at;
    }

    /// A quarantine recorded elsewhere: [`quarantine`](Self::quarantine), except that one
    /// older than the release this token had here is stale; true when it changed.
    pub fn apply_quarantine(&mut self, at: Timestamp) -> bool {
        if self.kind == Kind::Active && self.at > at {
            return false;
        }
        self.quarantine(at)
    }

    /// Applies a rotation recorded elsewhere: an active token becomes rotated; a quarantined
    /// one stays stopped (its grace ends when the quarantine began); a rotated one keeps its
    /// successor and the earlier end of grace; a revoked one stays revoked. True when it
    /// changed.
    pub fn apply_rotation(&mut self, to: TokenId, grace_end: Timestamp) -> bool {
        let grace_end = match self.kind {
            Kind::Revoked => return false,
            Kind::Active => grace_end,
            Kind::Quarantined => grace_end.min(self.at),
            Kind::Rotated if grace_end < self.at => grace_end,
            Kind::Rotated => return false,
        };
        let to = if self.kind == Kind::Rotated {
            self.to
        } else {
            to
        };
        self.set(TokenState::Rotated { to, grace_end });
        true
    }

    /// The state that keeps what each side knows: the newer one, except that revocation
    /// wins always, rotation wins over active and quarantined (with the earlier end of
    /// grace), and quarantined wins over active at the same version. A quarantine newer than
    /// a rotation (two diverged histories) ends the grace when the quarantine began.
    pub fn merge(self, other: Lifecycle) -> Lifecycle {
        use Kind::*;
        let version = self.version.max(other.version);
        let newer = |a: Lifecycle, b: Lifecycle| if b.version > a.version { b } else { a };
        let mut merged = match (self.kind, other.kind) {
            (Revoked, Revoked) => Lifecycle {
                at: self.at.min(other.at),
                ..self
            },
            (Revoked, _) => self,
            (_, Revoked) => other,
            (Rotated, Rotated) if other.at < self.at => other,
            (Rotated, Rotated) => self,
            (Rotated, _) | (_, Rotated) => {
                let (rotated, rest) = if self.kind == Rotated {
                    (self, other)
                } else {
                    (other, self)
                };
                let mut rotated = rotated;
                if rest.kind == Quarantined && rest.version > rotated.version {
                    rotated.at = rotated.at.min(rest.at);
                }
                rotated
            }
            (Active, Quarantined) if self.version == other.version => other,
            _ => newer(self, other),
        };
        merged.version = version;
        merged
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(state: TokenState, version: u32) -> Lifecycle {
        Lifecycle::from_parts(state, version)
    }

    const TO: TokenId = TokenId::from_bytes([7; 16]);

    #[test]
    fn fits_where_the_public_state_did() {
        assert_eq!(std::mem::size_of::<Lifecycle>(), 32);
    }

    #[test]
    fn parts_round_trip() {
        for state in [
            TokenState::Active,
            TokenState::Revoked { at: 5 },
            TokenState::Quarantined { at: 6 },
            TokenState::Rotated {
                to: TO,
                grace_end: 9,
            },
        ] {
            let lifecycle = at(state, 3);
            assert_eq!((lifecycle.state(), lifecycle.version()), (state, 3));
        }
    }

    #[test]
    fn revocation_is_terminal_in_both_directions() {
        let revoked = at(TokenState::Revoked { at: 10 }, 1);
        for other in [
            at(TokenState::Active, 9),
            at(TokenState::Quarantined { at: 3 }, 9),
            at(
                TokenState::Rotated {
                    to: TO,
                    grace_end: 99,
                },
                9,
            ),
        ] {
            for merged in [revoked.merge(other), other.merge(revoked)] {
                assert_eq!(merged.state(), TokenState::Revoked { at: 10 });
                assert_eq!(merged.version(), 9);
            }
        }
    }

    #[test]
    fn the_newer_of_active_and_quarantined_wins_and_ties_stay_stopped() {
        let quarantined = at(TokenState::Quarantined { at: 4 }, 1);
        let released = at(TokenState::Active, 2);
        assert_eq!(quarantined.merge(released).state(), TokenState::Active);
        assert_eq!(released.merge(quarantined).state(), TokenState::Active);
        let diverged = at(TokenState::Active, 1);
        assert_eq!(diverged.merge(quarantined).state(), quarantined.state());
        assert_eq!(quarantined.merge(diverged).state(), quarantined.state());
    }

    #[test]
    fn grace_never_ends_later_and_rotation_is_never_undone() {
        let early = at(
            TokenState::Rotated {
                to: TO,
                grace_end: 50,
            },
            1,
        );
        let late = at(
            TokenState::Rotated {
                to: TokenId::from_bytes([8; 16]),
                grace_end: 80,
            },
            2,
        );
        assert_eq!(early.merge(late).state(), early.state());
        assert_eq!(late.merge(early).state(), early.state());
        let active = at(TokenState::Active, 7);
        assert_eq!(active.merge(early).state(), early.state());
        // A quarantine newer than the rotation (diverged histories) stops it when it began.
        let quarantined = at(TokenState::Quarantined { at: 20 }, 5);
        let merged = early.merge(quarantined).state();
        assert_eq!(
            merged,
            TokenState::Rotated {
                to: TO,
                grace_end: 20
            }
        );
    }

    #[test]
    fn a_quarantine_older_than_the_release_is_stale() {
        let mut lifecycle = Lifecycle::ACTIVE;
        assert!(lifecycle.apply_quarantine(10));
        assert!(lifecycle.release(12));
        assert!(
            !lifecycle.apply_quarantine(10),
            "replayed after its release"
        );
        assert!(lifecycle.is_active());
        assert!(lifecycle.apply_quarantine(13));
    }

    #[test]
    fn transitions_bump_the_version_only_when_they_change_something() {
        let mut lifecycle = Lifecycle::ACTIVE;
        assert!(lifecycle.quarantine(10));
        assert!(!lifecycle.quarantine(11));
        assert!(!lifecycle.release(9), "a release older than the quarantine");
        assert!(lifecycle.release(12));
        assert_eq!(lifecycle.version(), 2);
        assert!(lifecycle.apply_rotation(TO, 100));
        assert!(!lifecycle.apply_rotation(TokenId::from_bytes([1; 16]), 200));
        assert!(lifecycle.apply_rotation(TokenId::from_bytes([1; 16]), 90));
        assert_eq!(
            lifecycle.state(),
            TokenState::Rotated {
                to: TO,
                grace_end: 90
            }
        );
        assert!(lifecycle.revoke(95));
        assert!(!lifecycle.revoke(96));
        assert!(!lifecycle.apply_rotation(TO, 0));
        assert_eq!(lifecycle.version(), 5);
    }
}
