//! Differential tests: the batch and streaming calls against redaction line by line, on the
//! development corpus (when present beside the repository, as the benches find it), on the
//! tables under `core/tests/data`, and on mutations of their lines.

use std::sync::OnceLock;

use super::*;

/// The lines of the development corpus (`../shared/corpus/dev.jsonl` beside the repository)
/// and of the test tables.
fn source_lines() -> &'static [String] {
    static LINES: OnceLock<Vec<String>> = OnceLock::new();
    LINES.get_or_init(|| {
        let root = env!("CARGO_MANIFEST_DIR");
        let mut lines = Vec::new();
        let corpus = format!("{root}/../../shared/corpus/dev.jsonl");
        if let Ok(text) = std::fs::read_to_string(corpus) {
            for record in text.lines() {
                let record: serde_json::Value =
                    serde_json::from_str(record).expect("corpus record is JSON");
                lines.push(record["line"].as_str().expect("a line").to_owned());
            }
        }
        for table in ["shapes.txt", "heldout_shapes.txt", "heldout_providers.txt"] {
            let text = std::fs::read_to_string(format!("{root}/tests/data/{table}"))
                .expect("test table readable");
            lines.extend(
                text.lines()
                    .map(|l| l.trim_start_matches(['+', '-', '=', ' ']).to_owned()),
            );
        }
        lines
    })
}

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Variants of `line` that move its triggers, keys and values around: case changed, cut
/// short, a byte changed, joined with another line, coloured, ended with CRLF, with a
/// harmless word of a generic rule or a provider's prefix inserted.
fn mutations(line: &str, other: &str, rng: &mut Rng) -> Vec<String> {
    let cut = |s: &str, at: usize| {
        let mut at = at.min(s.len());
        while !s.is_char_boundary(at) {
            at -= 1;
        }
        at
    };
    let mut out = vec![line.to_ascii_uppercase(), line.to_ascii_lowercase()];
    if !line.is_empty() {
        let at = cut(line, rng.below(line.len()));
        out.push(line[..at].to_owned());
        out.push(format!(
            "{}{}",
            &line[..at],
            &other[cut(other, rng.below(other.len() + 1))..]
        ));
        let inserts = [
            " token ",
            "=",
            ": ",
            "\x1b[32m",
            "ghp_",
            "AKIA",
            "eyJ",
            "://",
            "\"",
            "'",
            "password",
            "key=",
            " Bearer ",
            "-----BEGIN",
            "@",
            "sk-",
            "xoxb-",
            "\\",
        ];
        let insert = inserts[rng.below(inserts.len())];
        out.push(format!("{}{insert}{}", &line[..at], &line[at..]));
        let mut bytes = line.as_bytes().to_vec();
        let at = rng.below(bytes.len());
        if bytes[at].is_ascii() {
            bytes[at] = b"=:_-./ aZ9\"'"[rng.below(12)];
        }
        out.push(String::from_utf8_lossy(&bytes).into_owned());
    }
    out.push(format!("{line}\r"));
    out.push(format!("\x1b[1;31m{line}\x1b[0m"));
    out
}

/// The source lines with their mutations.
fn all_lines() -> Vec<String> {
    let source = source_lines();
    let mut rng = Rng(0x5eed_1e55);
    let mut lines = Vec::with_capacity(source.len() * 9);
    for (i, line) in source.iter().enumerate() {
        lines.push(line.clone());
        let other = &source[(i * 7 + 3) % source.len()];
        lines.extend(mutations(line, other, &mut rng));
    }
    lines
}

fn redactor() -> &'static Redactor {
    static REDACTOR: OnceLock<Redactor> = OnceLock::new();
    REDACTOR.get_or_init(Redactor::new)
}

/// Each line redacted on its own, newline included, one after the other.
fn line_by_line(r: &Redactor, text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for line in text.split_inclusive(|&b| b == b'\n') {
        out.extend_from_slice(&r.redact_bytes(line));
    }
    out
}

#[test]
fn lines_are_redacted_as_one_by_one() {
    lines_redacted_as_one_by_one(redactor());
    lines_redacted_as_one_by_one(with_literal_stage());
}

fn lines_redacted_as_one_by_one(r: &Redactor) {
    let lines = all_lines();
    assert!(lines.len() > 1000, "{} lines", lines.len());
    // Batches of varied sizes, so triggers fall at a batch's first and last line too.
    let mut rng = Rng(7);
    let mut at = 0;
    let mut changed = 0;
    while at < lines.len() {
        let take = 1 + rng.below(64);
        let batch = lines[at..(at + take).min(lines.len())].join("\n");
        let batch = if rng.below(2) == 0 {
            batch + "\n"
        } else {
            batch
        };
        let expected = line_by_line(r, batch.as_bytes());
        let got = r.redact_lines(batch.as_bytes());
        if got.as_ref() != expected.as_slice() {
            panic!(
                "batch at line {at} differs:\n{}\n---\n{}",
                String::from_utf8_lossy(&expected),
                String::from_utf8_lossy(&got)
            );
        }
        changed += usize::from(matches!(got, Cow::Owned(_)));
        at += take;
    }
    assert!(
        changed > 10,
        "the batches must hold secrets: {changed} changed"
    );
}

