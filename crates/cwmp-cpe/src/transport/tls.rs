//! TLS to the ACS (TR-069 §3.4.4, "HTTPS"): rustls with the ring provider, the server
//! verified against a CA bundle under the URL's host (a DNS name or an IP address), and an
//! optional client certificate. [`AcsConnector`] speaks plain TCP for `http` URLs and TLS for
//! `https` ones, so a redirect from one to the other within a session just works.

use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::{Connector, Scheme, Target, TransportError};
use crate::config::TlsConfig;

/// The system CA bundle used when no `ca_file` is configured (Debian/Ubuntu/Alpine layout).
pub const SYSTEM_CA_FILE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// Why the TLS settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file could not be read or parsed.
    #[error("reading {path}: {message}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A CA bundle or certificate file holds no usable certificate.
    #[error("{0}: no usable certificate")]
    NoCertificate(PathBuf),
    /// rustls refused the settings (a key not matching its certificate, …).
    #[error("TLS settings: {0}")]
    Rustls(#[from] rustls::Error),
}

/// Opens plain TCP for `http` targets and TLS for `https` ones.
#[derive(Clone)]
pub struct AcsConnector {
    tls: TlsConnector,
}

impl std::fmt::Debug for AcsConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AcsConnector").finish_non_exhaustive()
    }
}

impl AcsConnector {
    /// A connector with the trust and client certificate of `config`; reads the files now.
    pub fn new(config: &TlsConfig) -> Result<AcsConnector, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()?;
        let builder = if config.insecure_skip_verify {
            tracing::warn!(
                "TLS: insecure_skip_verify is ON: the ACS's certificate is NOT verified; \
                 anyone on the path can impersonate the ACS (lab use only)"
            );
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(NoVerification(provider)))
        } else {
            builder.with_root_certificates(roots(config.ca_file.as_deref())?)
        };
        let client = match (&config.client_cert, &config.client_key) {
            (Some(cert), Some(key)) => {
                let chain = certificates(cert)?;
                let key = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsError::Pem {
                    path: key.clone(),
                    message: e.to_string(),
                })?;
                builder.with_client_auth_cert(chain, key)?
            }
            _ => builder.with_no_client_auth(),
        };
        Ok(AcsConnector {
            tls: TlsConnector::from(Arc::new(client)),
        })
    }
}

/// The trust anchors: `ca_file`, else the system bundle if present, else webpki-roots.
fn roots(ca_file: Option<&Path>) -> Result<RootCertStore, TlsError> {
    let mut store = RootCertStore::empty();
    let system = Path::new(SYSTEM_CA_FILE);
    let file = match ca_file {
        Some(f) => Some(f),
        None if system.is_file() => Some(system),
        None => None,
    };
    match file {
        Some(f) => {
            let (added, _ignored) = store.add_parsable_certificates(certificates(f)?);
            if added == 0 {
                return Err(TlsError::NoCertificate(f.to_owned()));
            }
        }
        None => store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    Ok(store)
}

/// Every certificate of a PEM file; at least one.
fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem_error = |e: rustls_pki_types::pem::Error| TlsError::Pem {
        path: path.to_owned(),
        message: e.to_string(),
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(pem_error)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(pem_error)?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate(path.to_owned()));
    }
    Ok(certs)
}

impl Connector for AcsConnector {
    type Stream = TokioIo<AcsStream>;

    async fn connect(&self, target: &Target) -> Result<Self::Stream, TransportError> {
        let tcp = TcpStream::connect((target.host.as_str(), target.port))
            .await
            .map_err(|source| TransportError::Connect {
                target: target.authority(),
                source,
            })?;
        let _ = tcp.set_nodelay(true);
        if target.scheme == Scheme::Http {
            return Ok(TokioIo::new(AcsStream::Plain(tcp)));
        }
        let tls_error = |source: io::Error| TransportError::Tls {
            url: target.to_string(),
            source,
        };
        let name = ServerName::try_from(target.host.clone())
            .map_err(|e| tls_error(io::Error::new(io::ErrorKind::InvalidInput, e)))?;
        let stream = self.tls.connect(name, tcp).await.map_err(tls_error)?;
        Ok(TokioIo::new(AcsStream::Tls(Box::new(stream))))
    }
}

/// A connection to the ACS: plain TCP or TLS over TCP.
#[derive(Debug)]
pub enum AcsStream {
    /// `http`.
    Plain(TcpStream),
    /// `https`.
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for AcsStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            AcsStream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            AcsStream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for AcsStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            AcsStream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            AcsStream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            AcsStream::Plain(s) => Pin::new(s).poll_flush(cx),
            AcsStream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            AcsStream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            AcsStream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// `insecure_skip_verify`: any certificate chain is accepted, but the handshake signatures
/// are still checked (so the peer at least holds the key of the certificate it sent).
#[derive(Debug)]
struct NoVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_empty_files_are_clear_errors() {
        let dir = tempfile::tempdir().expect("tmp");
        let missing = TlsConfig {
            ca_file: Some(dir.path().join("nope.pem")),
            ..TlsConfig::default()
        };
        let err = AcsConnector::new(&missing).expect_err("missing CA file");
        assert!(err.to_string().contains("nope.pem"), "{err}");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").expect("write");
        let err = AcsConnector::new(&TlsConfig {
            ca_file: Some(empty),
            ..TlsConfig::default()
        })
        .expect_err("no certificate");
        assert!(matches!(err, TlsError::NoCertificate(_)), "{err}");
    }

    #[test]
    fn default_trust_loads() {
        AcsConnector::new(&TlsConfig::default()).expect("system bundle or webpki roots");
    }
}
