//! Credentials recognised by their context rather than their format.

use crate::redact::rule::Builtin;

pub(crate) static RULES: &[Builtin] = &[
Builtin {
    id: "jwt",
    provider: "generic",
    description: "JSON Web Token (header.payload.signature)",
    keywords: &["eyJ"],
    pattern: r"\b(?P<secret>eyJ[A-Za-z0-9_-]{8,4096}\.eyJ[A-Za-z0-9_-]{8,8192}\.[A-Za-z0-9_-]{8,2048})",
    validate: None,
    generic: false,
    examples: &[("Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U")],
    counterexamples: &["eyJhbGciOiJIUzI1NiJ9 alone"],
},
Builtin {
    id: "password_assignment",
    provider: "generic",
    description: "A value assigned to a password key (password, passwd, pwd)",
    keywords: &["password", "passwd", "pwd"],
    pattern: r#"(?i)(?P<key>password|passwd|pwd)["']?\s*[:=]\s*["']?(?P<secret>[^\s"',;&]{1,256})"#,
    validate: None,
    generic: true,
    examples: &[(r#"{"password": "Tr0ub4dor3"}"#, "Tr0ub4dor3")],
    counterexamples: &["password reset email sent"],
},
];
