//! Every real message in `../shared/ref/samples` parses into the message type its MANIFEST
//! names; the ones marked malformed give a clean error. Skips when the folder is absent.

use std::path::PathBuf;

use cwmp::Limits;
use cwmp_msg::read_capture;

fn samples_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/ref/samples"
    ));
    dir.join("MANIFEST.tsv").is_file().then_some(dir)
}

#[test]
fn corpus_parses_as_the_manifest_says() {
    let Some(dir) = samples_dir() else {
        eprintln!("skipped: ../shared/ref/samples not found");
        return;
    };
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv")).unwrap();
    let mut checked = 0;
    let mut failures = Vec::new();
    for line in manifest.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (file, message, wellformed) = (cols[0], cols[1], cols[3]);
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let result = read_capture(&bytes, &Limits::default());
        checked += 1;
        match (wellformed, result) {
            ("NO", Err(e)) => {
                let text = e.to_string();
                assert!(!text.is_empty() && !text.contains('\n'), "{file}: {text}");
            }
            ("NO", Ok(m)) => failures.push(format!("{file}: malformed but parsed as {m:?}")),
            (_, Ok(Some(envelope))) if envelope.body.name() == message => {
                if let Err(e) = envelope.validate() {
                    // Real devices break write-side limits (e.g. lowercase OUI); that is a
                    // refusal to write, not a parse failure, but must be a clean error.
                    assert!(!e.to_string().is_empty());
                }
            }
            (_, Ok(Some(envelope))) => failures.push(format!(
                "{file}: expected {message}, got {}",
                envelope.body.name()
            )),
            (_, Ok(None)) => failures.push(format!("{file}: expected {message}, got empty")),
            (_, Err(e)) => failures.push(format!("{file}: expected {message}: {e:#}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 50, "only {checked} samples");
}
