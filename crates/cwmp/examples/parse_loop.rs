//! Parses (or, with `--write`, writes) a message file many times, for profiling:
//! `parse_loop [--write] FILE [ITERATIONS]`.

use std::time::Instant;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let write = args.first().is_some_and(|a| a == "--write");
    if write {
        args.remove(0);
    }
    let path = args
        .first()
        .expect("usage: parse_loop [--write] FILE [ITERATIONS]");
    let iterations: usize = args.get(1).map_or(200, |n| n.parse().expect("a number"));
    let bytes = std::fs::read(path).expect("readable file");
    let text = cwmp::charset::decode(&bytes, None).expect("decodable file");
    let envelope = cwmp::Envelope::parse(&text).expect("parses");
    let start = Instant::now();
    for _ in 0..iterations {
        if write {
            std::hint::black_box(envelope.to_xml().expect("writes"));
        } else {
            std::hint::black_box(cwmp::Envelope::parse(&text).expect("parses"));
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let mb = (text.len() * iterations) as f64 / 1e6;
    let what = if write { "written" } else { "parsed" };
    println!(
        "{:.1} MB/s {what} ({} bytes x {iterations})",
        mb / secs,
        text.len()
    );
}
