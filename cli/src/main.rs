//! `tokenward`: the command line.

use std::io::{self, BufRead, Write};
use std::process::ExitCode;

use tokenward::Redactor;

fn main() -> ExitCode {
    let redactor = Redactor::new();
    let stdin = io::stdin();
    let mut input = stdin.lock();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut line = Vec::new();
    loop {
        line.clear();
        match input.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {
                if out.write_all(&redactor.redact_bytes(&line)).is_err() {
                    return ExitCode::from(2);
                }
            }
            Err(e) => {
                eprintln!("tokenward: reading stdin: {e}");
                return ExitCode::from(2);
            }
        }
    }
    if out.flush().is_err() {
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}
