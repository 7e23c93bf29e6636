//! Passwords on the command lines of admin tools, from one table of (tool, flag) pairs.
//!
//! A flag means "password" only for the tools that define it so: `-p` is PsExec's password and
//! ssh's port, `-P` is sqlcmd's password and ipmitool's, but ipmitool's `-p` is a port, and
//! SNMP's `-A`/`-X` are pass phrases where `-a`/`-x` name protocols. So the rule's pattern
//! takes any short flag and its value, and [`tool_flag`] keeps it only when the line runs a
//! tool of the table that pairs with that exact flag.

use super::{text_before, Candidate};
use crate::redact::validate::{is_code_or_dummy, looks_like_password};

/// Tools that take a password after one of `flags`.
struct ToolFlags {
    /// Command names, lower case, without `.exe`.
    tools: &'static [&'static str],
    /// The password flags, as the tools spell them.
    flags: &'static [&'static str],
    /// Windows tools read flags without regard to case (`/P` is `/p`).
    any_case: bool,
    /// A prefix the value carries: OpenSSL's password sources (`pass:secret`).
    value_prefix: Option<&'static str>,
}

const fn flags(tools: &'static [&'static str], flags: &'static [&'static str]) -> ToolFlags {
    ToolFlags {
        tools,
        flags,
        any_case: false,
        value_prefix: None,
    }
}

/// Windows tools, whose flags are case-insensitive.
const fn windows(tools: &'static [&'static str], flags: &'static [&'static str]) -> ToolFlags {
    ToolFlags {
        any_case: true,
        ..self::flags(tools, flags)
    }
}

/// The (tool, flag) table.
static TABLE: &[ToolFlags] = &[
    // Windows remote execution, scheduling, credentials and remote desktop.
    windows(&["psexec", "psexec64", "paexec"], &["-p"]),
    windows(&["schtasks"], &["/p", "/rp"]),
    windows(&["wmic"], &["/password"]),
    windows(&["cmdkey"], &["/pass"]),
    windows(&["winrs"], &["-p", "-password", "/p", "/password"]),
    flags(&["xfreerdp", "wlfreerdp", "sdl-freerdp"], &["/p"]),
    flags(&["rdesktop"], &["-p"]),
    // SQL Server clients.
    windows(&["sqlcmd", "bcp", "osql"], &["-P"]),
    // Directory, hardware and network management.
    flags(
        &[
            "ldapsearch",
            "ldapmodify",
            "ldapadd",
            "ldapdelete",
            "ldappasswd",
            "ldapwhoami",
            "ldapcompare",
            "ldapmodrdn",
            "ldapexop",
        ],
        &["-w"],
    ),
    flags(&["ipmitool"], &["-P"]),
    flags(
        &[
            "snmpwalk",
            "snmpget",
            "snmpset",
            "snmpgetnext",
            "snmpbulkwalk",
            "snmpbulkget",
            "snmptable",
            "snmptrap",
        ],
        &["-A", "-X"],
    ),
    // Archives, key stores, OpenSSL.
    flags(&["zip", "unzip", "zipcloak"], &["-P"]),
    flags(
        &["keytool", "jarsigner"],
        &[
            "-storepass",
            "-keypass",
            "-srcstorepass",
            "-deststorepass",
            "-srckeypass",
            "-destkeypass",
            "-new",
        ],
    ),
    ToolFlags {
        value_prefix: Some("pass:"),
        ..flags(
            &["openssl"],
            &["-passin", "-passout", "-pass", "-passphrase"],
        )
    },
    // Database and cache clients, ssh wrappers.
    flags(&["redis-cli"], &["-a"]),
    flags(&["cqlsh"], &["-p"]),
    flags(&["influx"], &["-password"]),
    flags(&["vsql"], &["-w"]),
    flags(&["sshpass"], &["-p"]),
    flags(
        &[
            "mongo",
            "mongosh",
            "mongodump",
            "mongorestore",
            "mongoexport",
            "mongoimport",
            "mongostat",
            "mongotop",
            "mongofiles",
        ],
        &["-p"],
    ),
];

