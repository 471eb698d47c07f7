//! `cwmp-acs`: the TR-069 auto-configuration server. With no arguments it runs on the
//! embedded SQLite store in `./data` with the CWMP endpoint on port 7547.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use cwmp_acs::api::{self, ApiExtras, ApiState, ApiTokens};
use cwmp_acs::config::Config;
use cwmp_acs::cpe_auth::{CpeAuth, CpeAuthMode};
use cwmp_acs::events::EventBus;
use cwmp_acs::files::{FileService, FileSettings};
use cwmp_acs::http::{CwmpEndpoint, EndpointConfig, EndpointParts};
use cwmp_acs::metrics::Metrics;
use cwmp_acs::store::{PgConfig, PgStore, SqliteConfig, SqliteStore, Store, is_postgres_url};

#[derive(Parser)]
#[command(
    name = "cwmp-acs",
    version,
    about = "TR-069 (CWMP) auto-configuration server"
)]
struct Cli {
    /// Configuration file (TOML); every key can also be set by `CWMP_ACS_<KEY>`.
    #[arg(long, short, env = "CWMP_ACS_CONFIG", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Run,
    /// Copies a whole SQLite store into a PostgreSQL database, resumably: a run that stops
    /// is continued by the next one. Stop the ACS using the source first.
    Migrate {
        /// The source: `sqlite:DIR` (the data directory holding acs.sqlite3).
        #[arg(long)]
        from: String,
        /// The target: `postgres://…`.
        #[arg(long)]
        to: String,
        /// Rows per batch (one transaction each).
        #[arg(long, default_value_t = 1000)]
        batch_rows: usize,
    },
    /// Configuration commands.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print the effective configuration (defaults, file, environment) as TOML.
    Show,
}

