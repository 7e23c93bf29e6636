use criterion::{criterion_group, criterion_main, Criterion};
use tokenward::Redactor;

fn clean_line(c: &mut Criterion) {
    let redactor = Redactor::new();
    let line = "10.1.2.3 - - [19/Mar/2024:10:02:15 +0000] \"GET /static/js/app.js HTTP/1.1\" 200 26412 \"-\" \"Go-http-client/2.0\"";
    c.bench_function("clean_line_150b", |b| {
        b.iter(|| redactor.redact(std::hint::black_box(line)).len())
    });
}

criterion_group!(benches, clean_line);
criterion_main!(benches);