#[test]
fn a_batch_without_secrets_is_borrowed() {
    let text = b"GET /health 200\nlevel=info msg=\"token refreshed\"\n\nno newline at the end";
    assert!(matches!(redactor().redact_lines(text), Cow::Borrowed(_)));
    assert!(matches!(redactor().redact_lines(b""), Cow::Borrowed(_)));
}

#[test]
fn rules_on_every_line_run_on_every_line() {
    // A user rule without keywords runs on every text, so every line is redacted on its own.
    let r = Redactor::builder()
        .builtins(false)
        .rule(RuleDef {
            id: "digits".into(),
            pattern: "(?m)^[0-9]{6}$".into(),
            ..RuleDef::default()
        })
        .build()
        .unwrap();
    let text = b"123456\nabc\n654321\n12345678\n";
    assert_eq!(
        r.redact_lines(text).as_ref(),
        line_by_line(&r, text).as_slice()
    );
    assert_eq!(
        r.redact_lines(text).as_ref(),
        b"[REDACTED:digits]\nabc\n[REDACTED:digits]\n12345678\n"
    );
}

/// What `tokenward redact` did before the batch call: each line pushed on its own, the rest of
/// a chunk at once while the stream holds text.
fn stream_line_by_line(r: &Redactor, chunks: &[&[u8]]) -> Vec<u8> {
    let mut stream = StreamRedactor::new(r.clone());
    let mut out = Vec::new();
    for chunk in chunks {
        let mut rest = *chunk;
        while !rest.is_empty() {
            let end = rest
                .iter()
                .position(|&b| b == b'\n')
                .map_or(rest.len(), |n| n + 1);
            stream.push(&rest[..end], &mut out);
            rest = &rest[end..];
            if stream.pending() > 0 && !rest.is_empty() {
                stream.push(rest, &mut out);
                break;
            }
        }
    }
    stream.finish(&mut out);
    out
}

fn stream_batched(r: &Redactor, chunks: &[&[u8]]) -> Vec<u8> {
    let mut stream = StreamRedactor::new(r.clone());
    let mut out = Vec::new();
    for chunk in chunks {
        stream.push_lines(chunk, &mut out);
    }
    stream.finish(&mut out);
    out
}

#[test]
fn streamed_lines_are_redacted_as_pushed_one_by_one() {
    let r = redactor();
    let mut lines: Vec<String> = all_lines().into_iter().take(40_000).collect();
    // Key blocks, open and closed, among the lines.
    let key = concat!(
        "-----BEGIN RSA PRIVATE KEY-----\n",
        "MIIEowIBAAKCAQEAu7Qz4mJ0lVz2Qf3tW0bQZ9u8cX1yK2w3E4r5T6y7U8i9O0pQ\n",
        "-----END RSA PRIVATE KEY-----"
    );
    for at in [5, 500, 5000, 20_000] {
        if at < lines.len() {
            lines.insert(at, key.to_owned());
        }
    }
    lines.push("-----BEGIN OPENSSH PRIVATE KEY-----".to_owned());
    lines.push("b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW".to_owned());
    let text = lines.join("\n");
    let mut rng = Rng(11);
    for _ in 0..3 {
        let mut chunks = Vec::new();
        let mut rest = text.as_bytes();
        while !rest.is_empty() {
            let (chunk, tail) = rest.split_at((1 + rng.below(16_384)).min(rest.len()));
            chunks.push(chunk);
            rest = tail;
        }
        let expected = stream_line_by_line(r, &chunks);
        let got = stream_batched(r, &chunks);
        assert!(got == expected, "streamed output differs");
    }
}

/// The engine with its literal stage ([`gate`]).
fn with_literal_stage() -> &'static Redactor {
    static REDACTOR: OnceLock<Redactor> = OnceLock::new();
    REDACTOR.get_or_init(|| Redactor::builder().literal_stage(true).build().unwrap())
}

#[test]
fn the_literal_stage_keeps_every_finding() {
    // The engine triggered by keywords alone is the oracle.
    let (r, oracle) = (with_literal_stage(), redactor());
    let lines = all_lines();
    let mut found = 0;
    for line in &lines {
        let expected = oracle.find_bytes(line.as_bytes());
        assert!(
            r.find_bytes(line.as_bytes()) == expected,
            "findings differ on {line:?}"
        );
        found += expected.len();
    }
    assert!(
        found > lines.len() / 4,
        "{found} findings in {} lines",
        lines.len()
    );
    // Whole texts of many lines, as a stream releases them.
    for chunk in lines.chunks(97) {
        let text = chunk.join("\n");
        assert!(
            r.find(&text) == oracle.find(&text),
            "findings differ on a block of lines"
        );
    }
}

