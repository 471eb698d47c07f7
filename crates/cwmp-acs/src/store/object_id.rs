//! ObjectId-like ids (24 hex digits: 4 bytes of seconds, 5 bytes per-process random,
//! 3 bytes counter), as GenieACS uses for tasks, so ids are unique across ACS nodes and
//! sort by creation time.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use super::Timestamp;

fn process_random() -> u64 {
    static R: OnceLock<u64> = OnceLock::new();
    *R.get_or_init(|| {
        let mut h = RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        h.write_i64(Timestamp::now().as_millis());
        h.finish()
    })
}

/// A new id.
pub fn new_object_id() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let secs = u32::try_from(Timestamp::now().as_millis() / 1000).unwrap_or(u32::MAX);
    let rand = process_random() & 0xFF_FFFF_FFFF;
    let count = COUNTER.fetch_add(1, Ordering::Relaxed) & 0xFF_FFFF;
    format!("{secs:08x}{rand:010x}{count:06x}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn unique_and_24_hex() {
        let a = super::new_object_id();
        let b = super::new_object_id();
        assert_eq!(a.len(), 24);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
