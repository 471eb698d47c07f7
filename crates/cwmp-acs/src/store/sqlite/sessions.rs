//! The two transactions that open and close a CWMP session, so that a session of a known
//! device with nothing to do costs two hand-overs to the writer.

use rusqlite::Connection;

use super::conn::{execute, query_opt};
use super::inform::{self, Counted};
use super::{preset_state, reads, writes};
use crate::store::{SessionBegun, SessionRecord, SessionStart, StoreResult, Timestamp};

pub(crate) fn begin(conn: &Connection, start: SessionStart) -> StoreResult<Option<SessionBegun>> {
    let device = start.inform.identity.device_id();
    if !writes::try_acquire_lease(conn, &device, &start.holder, start.lease_ttl)? {
        return Ok(None);
    }
    // Tasks left running by a session that died. Looked for first: the UPDATE, which
    // changes an indexed column, sets up two temporary tables even when nothing matches.
    let orphaned = query_opt(
        conn,
        "SELECT 1 FROM tasks WHERE device_id = $1 AND status = 'running' LIMIT 1",
        &[&device.as_str()],
        |_| Ok(()),
    )?;
    let requeued = match orphaned {
        Some(()) => execute(
            conn,
            "UPDATE tasks SET status = 'pending', interrupted = interrupted + 1 \
             WHERE device_id = $1 AND status = 'running'",
            &[&device.as_str()],
        )?,
        None => 0,
    };
    let now: Timestamp = start.inform.time;
    let inform = inform::upsert_inform(conn, start.inform, Counted::AsSession)?;
    // A new device has no tasks, states or faults: three reads spared on every bootstrap.
    let (due, preset_states, faults) = if inform.created {
        Default::default()
    } else {
        (
            reads::due_tasks(conn, &device, now)?,
            preset_state::read(conn, &device)?,
            reads::list_faults(conn, Some(&device))?,
        )
    };
    Ok(Some(SessionBegun {
        inform,
        requeued,
        due,
        preset_states,
        faults,
    }))
}

pub(crate) fn end(conn: &Connection, holder: &str, record: &SessionRecord) -> StoreResult<()> {
    writes::write_session_slot(conn, record)?;
    execute(
        conn,
        "DELETE FROM session_leases WHERE device_id = $1 AND holder = $2",
        &[&record.device.as_str(), &holder],
    )?;
    Ok(())
}
