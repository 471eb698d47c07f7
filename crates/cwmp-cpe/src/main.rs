//! `cwmp-cpe`: the TR-069 device agent daemon.
//!
//! `cwmp-cpe run --config FILE` starts the daemon; `cwmp-cpe config check --config FILE`
//! validates the config and prints the effective settings (passwords masked). The other
//! commands ([`cwmp_cpe::cli`]) talk to the running daemon over its control socket.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser as _;
use cwmp_cpe::agent::Agent;
use cwmp_cpe::cli::{Cli, Command, ConfigCommand};
use cwmp_cpe::config::Config;
use cwmp_cpe::conn_request::{
    Algorithm, ConnRequestServer, DigestAuth, DigestConfig, RateLimiter, ServerConfig,
};
use cwmp_cpe::control::ControlServer;
use cwmp_cpe::handlers::HandlerBackend;
use cwmp_cpe::{Clock, SystemClock};
use cwmp_datamodel::schema::LoadOptions;
use cwmp_datamodel::{Model, ModelOptions, Profile, Schema};
use rand::SeedableRng;
use rand::rngs::StdRng;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Config {
            command: ConfigCommand::Check { config },
        } => {
            let c = Config::from_file(&config)?;
            print!("{}", c.to_masked_toml());
            Ok(ExitCode::SUCCESS)
        }
        Command::Config {
            command: ConfigCommand::Set(set),
        } => Ok(cwmp_cpe::cli::run(set.request())),
        Command::Client(command) => Ok(cwmp_cpe::cli::run(command.request())),
        Command::Run { config } => {
            tracing_subscriber::fmt()
                // Colours only on a terminal, so that log files stay plain text.
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
                .finish()
                .with(log_filter())
                .init();
            let config = Config::from_file(&config)?;
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?
                .block_on(run(config))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `RUST_LOG` as `level` and `target=level` directives, `info` when unset or invalid. A
/// [`Targets`] filter rather than `EnvFilter`, whose regex support would grow the device build.
fn log_filter() -> Targets {
    let parsed = std::env::var("RUST_LOG").ok().and_then(|s| {
        s.parse::<Targets>()
            .map_err(|e| eprintln!("cwmp-cpe: RUST_LOG {s:?} ignored: {e}"))
            .ok()
    });
    parsed.unwrap_or_else(|| Targets::new().with_default(tracing::Level::INFO))
}

async fn run(config: Config) -> anyhow::Result<()> {
    let schema = match &config.data_model.file {
        Some(file) => Schema::from_file(file, &LoadOptions::default())
            .with_context(|| format!("loading {}", file.display()))?,
        None => {
            let builtin = config.data_model.builtin();
            builtin
                .load()
                .with_context(|| format!("loading the built-in {builtin} data model"))?
        }
    };
    tracing::info!(model = schema.model_name(), "data model");
    let profile = match config.data_model.profile.as_str() {
        "tr098-gateway" => Profile::tr098_gateway(),
        _ => Profile::tr181_gateway(),
    }?;
    let model = Arc::new(Model::new(
        Arc::new(schema),
        &profile,
        ModelOptions::default(),
    )?);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock::new());
    let listen: std::net::IpAddr = config.cpe.listen.parse()?;
    let mut agent = Agent::open(
        config.clone(),
        model,
        Box::new(HandlerBackend::from_config(&config.handlers, config.root())),
        clock.clone(),
    )?;
    let ms = |n: &str| {
        agent
            .tree()
            .stored_value(&format!("{}ManagementServer.{n}", config.root()))
            .map(|v| v.as_text().into_owned())
            .unwrap_or_default()
    };
    // The operator's `config cpe-url` (persisted) may have moved the listener.
    let cpe = agent.config().cpe.clone();
    let digest = DigestConfig {
        username: ms("ConnectionRequestUsername"),
        password: ms("ConnectionRequestPassword"),
        algorithms: cpe.digest_algorithms.clone(),
        ..DigestConfig::default()
    };
    if cpe.digest_algorithms.last() != Some(&Algorithm::Md5) {
        tracing::warn!(
            "cpe.digest_algorithms does not end with MD5: an ACS that answers the last \
             challenge with MD5 (GenieACS) will be refused"
        );
    }
    let (cr_tx, cr_rx) = tokio::sync::mpsc::channel(1);
    let udp_cr_tx = cr_tx.clone();
    let server = ConnRequestServer::bind(
        ServerConfig {
            addr: SocketAddr::new(listen, cpe.port),
            path: cpe.path,
            ..ServerConfig::default()
        },
        DigestAuth::new(digest, StdRng::from_os_rng()),
        RateLimiter::new(3, Duration::from_secs(10), clock.monotonic()),
        clock.clone(),
        cr_tx,
    )
    .await
    .context("binding the Connection Request listener")?;
    tracing::info!(addr = %server.local_addr(), "connection requests");
    agent.attach_cr_credentials(server.credentials());
    let (control_tx, control_rx) = tokio::sync::mpsc::channel(8);
    let (local_tx, local_rx) = tokio::sync::mpsc::channel(8);
    let udp = cwmp_cpe::conn_request::udp_service::spawn_udp(
        agent.config(),
        agent.tree(),
        clock.clone(),
        udp_cr_tx,
        local_tx,
    )
    .await
    .context("binding the UDP Connection Request socket")?;
    agent.attach_udp(udp.handle());
    let socket = config.control_socket();
    let control = ControlServer::bind(&socket, control_tx)
        .await
        .with_context(|| format!("binding the control socket {}", socket.display()))?;
    tracing::info!(socket = %socket.display(), "control socket");
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        r = agent.run(cr_rx, control_rx, local_rx) => r?,
        r = tokio::signal::ctrl_c() => {
            r?;
            tracing::info!("stopping (interrupt)");
        }
        _ = terminate.recv() => tracing::info!("stopping (SIGTERM)"),
    }
    drop(control);
    agent.save()?;
    if agent.restart_requested() {
        let status = cwmp_cpe::config::REBOOT_EXIT_STATUS;
        tracing::warn!("exiting with status {status} to be restarted (reboot)");
        std::process::exit(status);
    }
    Ok(())
}
