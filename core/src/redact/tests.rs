//! Engine behaviour: borrowing, bytes, overlaps, styles, allowlists and errors.

use std::borrow::Cow;

use super::*;

const GHP: &str = "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";

#[test]
fn clean_text_is_borrowed() {
    let r = Redactor::new();
    assert!(matches!(r.redact("GET /health 200 12ms"), Cow::Borrowed(_)));
    assert!(matches!(
        r.redact_bytes(b"\xff\xfe no secrets"),
        Cow::Borrowed(_)
    ));
    assert!(r.find("").is_empty());
}

#[test]
fn invalid_utf8_outside_secrets_passes_through() {
    let r = Redactor::new();
    let mut text = b"\xff\xc3 key ".to_vec();
    text.extend_from_slice(GHP.as_bytes());
    text.extend_from_slice(b" \xe2\x82");
    let out = r.redact_bytes(&text);
    assert_eq!(
        &out[..],
        &b"\xff\xc3 key [REDACTED:github_classic_token] \xe2\x82"[..]
    );
}

#[test]
fn overlapping_findings_merge_and_provider_wins() {
    let r = Redactor::new();
    let text = format!("password={GHP}");
    let found = r.find(&text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].rule.as_ref(), "github_classic_token");
    assert_eq!(&text[found[0].span.clone()], GHP);
}

#[test]
fn merge_covers_the_union_of_overlapping_spans() {
    let finding = |rule: &str, span: Range<usize>| Finding {
        rule: rule.into(),
        secret_span: span.clone(),
        span,
        verified: false,
    };
    let hit = |rule: &str, span: Range<usize>, generic: bool, reach: usize| Hit {
        finding: finding(rule, span),
        generic,
        reach,
    };
    let mut reach = Vec::new();
    let merged = merge_overlaps(
        vec![
            hit("b", 5..12, true, 1),
            hit("a", 0..8, false, 0),
            hit("c", 20..25, false, 14),
        ],
        Some(&mut reach),
    );
    assert_eq!(merged.len(), 2);
    assert_eq!(merged[0].span, 0..12);
    assert_eq!(merged[0].rule.as_ref(), "a");
    assert_eq!(merged[1].span, 20..25);
    // Each merged finding reaches back to the earliest match start among its parts.
    assert_eq!(reach, [0, 14]);
}

#[test]
fn fingerprints_are_keyed_and_stable() {
    let build = |key: &[u8]| {
        Redactor::builder()
            .style(Style::Fingerprint)
            .fingerprint_key(key)
            .build()
            .unwrap()
    };
    let a = build(b"key one").redact(GHP).into_owned();
    assert_eq!(a, build(b"key one").redact(GHP));
    assert_ne!(a, build(b"key two").redact(GHP));
    assert!(
        a.starts_with("[REDACTED:github_classic_token:") && a.len() == 40,
        "{a}"
    );
    assert_eq!(
        Redactor::builder()
            .style(Style::Fingerprint)
            .build()
            .unwrap_err(),
        Error::MissingFingerprintKey
    );
}

#[test]
fn multi_line_secrets_keep_the_line_count() {
    let r = Redactor::builder()
        .builtins(false)
        .rule(RuleDef {
            id: "block".into(),
            keywords: vec!["BEGIN".into()],
            pattern: r"BEGIN\n[a-z\n]{1,100}\nEND".into(),
            ..RuleDef::default()
        })
        .build()
        .unwrap();
    let out = r.redact("x\nBEGIN\nabc\ndef\nEND\ny");
    assert_eq!(out.lines().count(), 6, "{out:?}");
}

#[test]
fn allowlists_skip_values_and_patterns() {
    let r = Redactor::builder().allow_value(GHP).build().unwrap();
    assert_eq!(r.redact(GHP), GHP);
    let r = Redactor::builder()
        .allow_pattern("^ghp_Ky9")
        .build()
        .unwrap();
    assert_eq!(r.redact(GHP), GHP);
    let err = Redactor::builder().allow_pattern("(").build().unwrap_err();
    assert!(
        matches!(err, Error::InvalidAllowPattern { index: 0, .. }),
        "{err}"
    );
}