#[test]
fn the_literal_stage_holds_the_distinctive_prefixes() {
    let r = with_literal_stage();
    let literal = |id: &str| {
        let rule = r
            .inner
            .rules
            .iter()
            .find(|rule| &*rule.info.id == id)
            .unwrap();
        gate::literal_trigger(rule)
    };
    assert_eq!(literal("npm_token"), Some(vec![b"npm_".to_vec()]));
    assert!(literal("github_fine_grained_pat").is_some());
    assert!(literal("stripe_secret_key").is_some());
    assert_eq!(literal("jwt"), Some(vec![b"eyJ".to_vec()]));
    // Generic rules, and rules keyed by a service's name in any case, keep their keywords.
    for id in [
        "password_assignment",
        "secret_assignment",
        "fastly_api_token",
        "url_password",
    ] {
        assert_eq!(literal(id), None, "{id}");
    }
    // Without it, every rule is triggered by its keywords.
    assert!(redactor().inner.literals.is_none());
    assert!(r.inner.literals.is_some());
}

#[test]
#[ignore]
fn print_triggers() {
    let mut literals = 0;
    for rule in &with_literal_stage().inner.rules {
        if let Some(l) = gate::literal_trigger(rule) {
            literals += l.len();
            let l: Vec<String> = l
                .iter()
                .map(|l| String::from_utf8_lossy(l).into_owned())
                .collect();
            println!("L {:32} {:?}", rule.info.id, l);
        }
    }
    println!("{literals} literals");
}

#[test]
fn keywords_across_a_line_break_start_no_line_of_their_own() {
    // A user keyword may hold a line break: in a batch it may span two lines, where no line
    // on its own holds it.
    let r = Redactor::builder()
        .rule(RuleDef {
            id: "acme_key".into(),
            keywords: vec!["e\nac".into(), "acme_".into()],
            pattern: "acme_[a-z0-9]{8}".into(),
            ..RuleDef::default()
        })
        .build()
        .unwrap();
    let text = b"line\nacme_0123abcd\nthe\nacme\nlast acme_89abcdef";
    let got = r.redact_lines(text);
    assert_eq!(got.as_ref(), line_by_line(&r, text).as_slice());
    assert_eq!(
        got.as_ref(),
        b"line\n[REDACTED:acme_key]\nthe\nacme\nlast [REDACTED:acme_key]"
    );
}

/// A hit as compared: rule, span, secret span and where its match began (a stream keeps the
/// text from there on as context).
type GatedHit = (Arc<str>, Range<usize>, Range<usize>, usize);

/// The hits of the rules the first stage gates by structure (a pair of adjacent bytes, a key
/// followed by a separator), as `hits` gives them, in a comparable form.
fn gated_hits(r: &Redactor, hits: Vec<Hit>, gated: &[usize]) -> Vec<GatedHit> {
    let mut out: Vec<_> = hits
        .into_iter()
        .filter(|h| {
            gated
                .iter()
                .any(|&i| r.inner.rules[i].info.id == h.finding.rule)
        })
        .map(|h| {
            (
                h.finding.rule,
                h.finding.span,
                h.finding.secret_span,
                h.reach,
            )
        })
        .collect();
    out.sort_by(|a, b| (&*a.0, a.1.start, a.1.end).cmp(&(&*b.0, b.1.start, b.1.end)));
    out
}

#[test]
fn structural_gates_keep_every_finding() {
    // The oracle: each gated rule's pattern run over the whole text, wherever one of its
    // keywords occurs, with no byte, pair or key checked first.
    let r = redactor();
    let inner = &*r.inner;
    let gated: Vec<usize> = (0..inner.rules.len())
        .filter(|&i| {
            inner.key_slots[i].is_some()
                || inner.rules[i]
                    .compiled()
                    .is_some_and(|c| !c.pairs.is_empty())
        })
        .collect();
    assert!(gated.len() >= 10, "{} gated rules", gated.len());
    let lines = all_lines();
    let mut found = 0;
    for line in &lines {
        let text = line.as_bytes();
        let got = gated_hits(r, r.hits(text), &gated);
        let keyword_rules = super::tests::all_keyword_rules(r, text);
        let mut expected = Vec::new();
        for &i in gated.iter().filter(|i| keyword_rules.contains(i)) {
            let rule = &inner.rules[i];
            r.run_pattern(rule, rule.compiled().unwrap(), text, 0, &mut expected);
        }
        let expected = gated_hits(r, expected, &gated);
        assert_eq!(got, expected, "{line:?}");
        found += expected.len();
    }
    assert!(found > 1000, "{found} findings of gated rules");
}