/// mimalloc rather than the system allocator: a session allocates and frees many small
/// buffers across threads, where glibc's malloc took 14 % (ACS) to 19 % (simulator) of the CPU
/// (docs/BENCHMARKS.md, round 3).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::load(cli.config.as_deref())?;
    match cli.command {
        Some(Command::Config {
            command: ConfigCommand::Show,
        }) => {
            print!("{}", config.to_toml());
            Ok(())
        }
        Some(Command::Migrate {
            from,
            to,
            batch_rows,
        }) => {
            init_tracing();
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("starting the runtime")?
                .block_on(migrate(&from, &to, batch_rows))
        }
        None | Some(Command::Run) => {
            init_tracing();
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("starting the runtime")?
                .block_on(run(config))
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only on a terminal, so that log files stay plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .init();
}

/// `cwmp-acs migrate`.
async fn migrate(from: &str, to: &str, batch_rows: usize) -> anyhow::Result<()> {
    let Some(dir) = from.strip_prefix("sqlite:") else {
        anyhow::bail!("--from {from:?}: expected sqlite:DIR");
    };
    if !is_postgres_url(to) {
        anyhow::bail!("--to: expected postgres://…");
    }
    let shown = cwmp_acs::config::redact_url_password(to);
    let options = cwmp_acs::store::migrate::MigrateOptions {
        batch_rows,
        max_batches: None,
    };
    let report =
        cwmp_acs::store::migrate::sqlite_to_postgres(std::path::Path::new(dir), to, &options)
            .await
            .with_context(|| format!("copying {dir} to {shown} (run again to continue)"))?;
    for (table, rows) in &report.rows {
        println!("{table}: {rows} rows");
    }
    println!("done: {} batches, the store is in {shown}", report.batches);
    Ok(())
}

/// The store `config.store_url` names: PostgreSQL for a `postgres://` URL, else the
/// embedded SQLite store in `data_dir`.
async fn open_store(config: &Config) -> anyhow::Result<(Arc<dyn Store>, Option<Arc<PgStore>>)> {
    let shown = cwmp_acs::config::redact_url_password(&config.store_url);
    if is_postgres_url(&config.store_url) {
        let store = PgStore::open(PgConfig {
            max_connections: usize::try_from(config.store_max_connections).unwrap_or(16),
            ..PgConfig::new(&config.store_url)
        })
        .await
        .with_context(|| format!("opening the PostgreSQL store {shown}"))?;
        tracing::info!(url = %shown, "device store open (PostgreSQL)");
        let store = Arc::new(store);
        return Ok((Arc::clone(&store) as Arc<dyn Store>, Some(store)));
    }
    if !config.store_url.is_empty() {
        anyhow::bail!("store_url {shown:?}: expected empty (SQLite in data_dir) or postgres://…");
    }
    let store = SqliteStore::open(SqliteConfig {
        write_cache_mib: config.store_cache_mib,
        ..SqliteConfig::new(&config.data_dir)
    })
    .await
    .with_context(|| format!("opening the store in {}", config.data_dir.display()))?;
    tracing::info!(path = %store.path().display(), "device store open");
    Ok((Arc::new(store), None))
}

async fn run(mut config: Config) -> anyhow::Result<()> {
    let (store, cluster_store) = open_store(&config).await?;
    // None of this node's previous sessions survived its restart: free their devices now.
    let released = store
        .release_node_leases(&config.node_name)
        .await
        .context("releasing the session leases of this node's previous run")?;
    if released > 0 {
        tracing::info!(node = %config.node_name, released, "session leases of the previous run released");
    }
    let tls = cwmp_acs::http::tls::cwmp_acceptor(&config).context("loading the CWMP TLS files")?;
    let listener = cwmp_acs::http::accept::bind(config.cwmp_listen)
        .await
        .with_context(|| format!("binding the CWMP endpoint to {}", config.cwmp_listen))?;
    let settings = config
        .cpe_auth
        .resolve()
        .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
    let cpe_auth = Arc::new(CpeAuth::new(settings).context("no randomness for Digest nonces")?);
    if cpe_auth.mode() == CpeAuthMode::Open {
        tracing::warn!(
            "CPE AUTHENTICATION IS OFF (cpe_auth mode \"open\"): any client can open CWMP \
             sessions and create devices; configure [cpe_auth] before exposing this server"
        );
    } else {
        tracing::info!(
            mode = cpe_auth.mode().as_str(),
            realm = cpe_auth.realm(),
            "CPE authentication on"
        );
    }
    let events = EventBus::default();
    // On a shared PostgreSQL store, events cross nodes (SSE, task waits).
    if let Some(pg) = cluster_store {
        cwmp_acs::cluster::relay_events(pg, &events, &config.node_name);
    }
    let metrics = Arc::new(Metrics::default());
    metrics.set_cpe_auth_open(cpe_auth.mode() == CpeAuthMode::Open);
    tracing::info!(
        addr = %listener.local_addr().unwrap_or(config.cwmp_listen),
        max_sessions = config.max_sessions,
        session_timeout_s = config.session_timeout_secs,
        tls = tls.is_some(),
        "CWMP endpoint listening"
    );
    let file_tls =
        cwmp_acs::http::tls::file_acceptor(&config).context("loading the file server TLS files")?;
    let file_listener = cwmp_acs::http::accept::bind(config.file_listen)
        .await
        .with_context(|| format!("binding the file server to {}", config.file_listen))?;
    let file_addr = file_listener.local_addr().unwrap_or(config.file_listen);
    if config.file_base_url.is_empty() && !file_addr.ip().is_unspecified() {
        // The bound address (port 0 included) is where CPEs reach a loopback or single-homed server.
        let scheme = if file_tls.is_some() { "https" } else { "http" };
        config.file_base_url = format!("{scheme}://{file_addr}");
    }
    let mut file_settings = FileSettings::from_config(&config);
    file_settings.port = file_addr.port();
    let files = Arc::new(
        FileService::open(&config.data_dir, Arc::clone(&store), file_settings).with_context(
            || format!("opening the file storage in {}", config.data_dir.display()),
        )?,
    );
    if config.file_base_url.is_empty() {
        tracing::info!(
            port = file_addr.port(),
            "file_base_url is not set: file URLs name the host each CPE reached the ACS at"
        );
    }
    tracing::info!(
        addr = %file_addr,
        base_url = config.file_base_url,
        tls = file_tls.is_some(),
        "file server listening (signed URLs only)"
    );
    let (file_stop, file_stopped) = tokio::sync::oneshot::channel::<()>();
    let file_task = tokio::spawn(cwmp_acs::files::server::serve(
        file_listener,
        cwmp_acs::files::server::router(Arc::clone(&files)),
        file_tls,
        files.settings().idle_timeout,
        async {
            let _ = file_stopped.await;
        },
    ));
    let expiry_task = tokio::spawn(expire_transfers_every(
        Arc::clone(&store),
        events.clone(),
        TRANSFER_SWEEP_INTERVAL,
    ));
    let (tokens, new_token) = ApiTokens::load_or_init(&config.data_dir)
        .with_context(|| format!("loading the API tokens in {}", config.data_dir.display()))?;
    if let Some(token) = new_token {
        // Printed once, on stdout only: just its SHA-256 is stored.
        println!(
            "Generated the admin API token (shown only now; its hash is in {}):\n{token}",
            config
                .data_dir
                .join(cwmp_acs::api::auth::TOKENS_FILE)
                .display()
        );
    }
    let api_listener = cwmp_acs::http::accept::bind(config.api_listen)
        .await
        .with_context(|| format!("binding the API to {}", config.api_listen))?;
    let api_addr = api_listener.local_addr().unwrap_or(config.api_listen);
    if !api_addr.ip().is_loopback() {
        tracing::warn!(addr = %api_addr, "the northbound API listens beyond loopback");
    }
    tracing::info!(addr = %api_addr, metrics_public = config.metrics_public, "northbound API listening (bearer token required)");
    let api = api::router_with(
        ApiState {
            store: Arc::clone(&store),
            connection_request_timeout: cwmp_acs::conn_request::DEFAULT_TIMEOUT,
            cpe_auth: Arc::clone(&cpe_auth),
        },
        tokens,
        ApiExtras {
            events: events.clone(),
            metrics: Arc::clone(&metrics),
            metrics_public: config.metrics_public,
            files: Some(Arc::clone(&files)),
            ..ApiExtras::default()
        },
    );
    let (api_stop, api_stopped) = tokio::sync::oneshot::channel::<()>();
    let api_task = tokio::spawn(api::serve(api_listener, api, async {
        let _ = api_stopped.await;
    }));
    let endpoint = CwmpEndpoint::with_parts(
        Arc::clone(&store),
        EndpointConfig::from_config(&config),
        EndpointParts {
            auth: cpe_auth,
            events,
            metrics,
            files: Some(files),
        },
    );
    let shutdown = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    match tls {
        Some(tls) => endpoint.clone().serve_tls(listener, tls, shutdown).await,
        None => endpoint.clone().serve(listener, shutdown).await,
    }
    tracing::info!("shutting down");
    let _ = api_stop.send(());
    let _ = api_task.await;
    let _ = file_stop.send(());
    let _ = file_task.await;
    expiry_task.abort();
    endpoint.close_all("shutdown").await;
    store.close().await;
    Ok(())
}

/// How often transfers never reported are looked for.
const TRANSFER_SWEEP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(30);

/// Faults overdue transfers every `interval`, forever.
async fn expire_transfers_every(
    store: Arc<dyn Store>,
    events: EventBus,
    interval: std::time::Duration,
) {
    let mut tick = tokio::time::interval(interval);
    loop {
        tick.tick().await;
        let now = cwmp_acs::store::Timestamp::now();
        if let Err(e) = cwmp_acs::session::expire_transfers(&store, &events, now).await {
            tracing::error!(error = %e, "cannot expire overdue transfers");
        }
    }
}
