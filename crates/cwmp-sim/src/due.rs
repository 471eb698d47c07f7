//! When each device wants its next session: a min-heap of due times with per-device
//! generations, so rescheduling or cancelling a device leaves a stale entry that is skipped
//! instead of a search through the heap.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

/// Due times (since the start of the run) of the idle devices.
#[derive(Debug, Default)]
pub struct DueQueue {
    heap: BinaryHeap<Reverse<(Duration, u32, u32)>>,
    generation: Vec<u32>,
}

impl DueQueue {
    /// A queue for `devices` devices, none scheduled.
    pub fn new(devices: u32) -> Self {
        DueQueue {
            heap: BinaryHeap::with_capacity(devices as usize),
            generation: vec![0; devices as usize],
        }
    }

    /// Device `index` is due at `at` (replacing any earlier schedule).
    pub fn schedule(&mut self, index: u32, at: Duration) {
        if let Some(g) = self.generation.get_mut(index as usize) {
            *g = g.wrapping_add(1);
            self.heap.push(Reverse((at, index, *g)));
        }
    }

    /// Device `index` is no longer scheduled.
    pub fn cancel(&mut self, index: u32) {
        if let Some(g) = self.generation.get_mut(index as usize) {
            *g = g.wrapping_add(1);
        }
    }

    /// The soonest scheduled device and its due time.
    pub fn peek(&mut self) -> Option<(Duration, u32)> {
        while let Some(Reverse((at, index, g))) = self.heap.peek().copied() {
            if self.generation.get(index as usize) == Some(&g) {
                return Some((at, index));
            }
            self.heap.pop();
        }
        None
    }

    /// Removes and returns the soonest scheduled device.
    pub fn pop(&mut self) -> Option<(Duration, u32)> {
        let next = self.peek()?;
        self.heap.pop();
        self.cancel(next.1);
        Some(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soonest_first_and_stale_entries_skipped() {
        let s = Duration::from_secs;
        let mut q = DueQueue::new(3);
        q.schedule(0, s(5));
        q.schedule(1, s(3));
        q.schedule(2, s(4));
        q.schedule(1, s(10));
        q.cancel(2);
        assert_eq!(q.pop(), Some((s(5), 0)));
        assert_eq!(q.pop(), Some((s(10), 1)));
        assert_eq!(q.pop(), None);
    }
}
