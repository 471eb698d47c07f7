//! `8 DIAGNOSTICS COMPLETE` (TR-069 §A.3.3.1, TR-143): a diagnostic the ACS requested (a
//! `DiagnosticsState` set to `Requested`) has finished on the CPE. The session reads its
//! results back: each such object is refreshed by a task of its own, queued first, so that
//! the results are on the device (and the waiting API call sees them) when the session ends.

use super::Session;
use crate::session::types::SessionError;
use crate::store::{DeviceId, NewTask};
use crate::task::{Refresh, TaskSpec, requested_diagnostic};

/// Most diagnostics objects read back in one session.
const MAX_READ_BACK: usize = 16;

impl Session {
    /// Queues a refresh of every diagnostics object the ACS requested, ahead of the due
    /// tasks.
    pub(super) async fn read_back_diagnostics(
        &mut self,
        device: &DeviceId,
    ) -> Result<(), SessionError> {
        let params = self.store.get_parameters(device, "").await?;
        let objects: Vec<&str> = params
            .iter()
            .filter_map(|p| requested_diagnostic(&p.path, &p.value.as_ref()?.as_text()))
            .take(MAX_READ_BACK)
            .collect();
        for object in objects.into_iter().rev() {
            let task = self
                .store
                .create_task(NewTask {
                    device: device.clone(),
                    spec: TaskSpec::RefreshObject(Refresh {
                        object_name: object.to_owned(),
                    }),
                    expiry: None,
                })
                .await?;
            tracing::debug!(%device, object, task = task.id, "reading diagnostics results");
            self.queue.push_front(task);
        }
        Ok(())
    }
}
