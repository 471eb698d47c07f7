//! Parses a message file many times, for profiling: `parse_loop FILE [ITERATIONS]`.

use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: parse_loop FILE [ITERATIONS]");
    let iterations: usize = args.next().map_or(200, |n| n.parse().expect("a number"));
    let bytes = std::fs::read(&path).expect("readable file");
    let text = cwmp::charset::decode(&bytes, None).expect("decodable file");
    let start = Instant::now();
    for _ in 0..iterations {
        std::hint::black_box(cwmp::Envelope::parse(&text).expect("parses"));
    }
    let secs = start.elapsed().as_secs_f64();
    let mb = (text.len() * iterations) as f64 / 1e6;
    println!(
        "{:.1} MB/s ({} bytes x {iterations})",
        mb / secs,
        text.len()
    );
}