#[test]
fn invalid_rules_name_the_rule_and_the_problem() {
    let build = |id: &str, pattern: &str| {
        Redactor::builder()
            .rule(RuleDef {
                id: id.into(),
                pattern: pattern.into(),
                keywords: vec!["x".into()],
                ..RuleDef::default()
            })
            .build()
            .unwrap_err()
            .to_string()
    };
    let msg = build("acme", "(unclosed");
    assert!(
        msg.contains("acme") && msg.contains("does not compile"),
        "{msg}"
    );
    let msg = build("acme", "a*");
    assert!(msg.contains("empty string"), "{msg}");
    let msg = build("Acme Key", "a");
    assert!(msg.contains("snake_case"), "{msg}");
    let msg = build("aws_access_key_id", "AKIA");
    assert!(msg.contains("duplicate"), "{msg}");
    let err = Redactor::builder()
        .disable("no_such_rule")
        .build()
        .unwrap_err();
    assert_eq!(err, Error::UnknownRule { index: 0 });
}

#[test]
fn debug_shows_no_key_material() {
    let r = Redactor::builder()
        .fingerprint_key(b"super-secret-key")
        .allow_value("allowed-value-123")
        .build()
        .unwrap();
    let shown = format!("{r:?}");
    assert!(
        !shown.contains("super-secret-key") && !shown.contains("allowed-value"),
        "{shown}"
    );
}

#[test]
fn debug_of_a_config_or_a_candidate_shows_no_credential() {
    let config = Config::from_toml(
        r#"allow = ["allowed-value-123"]
allow_patterns = ["^fixture-secret-[0-9]+$"]"#,
    )
    .unwrap();
    let shown = format!("{config:?}");
    assert!(
        !shown.contains("allowed-value") && !shown.contains("fixture-secret"),
        "{shown}"
    );
    let line = b"password=Tr0ub4dor3";
    let candidate = Candidate {
        token: "Tr0ub4dor3",
        secret: "Tr0ub4dor3",
        key: Some("password"),
        haystack: line,
        match_span: 0..line.len(),
    };
    let shown = format!("{candidate:?}");
    assert!(
        !shown.contains("Tr0ub4dor3") && !shown.contains("84, 114"),
        "{shown}"
    );
    assert!(shown.contains("secret_len: 10"), "{shown}");
}

#[test]
fn redactor_is_send_sync_and_cheap_to_clone() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<Redactor>();
    let a = Redactor::new();
    let b = a.clone();
    assert!(Arc::ptr_eq(&a.inner, &b.inner));
}

#[test]
fn stream_catches_secrets_split_at_every_position() {
    let r = Redactor::new();
    let text = format!("first line\nkey {GHP} tail\nlast\n");
    let expected = r.redact(&text).into_owned();
    for split in 0..text.len() {
        let mut stream = StreamRedactor::new(r.clone());
        let mut out = Vec::new();
        stream.push(&text.as_bytes()[..split], &mut out);
        stream.push(&text.as_bytes()[split..], &mut out);
        stream.finish(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            expected,
            "split at {split}"
        );
    }
}

#[test]
fn stream_memory_is_bounded_on_one_huge_line() {
    let r = Redactor::new();
    let mut stream = StreamRedactor::with_window(r, 1024);
    let mut out = Vec::new();
    let chunk = format!("{} {GHP} ", "a".repeat(300));
    for _ in 0..2000 {
        stream.push(chunk.as_bytes(), &mut out);
        assert!(stream.pending() <= 3 * 1024 + chunk.len());
    }
    stream.finish(&mut out);
    let out = String::from_utf8(out).unwrap();
    assert!(!out.contains("ghp_"));
    assert_eq!(out.matches("[REDACTED:github_classic_token]").count(), 2000);
}

#[test]
fn a_keyword_starting_before_the_first_reported_one_still_runs_its_rule() {
    // The prefilter reports the keyword that ends first ("cd"); "abcdef" starts before it.
    let rule = |id: &str, keyword: &str, pattern: &str| RuleDef {
        id: id.into(),
        keywords: vec![keyword.into()],
        pattern: pattern.into(),
        ..RuleDef::default()
    };
    let r = Redactor::builder()
        .builtins(false)
        .rule(rule("long_keyword", "abcdef", "abcdef[0-9]{4}"))
        .rule(rule("short_keyword", "cd", "zz[0-9]"))
        .build()
        .unwrap();
    assert_eq!(r.redact("x abcdef1234"), "x [REDACTED:long_keyword]");
}

