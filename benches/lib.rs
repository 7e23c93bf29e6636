//! Shared inputs for tokenward's criterion benchmarks.
//!
//! The benchmarks themselves are the bench targets of this package (`cargo bench`). Inputs are
//! built deterministically here so every run measures the same bytes.

use std::path::PathBuf;

/// The labeled corpus shipped beside the repository (`../shared/corpus/dev.jsonl`), or the
/// file `TOKENWARD_CORPUS` names (for a worktree elsewhere), if present.
pub fn corpus_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("TOKENWARD_CORPUS") {
        return Some(PathBuf::from(path)).filter(|p| p.exists());
    }
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/dev.jsonl");
    path.exists().then_some(path)
}

/// A small deterministic generator (xorshift), so inputs need no dependency and never vary.
pub struct Lcg(u64);

impl Lcg {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Lcg {
        Lcg(seed.max(1))
    }

    /// The next pseudo-random value.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A value below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// `len` characters drawn from `alphabet`.
    pub fn string(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| alphabet[self.below(alphabet.len())] as char)
            .collect()
    }
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Realistic log lines with no secret: access logs, JSON and logfmt application logs, CI output
/// and tracebacks, including words such as `token`, `key`, `session` and `auth` in harmless use.
pub fn clean_lines(count: usize) -> Vec<String> {
    let mut rng = Lcg::new(0x5eed);
    let paths = [
        "/api/v1/orders",
        "/oauth/token",
        "/static/app.js",
        "/health",
        "/v2/users/42/sessions",
        "/login",
    ];
    let agents = ["Go-http-client/2.0", "curl/8.5.0", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0 Safari/537.36"];
    (0..count)
        .map(|i| {
            let path = paths[rng.below(paths.len())];
            match i % 6 {
                0 => format!(
                    "10.{}.{}.{} - - [19/Mar/2024:10:02:{:02} +0000] \"GET {path}?page={} HTTP/1.1\" 200 {} \"-\" \"{}\"",
                    rng.below(255), rng.below(255), rng.below(255), rng.below(60), rng.below(90), rng.below(90000), agents[rng.below(agents.len())]
                ),
                1 => format!(
                    "{{\"ts\": \"2024-04-21T06:04:{:02}.818Z\", \"level\": \"info\", \"logger\": \"api.auth\", \"msg\": \"token refreshed\", \"path\": \"{path}\", \"token_type\": \"bearer\", \"expires_in\": {}}}",
                    rng.below(60), rng.below(7200)
                ),
                2 => format!(
                    "time=2024-03-24T03:58:22Z level=info msg=\"session started\" user_id={} session_ttl=3600 auth=ok request_id={}",
                    rng.below(100000), rng.string(b"0123456789abcdef", 32)
                ),
                3 => format!(
                    "2024-04-02T05:55:37.99Z ##[group]Run actions/cache@v4 with key=node-modules-{} restore-keys=node-",
                    rng.string(b"0123456789abcdef", 40)
                ),
                4 => format!(
                    "  File \"/srv/app/handlers/{}.py\", line {}, in refresh_access_token",
                    rng.string(b"abcdefghij", 8), rng.below(400)
                ),
                _ => format!(
                    "2024-05-18 08:59:52,740 WARN [pool-{}] c.a.CacheService - cache miss for key user:{}:profile, loading from db",
                    rng.below(9), rng.below(100000)
                ),
            }
        })
        .collect()
}

/// One clean access-log line of about 150 bytes: a URL, no keyword but `://`.
pub const CLEAN_LINE: &str = "10.1.2.3 - - [19/Mar/2024:10:02:15 +0000] \"GET /static/js/app.7abf7aff.js?page=35&lang=en HTTP/1.1\" 201 26412 \"https://shop.example.com/\" \"Go-http-client/2.0\"";

/// A hostile line of about `len` bytes: long runs of key-like characters broken by keywords
/// of many rules, repeated thousands of times.
pub fn adversarial_line(len: usize) -> String {
    let mut rng = Lcg::new(0xbad);
    let keywords = [
        "password=",
        "token:",
        "ghp_",
        "AKIA",
        "eyJ",
        "Bearer ",
        "://user:",
        "-----BEGIN",
        "secret\"=",
        "xoxb-",
        "sk-",
        "AIza",
        "npm_",
        "glpat-",
        "api_key ",
        "Cookie: session=",
        "hvs.",
        "dapi",
    ];
    let mut line = String::with_capacity(len + 256);
    while line.len() < len {
        line.push_str(keywords[rng.below(keywords.len())]);
        let cap = if rng.below(8) == 0 { 4096 } else { 48 };
        let run = 1 + rng.below(cap);
        line.push_str(&rng.string(BASE62, run));
    }
    line.truncate(len);
    line
}
