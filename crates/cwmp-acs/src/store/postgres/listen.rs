//! LISTEN/NOTIFY: change notices between the nodes sharing the database.
//!
//! A listener holds one connection of its own (not a pooled one: a pooled connection is
//! handed to other calls), runs `LISTEN` on its channels and forwards what arrives. When
//! the connection breaks (the server restarted, the primary failed over) it reconnects
//! with a growing pause and says so ([`Notice::Reconnected`]): notices sent while it was
//! away are lost, so a receiver treats that as "anything may have changed".

use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_postgres::{AsyncMessage, NoTls};

/// What a listener forwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A notification on one of the channels.
    Message {
        /// The channel.
        channel: String,
        /// Its payload.
        payload: String,
    },
    /// The listener (re)connected and listens again; anything sent meanwhile was missed.
    Reconnected,
}

/// Longest pause between two connection attempts.
const MAX_PAUSE: Duration = Duration::from_secs(5);

/// Spawns a listener on `channels` sending into `tx` (notices that find `tx` full are
/// dropped with a warning: a notice is a hint, the data is in the tables). It stops
/// when `tx` is closed or the handle is aborted.
pub(crate) fn spawn(
    config: tokio_postgres::Config,
    channels: Vec<String>,
    tx: mpsc::Sender<Notice>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut pause = Duration::from_millis(100);
        while !tx.is_closed() {
            match listen_once(&config, &channels, &tx).await {
                Ok(()) => pause = Duration::from_millis(100),
                Err(e) => tracing::warn!(error = %e, ?channels, "store listener disconnected"),
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(MAX_PAUSE);
        }
    })
}

/// One connection's life: listen, forward, return when it ends.
async fn listen_once(
    config: &tokio_postgres::Config,
    channels: &[String],
    tx: &mpsc::Sender<Notice>,
) -> Result<(), tokio_postgres::Error> {
    let (client, mut conn) = config.connect(NoTls).await?;
    let (msg_tx, mut msg_rx) = mpsc::unbounded_channel();
    // The connection is driven here; its notifications go to `msg_rx`.
    let driver = tokio::spawn(async move {
        let mut messages = stream::poll_fn(move |cx| conn.poll_message(cx));
        while let Some(m) = messages.next().await {
            match m {
                Ok(AsyncMessage::Notification(n)) => {
                    let _ = msg_tx.send(Ok(n));
                }
                Ok(_) => {}
                Err(e) => {
                    let _ = msg_tx.send(Err(e));
                    return;
                }
            }
        }
    });
    let sql: String = channels
        .iter()
        .map(|c| format!("LISTEN \"{}\";", c.replace('"', "")))
        .collect();
    let listening = client.batch_execute(&sql).await;
    if let Err(e) = listening {
        driver.abort();
        return Err(e);
    }
    if tx.send(Notice::Reconnected).await.is_err() {
        driver.abort();
        return Ok(());
    }
    let result = loop {
        match msg_rx.recv().await {
            Some(Ok(n)) => {
                let notice = Notice::Message {
                    channel: n.channel().to_owned(),
                    payload: n.payload().to_owned(),
                };
                match tx.try_send(notice) {
                    Ok(()) => {}
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        tracing::warn!(
                            "store notices arrive faster than they are read: one dropped"
                        );
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => break Ok(()),
                }
            }
            Some(Err(e)) => break Err(e),
            // The connection ended without an error (server shut down).
            None => break Ok(()),
        }
    };
    driver.abort();
    drop(client);
    result
}