#[test]
fn command_context_stays_on_its_own_line() {
    // `-pX` is a password only on a line that runs a MySQL client; a previous line's command
    // must not count as context.
    let r = Redactor::new();
    let out = r.redact("mysql -u root -pOrange#7178\nls -pOrange#7178");
    assert_eq!(out.lines().nth(1), Some("ls -pOrange#7178"), "{out}");
    assert!(
        !out.lines().next().unwrap().contains("Orange#7178"),
        "{out}"
    );
}

/// Texts in the shapes `key = value` rules meet: separators, quoting, escapes, suffixes.
fn assignment_texts() -> Vec<String> {
    let keys = [
        "api_key",
        "X-Auth-Token",
        "db.password",
        "SECRET_KEY_BASE",
        "password2",
        "sessionId",
        "token",
    ];
    let separators = [
        "=",
        ": ",
        " => ",
        ":=",
        "\\\": \\\"",
        "' : '",
        "\"=\"",
        " = ",
    ];
    let values = [
        "Zk3Lq9Xw2PvB7nRtQ4sD",
        "hunter2!",
        "a b c",
        "\"quoted value\"",
        "'x y'",
        "abc;def",
        "${VAR}",
    ];
    let mut texts = Vec::new();
    for key in keys {
        for sep in separators {
            for value in values {
                texts.push(format!("level=info {key}{sep}{value} next=1"));
                texts.push(format!("{{\"{key}{sep}{value}\"}}"));
            }
        }
    }
    texts
}

/// Each `key = value` rule compiled twice: with its value tail and without.
fn tailed_rules() -> &'static [(Compiled, Compiled)] {
    static RULES: std::sync::OnceLock<Vec<(Compiled, Compiled)>> = std::sync::OnceLock::new();
    RULES.get_or_init(|| {
        catalogue::builtins()
            .into_iter()
            .filter(|b| assignment::is_assignment(b.pattern))
            .map(|b| {
                (
                    Compiled::new(b.id, b.pattern, assignment::is_assignment(b.pattern)).unwrap(),
                    Compiled::new(b.id, b.pattern, false).unwrap(),
                )
            })
            .collect()
    })
}

/// Asserts that `fast` resolves every match of `whole` in `texts` to the groups a capture
/// engine finds with `whole`; returns how many matches were compared.
fn compare_resolutions<T: AsRef<str>>(
    id: &str,
    fast: &Compiled,
    whole: &Compiled,
    texts: impl Iterator<Item = T>,
) -> usize {
    let mut matches = 0;
    for text in texts {
        let text = text.as_ref().as_bytes();
        let mut at = 0;
        while let Some(m) = whole.regex.search(&Input::new(text).range(at..)) {
            at = m.end().max(m.start() + 1);
            matches += 1;
            assert_eq!(
                Groups::default().resolve(fast, text, m.range()),
                Groups::default().resolve_by_captures(whole, text, m.range()),
                "{id}: {:?}",
                String::from_utf8_lossy(text)
            );
        }
    }
    matches
}

#[test]
fn value_tail_resolves_the_groups_the_whole_pattern_does() {
    let tailed: Vec<_> = catalogue::builtins()
        .into_iter()
        .filter(|b| assignment::is_assignment(b.pattern))
        .collect();
    assert!(!tailed.is_empty());
    let extra = assignment_texts();
    for b in tailed {
        let with_tail =
            Compiled::new(b.id, b.pattern, assignment::is_assignment(b.pattern)).unwrap();
        let whole = Compiled::new(b.id, b.pattern, false).unwrap();
        let texts = b
            .examples
            .iter()
            .map(|(t, _)| *t)
            .chain(b.counterexamples.iter().copied())
            .chain(extra.iter().map(String::as_str));
        let matches = compare_resolutions(b.id, &with_tail, &whole, texts);
        assert!(matches > 50, "{}: only {matches} matches compared", b.id);
    }
}

proptest::proptest! {
    #[test]
    fn value_tail_agrees_on_generated_assignments(
        text in r#"[a-zA-Z0-9 _.\-]{0,8}(token|Password|SECRET|session_id|api-key)[a-z0-9_.]{0,4}[\\"' ]{0,3}(=|:|=>|:=)[ \t"'\\]{0,3}[a-zA-Z0-9 "'\\;&,.%$\{\}]{0,30}"#
    ) {
        for (with_tail, whole) in tailed_rules() {
            let text = text.as_bytes();
            let mut at = 0;
            while let Some(m) = whole.regex.search(&Input::new(text).range(at..)) {
                at = m.end().max(m.start() + 1);
                proptest::prop_assert_eq!(
                    Groups::default().resolve(with_tail, text, m.range()),
                    Groups::default().resolve_by_captures(whole, text, m.range())
                );
            }
        }
    }
}

