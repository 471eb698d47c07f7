//! Any operator input: a command line (arguments separated by NUL bytes) through the clap
//! grammar of `cwmp-cpe` into the control request it sends, and any line on the control
//! socket as the daemon reads it. Nothing panics; a request the CLI builds survives the
//! socket's JSON encoding.
#![no_main]

use clap::Parser as _;
use cwmp_cpe::cli::{Cli, Command, ConfigCommand};
use cwmp_cpe::control::Request;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The daemon's side of the control socket: one JSON line.
    let _ = serde_json::from_slice::<Request>(data);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let args = std::iter::once("cwmp-cpe").chain(text.split('\0').take(32));
    let Ok(cli) = Cli::try_parse_from(args) else {
        return;
    };
    let request = match cli.command {
        Command::Client(c) => c.request().0,
        Command::Config {
            command: ConfigCommand::Set(set),
        } => set.request().0,
        Command::Run { .. } | Command::Config { .. } => return,
    };
    let line = serde_json::to_vec(&request).expect("a request encodes");
    let back: Request = serde_json::from_slice(&line).expect("and decodes");
    assert_eq!(back, request);
});