/// Keywords: every tool of the table (the prefilter is case-insensitive). Short names that
/// also occur inside words and banners (`gzip`, `OpenSSL/3`) are written with the blank that
/// follows a command; families of tools share their stem (`ldap`, `mongo`, `snmp`), which
/// keeps the keyword automaton, run on every line, small.
pub(super) const KEYWORDS: &[&str] = &[
    "psexec",
    "paexec",
    "schtasks",
    "wmic",
    "cmdkey",
    "winrs",
    "freerdp",
    "rdesktop",
    "sqlcmd",
    "bcp ",
    "bcp.exe",
    "osql",
    "ldap",
    "ipmitool",
    "snmp",
    "zip ",
    "zipcloak",
    "keytool",
    "jarsigner",
    "openssl ",
    "redis-cli",
    "cqlsh",
    "influx ",
    "vsql",
    "sshpass",
    "mongo",
];

/// A flag (`-p`, `/rp`, `-storepass`) then its value: after blanks, or after a colon
/// (`/pass:x`, `-p:x`, `/p:x`); OpenSSL's `pass:` source is skipped. A bare value runs to the
/// next blank, so a password holding `;` or `&` is taken whole.
pub(super) const PATTERN: &str = r#"(?i-u)(?:(?m:^)|[ \t])(?P<key>[\-/][a-z][a-z\-]{0,15})(?:[ \t]+|:)(?:pass:)?(?:"(?P<secret_dq>[^"\r\n]+)"|'(?P<secret_sq>[^'\r\n]+)'|(?P<secret>[^\s"'\-/][^\s"']*))"#;

/// Whether the flag of `c` is a password flag of a tool that the line runs before it.
pub(super) fn tool_flag(c: &Candidate<'_>) -> bool {
    let Some(flag) = c.key else {
        return false;
    };
    let before = text_before(c, flag);
    // OpenSSL's `-passin pass:x`, not cmdkey's `/pass:x`.
    let before_secret = text_before(c, c.secret);
    let value_prefixed = before_secret.ends_with(b"pass:")
        && before_secret
            .len()
            .checked_sub(6)
            .is_some_and(|i| matches!(before_secret[i], b' ' | b'\t' | b'"' | b'\''));
    let known = TABLE.iter().any(|entry| {
        let flag_matches = entry.flags.iter().any(|f| {
            if entry.any_case {
                f.eq_ignore_ascii_case(flag)
            } else {
                *f == flag
            }
        });
        flag_matches
            && entry.value_prefix.is_some() == value_prefixed
            && entry.tools.iter().any(|tool| runs(before, tool))
    });
    known
        && !c.secret.bytes().all(|b| b.is_ascii_digit())
        && looks_like_password(c.secret)
        && !is_code_or_dummy(c)
}

/// Whether `line` runs `tool`: the name as a word of its own (after a blank, a path separator,
/// a quote or the start), followed by a blank or `.exe`.
fn runs(line: &[u8], tool: &str) -> bool {
    let tool = tool.as_bytes();
    let mut from = 0;
    while let Some(at) = find_ignore_case(&line[from..], tool) {
        let start = from + at;
        let end = start + tool.len();
        let before_ok = start == 0
            || matches!(
                line[start - 1],
                b' ' | b'\t' | b'/' | b'\\' | b'"' | b'\'' | b'(' | b'&' | b';' | b'|' | b'`'
            );
        let rest = &line[end..];
        let after_ok = rest
            .first()
            .is_some_and(|b| *b == b' ' || *b == b'\t' || *b == b'"')
            || rest.len() >= 4 && rest[..4].eq_ignore_ascii_case(b".exe");
        if before_ok && after_ok {
            return true;
        }
        from = start + 1;
    }
    false
}

/// Where `needle` first occurs in `haystack`, ASCII case aside.
pub(super) fn find_ignore_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tool_is_a_command_word() {
        assert!(runs(b"C:\\Tools\\PsExec.exe \\\\h -p", "psexec"));
        assert!(runs(b"sudo ipmitool -I lanplus", "ipmitool"));
        assert!(!runs(b"gzip -9 file", "zip"));
        assert!(!runs(b"my-sqlcmd-wrapper -P", "sqlcmd"));
    }

    #[test]
    fn every_flag_has_the_shape_the_pattern_takes() {
        let flag = regex::Regex::new(r"^(?i)[\-/][a-z][a-z\-]{0,15}$").unwrap();
        for entry in TABLE {
            for f in entry.flags {
                assert!(flag.is_match(f), "{f}");
            }
            for tool in entry.tools {
                let command = format!("{tool} ");
                assert!(
                    KEYWORDS.iter().any(|k| command.contains(k)),
                    "{tool} has no keyword"
                );
            }
        }
    }
}
