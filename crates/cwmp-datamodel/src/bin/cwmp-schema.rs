//! `cwmp-schema`: turns Broadband Forum data-model XML into the compact schema the binaries
//! embed, and checks schema files.
//!
//! ```text
//! cwmp-schema compile IN.xml [-o OUT.jsonl] [--model NAME] [--import-dir DIR]...
//! cwmp-schema check FILE            # XML or compact: loads it and prints its counts
//! cwmp-schema builtin               # the counts of the embedded models
//! ```
//!
//! Regenerate the built-in models with `scripts/gen-schemas.sh`.

use std::path::PathBuf;
use std::process::ExitCode;

use cwmp_datamodel::{BuiltinModel, LoadOptions, Schema};

const USAGE: &str = "usage:
  cwmp-schema compile IN.xml [-o OUT.jsonl] [--model NAME] [--import-dir DIR]...
  cwmp-schema check FILE
  cwmp-schema builtin";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cwmp-schema: {e}");
            ExitCode::FAILURE
        }
    }
}

fn summary(s: &Schema) -> String {
    format!(
        "{}: {} objects, {} parameters, {} syntaxes, {} data types",
        s.model_name(),
        s.object_count(),
        s.parameter_count(),
        s.syntax_count(),
        s.data_types().len()
    )
}

fn run(args: &[String]) -> Result<(), String> {
    let Some((cmd, rest)) = args.split_first() else {
        return Err(USAGE.into());
    };
    match cmd.as_str() {
        "compile" => compile(rest),
        "check" => {
            let [file] = rest else {
                return Err(USAGE.into());
            };
            let s = Schema::from_file(file, &LoadOptions::default()).map_err(|e| e.to_string())?;
            println!("{}", summary(&s));
            Ok(())
        }
        "builtin" => {
            for m in BuiltinModel::ALL {
                let s = m.load().map_err(|e| e.to_string())?;
                let text = m.compact().map_err(|e| e.to_string())?;
                println!(
                    "{m} ({}, {} bytes, {} deflated): {}",
                    m.source_file(),
                    text.len(),
                    m.embedded_size(),
                    summary(&s)
                );
            }
            Ok(())
        }
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown command {other:?}\n{USAGE}")),
    }
}

fn compile(args: &[String]) -> Result<(), String> {
    let mut input: Option<PathBuf> = None;
    let mut output: Option<PathBuf> = None;
    let mut options = LoadOptions::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match a.as_str() {
            "-o" | "--output" => output = Some(value("-o")?.into()),
            "--model" => options.model = Some(value("--model")?),
            "--import-dir" => options.import_dirs.push(value("--import-dir")?.into()),
            f if !f.starts_with('-') && input.is_none() => input = Some(f.into()),
            other => return Err(format!("unexpected argument {other:?}\n{USAGE}")),
        }
    }
    let input = input.ok_or_else(|| USAGE.to_string())?;
    let schema = Schema::from_file(&input, &options).map_err(|e| e.to_string())?;
    let text = schema.to_compact();
    match output {
        Some(out) => {
            // Write then rename, so a failed run never leaves half a schema behind.
            let tmp = out.with_extension("jsonl.tmp");
            std::fs::write(&tmp, &text)
                .and_then(|()| std::fs::rename(&tmp, &out))
                .map_err(|e| format!("{}: {e}", out.display()))?;
            eprintln!(
                "{} -> {} ({} bytes)",
                summary(&schema),
                out.display(),
                text.len()
            );
        }
        None => print!("{text}"),
    }
    Ok(())
}
