//! `cwmp-sim`: the fleet simulator's command line.

use std::process::ExitCode;

use clap::Parser as _;
use cwmp_sim::Simulator;
use cwmp_sim::cli::{Cli, Command, RunArgs};

/// mimalloc rather than the system allocator: a session allocates and frees many small
/// buffers across threads, where glibc's malloc took 14 % (ACS) to 19 % (simulator) of the CPU
/// (docs/BENCHMARKS.md, round 3).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let Command::Run(args) = Cli::parse().command;
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cwmp-sim: starting the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cwmp-sim: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: &RunArgs) -> anyhow::Result<()> {
    let config = args.to_config().map_err(anyhow::Error::msg)?;
    let devices = config.devices;
    let sim = Simulator::prepare(config).await?;
    if args.dry_run {
        let me = cwmp_sim::proc_self::ProcSelf::read();
        println!(
            "{devices} devices built: {} bytes/device (RSS growth), RSS {:.1} MiB",
            sim.fleet_bytes_per_device(),
            me.rss_bytes as f64 / 1048576.0
        );
        return Ok(());
    }
    let stopper = sim.stopper();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            stopper.stop();
        }
    });
    let report = sim.run().await?;
    print!("{}", report.table());
    if let Some(path) = &args.report {
        let json = serde_json::to_vec_pretty(&report)?;
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, json)?;
        std::fs::rename(&tmp, path)?;
    }
    Ok(())
}