/// The assignment tail compiled alone, and the secret its capture engine finds in `text`
/// after a key ending at `key_end`, with the match's end.
fn tail_capture(text: &[u8], key_end: usize) -> Option<(Range<usize>, usize)> {
    static TAIL: std::sync::OnceLock<Compiled> = std::sync::OnceLock::new();
    let tail = TAIL.get_or_init(|| Compiled::new("tail", assignment::TAIL, false).unwrap());
    let input = Input::new(text).range(key_end..).anchored(Anchored::Yes);
    let m = tail.regex.search(&input)?;
    let parts = Groups::default().resolve_by_captures(tail, text, m.range())?;
    Some((parts.secret, m.end()))
}

#[test]
fn plain_values_are_read_by_hand_as_captured() {
    let plain = [
        "key=hunter2",
        "key = hunter2 next",
        "key: Zk3Lq9Xw/",
        "key:=abc",
        "key => x)",
        "key:=,",
        "key\": \"Zk3Lq9Xw2PvB7nRt\", ",
        "key\\\": \\\"Zk3Lq9Xw2PvB7nRt\\\",",
        "key\": \"open to the end",
        "key: \"line\nnext\"",
        "key='a b c'",
        "key: 'crlf\r\n",
        "key=caf\u{e9}!",
    ];
    for text in plain {
        let (secret, end) = tail_capture(text.as_bytes(), 3).unwrap();
        assert_eq!(
            assignment::read_value(text.as_bytes(), 3, end),
            Some(secret),
            "{text:?}"
        );
    }
    // Escapes inside a quoted value are left to the capture engine.
    for text in [r#"key="a\\b""#, r#"key=\"a\\\"b\""#, r#"key="a\nb""#] {
        let (_, end) = tail_capture(text.as_bytes(), 3).unwrap();
        assert_eq!(
            assignment::read_value(text.as_bytes(), 3, end),
            None,
            "{text:?}"
        );
    }
}

proptest::proptest! {
    /// Wherever the hand reader reads a value, it finds what the capture engine finds, over
    /// tails made of the bytes the grammar treats specially.
    #[test]
    fn read_value_agrees_with_the_capture_engine(
        tail in "[\\\\\"' \t]{0,3}(=|:|=>|:=|>|)[ \t\"'\\\\=:>]{0,3}[a-z0-9 \t\"'\\\\`,;&<>)}\\]:/=\r\n\x0b\x0c\u{e9}]{0,24}"
    ) {
        let text = format!("key{tail}");
        let text = text.as_bytes();
        if let Some((secret, end)) = tail_capture(text, 3) {
            if let Some(read) = assignment::read_value(text, 3, end) {
                proptest::prop_assert_eq!(read, secret);
            }
            // A wrong end (a match the reader did not parse) is never read.
            proptest::prop_assert_eq!(assignment::read_value(text, 3, end + 1), None);
        }
    }
}

/// A pattern's layout, where it has one, places the groups where the capture engines do.
#[test]
fn layouts_place_groups_as_captures_do() {
    let mut laid_out = 0;
    for b in catalogue::builtins() {
        let compiled =
            Compiled::new(b.id, b.pattern, assignment::is_assignment(b.pattern)).unwrap();
        if !matches!(compiled.shortcut, Shortcut::Layout(_)) {
            continue;
        }
        laid_out += 1;
        // Each example alone (a trailing boundary then matches the text's end), and inside
        // the contexts logs put tokens in (where it consumes the next byte).
        let texts = b
            .examples
            .iter()
            .map(|(t, _)| *t)
            .chain(b.counterexamples.iter().copied())
            .flat_map(|t| {
                [
                    t.to_string(),
                    format!("x={t};"),
                    format!("\"{t}\", {t}"),
                    format!("({t}) {t}.{t}"),
                    format!("{t}\n{t}"),
                ]
            });
        let matches = compare_resolutions(b.id, &compiled, &compiled, texts);
        assert!(matches > 0, "{}: no match compared", b.id);
    }
    // Most provider formats are a fixed prefix and a body, many with a trailing boundary.
    assert!(laid_out >= 90, "only {laid_out} rules have a layout");
}

