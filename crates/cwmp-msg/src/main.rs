//! `cwmp-msg`: decode CWMP captures (SOAP bodies or raw HTTP) to JSON, encode JSON to XML.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use cwmp::{CwmpVersion, Envelope, Limits};
use cwmp_msg::read_capture;

#[derive(Parser)]
#[command(version, about = "Inspect and write CWMP (TR-069) messages")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print a message as JSON. FILE holds a SOAP body or a raw HTTP request/response
    /// (chunked and gzip included); `-` reads standard input.
    Decode { file: PathBuf },
    /// Write the XML of a message given as JSON (the form `decode` prints).
    Encode {
        /// CWMP version whose namespace and schema rules apply.
        #[arg(long, value_parser = parse_version)]
        version: Option<CwmpVersion>,
        file: PathBuf,
    },
}

fn parse_version(s: &str) -> Result<CwmpVersion, String> {
    s.parse().map_err(|e| format!("{e}"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Decode { file } => decode(&file),
        Command::Encode { version, file } => encode(version, &file),
    };
    match result {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cwmp-msg: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn read(file: &PathBuf) -> anyhow::Result<Vec<u8>> {
    if file.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)?;
        return Ok(buf);
    }
    std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))
}

fn decode(file: &PathBuf) -> anyhow::Result<String> {
    let input = read(file)?;
    // `null` stands for the empty message that ends a session.
    let envelope = read_capture(&input, &Limits::default())?;
    if let Some(Err(e)) = envelope.as_ref().map(Envelope::validate) {
        // Accepted as real devices send it, but worth knowing.
        eprintln!("cwmp-msg: note: the message breaks the CWMP schema: {e}");
    }
    Ok(serde_json::to_string_pretty(&envelope)?)
}

fn encode(version: Option<CwmpVersion>, file: &PathBuf) -> anyhow::Result<String> {
    let input = read(file)?;
    let mut envelope: Envelope = serde_json::from_slice(&input).context("bad message JSON")?;
    if let Some(version) = version {
        envelope.version = version;
    }
    Ok(envelope.to_xml()?)
}
