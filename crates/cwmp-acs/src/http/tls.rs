//! TLS for the CWMP endpoint (TR-069 §3.4.4): the server certificate chain and key from PEM
//! files, rustls with the ring provider. The handshake itself runs in each connection's task
//! ([`CwmpEndpoint::serve_tls`](super::CwmpEndpoint::serve_tls)).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

use crate::config::Config;

/// Why the TLS settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// Only one of the certificate and key files (`cwmp_tls_*`, `file_tls_*`) is set.
    #[error("a TLS certificate file and its key file must be set together")]
    Incomplete,
    /// A PEM file could not be read or holds nothing usable.
    #[error("reading {path}: {message}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// rustls refused the pair (the key does not match the certificate, …).
    #[error("TLS settings: {0}")]
    Rustls(#[from] rustls::Error),
}

/// The acceptor of the CWMP endpoint when `cwmp_tls_cert_file` and `cwmp_tls_key_file` are
/// set, `None` when neither is.
pub fn cwmp_acceptor(config: &Config) -> Result<Option<TlsAcceptor>, TlsError> {
    match (&config.cwmp_tls_cert_file, &config.cwmp_tls_key_file) {
        (None, None) => Ok(None),
        (Some(cert), Some(key)) => Ok(Some(acceptor(cert, key)?)),
        _ => Err(TlsError::Incomplete),
    }
}

/// The acceptor of the file server when `file_tls_cert_file` and `file_tls_key_file` are
/// set, `None` when neither is.
pub fn file_acceptor(config: &Config) -> Result<Option<TlsAcceptor>, TlsError> {
    match (&config.file_tls_cert_file, &config.file_tls_key_file) {
        (None, None) => Ok(None),
        (Some(cert), Some(key)) => Ok(Some(acceptor(cert, key)?)),
        _ => Err(TlsError::Incomplete),
    }
}

/// A TLS acceptor serving the certificate chain of `cert_file` with the key of `key_file`.
pub fn acceptor(cert_file: &Path, key_file: &Path) -> Result<TlsAcceptor, TlsError> {
    let pem_error = |path: &Path, message: String| TlsError::Pem {
        path: path.to_owned(),
        message,
    };
    let chain = CertificateDer::pem_file_iter(cert_file)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|e| pem_error(cert_file, e.to_string()))?;
    if chain.is_empty() {
        return Err(pem_error(cert_file, "no certificate".into()));
    }
    let key =
        PrivateKeyDer::from_pem_file(key_file).map_err(|e| pem_error(key_file, e.to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incomplete_or_missing_files_are_errors() {
        let mut config = Config::default();
        assert!(cwmp_acceptor(&config).expect("plain").is_none());
        config.cwmp_tls_cert_file = Some("/nonexistent/cert.pem".into());
        assert!(matches!(cwmp_acceptor(&config), Err(TlsError::Incomplete)));
        config.cwmp_tls_key_file = Some("/nonexistent/key.pem".into());
        let Err(err) = cwmp_acceptor(&config) else {
            panic!("missing files must be an error");
        };
        assert!(err.to_string().contains("/nonexistent/cert.pem"), "{err}");
    }
}