/// The bytes a rule requires are in every text its pattern matches, so checking them first
/// never loses a match.
#[test]
fn required_bytes_are_in_every_match() {
    let mut gated = 0;
    for b in catalogue::builtins() {
        let compiled =
            Compiled::new(b.id, b.pattern, assignment::is_assignment(b.pattern)).unwrap();
        gated += usize::from(!compiled.required.is_empty());
        for (text, _) in b.examples {
            let text = text.as_bytes();
            if let Some(m) = compiled.regex.search(&Input::new(text)) {
                assert!(compiled.may_match(&text[m.range()]), "{}: {:?}", b.id, m);
            }
        }
    }
    assert!(gated > 50, "only {gated} rules require a byte");
}

proptest::proptest! {
    #[test]
    fn required_pairs_never_hide_a_match(text in r#"( |\t|\n|-|--|pass|x|=|"|'|[a-z]{1,3}){0,14}"#) {
        let patterns = [
            r"(?i-u)(?:(?m:^)|[ \t])(?P<key>--?[a-z0-9_.\-]*pass[a-z0-9_.\-]*)[ \t]+(?P<secret>[^\s-]\S*)",
            r#"(?i-u)pass[a-z]*"?[ \t]+value[ \t]*=[ \t]*"(?P<secret>[^"]+)""#,
            r"(?i-u)(?:^|[ \t,])pass[ \t]*=[ \t]*'(?P<secret>[^']+)'",
        ];
        for pattern in patterns {
            let compiled = Compiled::new("p", pattern, false).unwrap();
            proptest::prop_assert!(!compiled.pairs.is_empty(), "{}", pattern);
            let text = text.as_bytes();
            if compiled.regex.is_match(text) {
                proptest::prop_assert!(compiled.may_match(text), "{}", pattern);
            }
        }
    }

    #[test]
    fn required_bytes_never_hide_a_match(text in r#"(key|pass|<|>|</|://|@|:|=|"|[a-z ]{1,4}){0,12}"#) {
        let patterns = [
            r#"(?i)<(?P<key>[a-z]+)>(?P<secret>[^<]+)</"#,
            r#"(?i)[a-z]+://[^:@ ]*:(?P<secret>[^@ ]+)@"#,
            r#"(?i)key[ \t]*(?:=>|:=|[:=])[ \t]*(?:"(?P<secret>[^"]+)"|(?P<bare>[^\s"]+))"#,
        ];
        for pattern in patterns {
            let compiled = Compiled::new("p", pattern, false).unwrap();
            let text = text.as_bytes();
            if compiled.regex.is_match(text) {
                proptest::prop_assert!(compiled.may_match(text), "{}", pattern);
            }
        }
    }
}

/// What `candidates` must equal: the rules of every keyword occurrence, overlapping ones
/// included, from an overlapping search of the whole text.
pub(super) fn all_keyword_rules(r: &Redactor, text: &[u8]) -> Vec<usize> {
    let inner = &*r.inner;
    let mut rules: Vec<usize> = inner
        .prefilter
        .as_ref()
        .unwrap()
        .find_overlapping_iter(text)
        .flat_map(|m| inner.keyword_rules[m.pattern().as_usize()].iter().copied())
        .collect();
    rules.sort_unstable();
    rules.dedup();
    rules
}

#[test]
fn candidates_are_the_rules_of_every_keyword_present() {
    let r = Redactor::new();
    let mut texts: Vec<String> = catalogue::builtins()
        .iter()
        .flat_map(|b| b.examples.iter().map(|(t, _)| t.to_string()))
        .collect();
    // Keywords inside longer ones, and keywords straddling the first one found.
    texts.extend(
        [
            "my_client_secret=1",
            "x-api-key: k",
            "ghp_",
            "password_assignment api_key",
            "AUTHORIZATION: Bearer",
            "",
        ]
        .map(String::from),
    );
    for text in &texts {
        check_candidates(&r, text.as_bytes());
    }
}

