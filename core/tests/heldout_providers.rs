//! Held-out checks for the provider catalogue: `data/heldout_providers.txt` holds lines written
//! apart from the rules (other contexts, other values) and never tuned on. The recall and the
//! clean lines changed are printed (`cargo test --test heldout_providers -- --nocapture`).

use tokenward::Redactor;

const CASES: &str = include_str!("data/heldout_providers.txt");

/// Whether some run of 8 characters of `secret` survives in `out` (runs that occur in the
/// line apart from the secret, such as a shared `https://`, do not count).
fn leaks(line: &str, secret: &str, out: &str) -> bool {
    let rest = line.replacen(secret, "", 1);
    let chars: Vec<char> = secret.chars().collect();
    chars.windows(8).any(|w| {
        let run: String = w.iter().collect();
        out.contains(&run) && !rest.contains(&run)
    })
}

#[test]
fn held_out_provider_lines() {
    let redactor = Redactor::new();
    let (mut secrets, mut caught, mut clean, mut changed) = (0, 0, 0, 0);
    let mut missed = Vec::new();
    for case in CASES
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (line, secret) = case.split_once('\t').expect("text TAB secret");
        let out = redactor.redact(line);
        if secret.is_empty() {
            clean += 1;
            if out != line {
                changed += 1;
                missed.push(format!("changed: {line}"));
            }
        } else {
            assert!(line.contains(secret), "bad case: {case}");
            secrets += 1;
            if leaks(line, secret, &out) {
                missed.push(format!("missed: {line}"));
            } else {
                caught += 1;
            }
        }
    }
    let recall = caught as f64 / secrets as f64;
    println!("held-out providers: recall {recall:.4} ({caught}/{secrets}), clean lines changed {changed}/{clean}");
    for m in &missed {
        println!("  {m}");
    }
    assert!(secrets >= 100 && clean >= 20);
    assert!(recall >= 0.95, "recall {recall:.4}");
    assert_eq!(changed, 0, "clean lines changed");
}