/// `candidates` are the rules of every keyword present, except keyed rules
/// ([`Rule::keyed`]): one of those is a candidate only if a keyword of it is in a key that a
/// separator follows, and always where its pattern matches.
fn check_candidates(r: &Redactor, text: &[u8]) {
    let keyed = |rule: &usize| r.inner.key_slots[*rule].is_some();
    let got: Vec<usize> = r.candidates(text).iter().collect();
    let every = all_keyword_rules(r, text);
    let unkeyed = |rules: &[usize]| {
        rules
            .iter()
            .copied()
            .filter(|i| !keyed(i))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        unkeyed(&got),
        unkeyed(&every),
        "{:?}",
        String::from_utf8_lossy(text)
    );
    for rule in every.iter().filter(|i| keyed(i)) {
        let matches = r.inner.rules[*rule]
            .compiled()
            .is_some_and(|c| c.regex.is_match(text));
        assert!(
            !matches || got.contains(rule),
            "{}: {:?}",
            r.inner.rules[*rule].info.id,
            String::from_utf8_lossy(text)
        );
    }
    assert!(got.iter().all(|rule| every.contains(rule)));
}

#[test]
fn a_keyed_rule_is_a_candidate_only_where_a_key_meets_a_separator() {
    let r = Redactor::new();
    let secret = r
        .inner
        .rules
        .iter()
        .position(|rule| &*rule.info.id == "secret_assignment")
        .unwrap();
    let candidate = |text: &str| r.candidates(text.as_bytes()).iter().any(|i| i == secret);
    for text in [
        "api_token=x",
        "\"X-Auth-Token\": 1",
        "my.secret_value := 1",
        "token \t= 1",
        "{\\\"token\\\": 1}",
        "'secret' => 1",
    ] {
        assert!(candidate(text), "{text:?}");
    }
    for text in [
        "token refreshed",
        "\"msg\": \"auth ok\"",
        "refresh_access_token",
        "cache miss for secret user:1",
        r#"token\\\\"=1"#,
        "/oauth/token?page=2",
    ] {
        assert!(!candidate(text), "{text:?}");
    }
}

proptest::proptest! {
    #[test]
    fn candidates_agree_with_an_overlapping_search(
        text in r"((pass|word|secret|_key|api|token|auth|ghp_|://|sk|x-|ses|sion|[a-z_:= ]){0,10})"
    ) {
        check_candidates(&Redactor::new(), text.as_bytes());
    }
}

#[test]
fn coloured_output_is_read_as_plain_text() {
    let r = Redactor::new();
    let line = format!("\x1b[32m{GHP}\x1b[0m pushed");
    assert_eq!(
        r.redact(&line),
        "\x1b[32m[REDACTED:github_classic_token]\x1b[0m pushed"
    );
    let line = "\x1b[33mpassword\x1b[0m=Tr0ub4dor3x and more";
    assert_eq!(
        r.redact(line),
        "\x1b[33mpassword\x1b[0m=[REDACTED:password_assignment] and more"
    );
    let findings = r.find("\x1b[1mAKIAZ3MNQ7XPLR4TWKFB\x1b[0m");
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].span, 4..24);
}

#[test]
fn rule_bits_hold_any_rule_count() {
    for rules in [1, 64, 65, 256, 257, 1000] {
        let mut bits = RuleBits::new(rules);
        assert!(bits.is_empty());
        let picked: Vec<usize> = (0..rules)
            .filter(|i| i % 7 == 0 || i + 1 == rules)
            .collect();
        for &i in picked.iter().rev() {
            bits.insert(i);
        }
        assert!(!bits.is_empty());
        assert_eq!(bits.iter().collect::<Vec<_>>(), picked, "{rules} rules");
    }
}

#[test]
fn a_key_block_after_an_empty_or_repeated_header_is_redacted_whole() {
    // A header with no body (or cut short, or repeated on its line) must not run on into the
    // next block's header, which would leave that block's body and END line in clear.
    let r = Redactor::new();
    let begin = "-----BEGIN RSA PRIVATE KEY-----";
    let end = "-----END RSA PRIVATE KEY-----";
    let (a, b) = (
        "MIIEowIBAAKCAQEAu7Qz4mJ0lVz2Qf3tW0bQ",
        "Z9u8cX1yK2w3E4r5T6y7U8i9O0pQsRtU",
    );
    let texts = [
        format!("{begin}\n{begin}\n{b}\n{end}\n"),
        format!("{begin}{begin}\n{b}\n{end}\n"),
        format!("{begin}\n{a}\n{begin}\n{b}\n{end}\n"),
        format!(r"{begin}\n{a}\n{begin}\n{b}\n{end}"),
        format!("-----BEGIN RSA PRIVATE KEY\n{begin}\n{b}\n{end}\n"),
    ];
    for text in &texts {
        let out = r.redact(text);
        assert!(!out.contains(a) && !out.contains(b), "{text:?} -> {out:?}");
        assert!(!out.contains("-----END"), "{text:?} -> {out:?}");
    }
}

#[test]
fn a_placeholder_word_inside_a_random_value_is_chance() {
    // Found by the `stream` fuzz target: one `xxxx` (or `ToDo`, `dummy`, `hidden`, `Sample`)
    // inside a key's base64 body made the whole block pass for a placeholder.
    let redactor = Redactor::new();
    for word in ["xxxx", "ToDo", "dummy", "hidden", "Sample"] {
        let pem = format!(
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu2SU1LfVLPHCozMxH2{word}lgOEePzNm0tRgeLezV6ffAt0gun\nVTLw7onL\n-----END RSA PRIVATE KEY-----\n"
        );
        let out = redactor.redact(&pem);
        assert!(!out.contains("MIIEowIBAAKCAQEA"), "{word}: {out}");
        let aws = format!("aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYz{word}KEYabcd");
        assert!(!redactor.redact(&aws).contains("wJalrXUtn"), "{word}");
    }
    // Words that stand apart still mark a stand-in.
    for value in [
        "your_api_key_here",
        "TODO",
        "xxxx1234",
        "sk-****abcd",
        "my-dummy-secret",
    ] {
        assert!(validate::is_placeholder(value), "{value}");
    }
}

#[test]
fn guard_events_keep_their_token_ids_and_lose_raw_tokens() {
    let r = Redactor::new();
    let id = crate::TokenKey::new(b"k").id(b"tw_raw").to_string();
    let event = format!(r#"{{"kind":"revoked","token":"{id}","at":1767225600000}}"#);
    assert_eq!(r.redact(&event), event);
    assert_eq!(
        r.redact(&format!("token_id={id}")),
        format!("token_id={id}")
    );
    // A random value under the same key is still a secret, and so is the shape of a token id
    // where a secret of the owner's choosing goes.
    let leaked = r#"{"kind":"revoked","token":"q8Zr2LmX9vTn4KpWq8Zr2LmX9vTn4KpW"}"#;
    assert!(r.redact(leaked).contains("[REDACTED"), "{leaked}");
    for chosen in [
        format!(r#"{{"password": "{id}"}}"#),
        format!("DB_PASSWORD={id}"),
        format!("https://deploy:{id}@git.example.com/repo.git"),
    ] {
        assert!(r.redact(&chosen).contains("[REDACTED"), "{chosen}");
    }
}

/// Keywords are found in any case, beside bytes that are not ASCII, in short and long texts.
#[test]
fn keywords_are_found_in_any_case_and_at_any_length() {
    let r = Redactor::new();
    let secret = "Zk3Lq9Xw2PvB7nRtQ4sD";
    for pad in [0, 100, 70 * 1024] {
        for key in ["api_token", "API_TOKEN", "Api_Token"] {
            let line = format!("{}é {key}={secret} ÄÖ", "x".repeat(pad));
            let found = r.find(&line);
            assert_eq!(found.len(), 1, "{key} after {pad} bytes");
            assert_eq!(&line[found[0].span.clone()], secret);
        }
    }
}

/// A long run of keywords in one key is read once: the finding after it is found, in time
/// linear in the run (read once per keyword, this took seconds).
#[test]
fn a_long_run_of_keywords_is_one_key() {
    let r = Redactor::new();
    let secret = "Zk3Lq9Xw2PvB7nRtQ4sD";
    for (word, n) in [
        ("token", 64_000),
        ("x.api_key", 20_000),
        ("password", 30_000),
    ] {
        let line = format!("{}={secret}", word.repeat(n));
        let found = r.find(&line);
        assert_eq!(found.len(), 1, "{word}");
        assert_eq!(&line[found[0].span.clone()], secret, "{word}");
        // The same run with no separator after it holds nothing.
        assert!(r.find(&word.repeat(n)).is_empty(), "{word}");
    }
}
