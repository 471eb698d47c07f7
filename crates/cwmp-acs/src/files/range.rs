//! The `Range: bytes=` request header (RFC 9110 §14.2), single ranges only: a request for
//! several ranges is answered with the whole file, which the RFC allows.

/// What to send of a file of known size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeRequest {
    /// The whole file (200).
    Full,
    /// Bytes `start..=end` (206).
    Part {
        /// First byte.
        start: u64,
        /// Last byte, included.
        end: u64,
    },
    /// A range outside the file (416).
    Unsatisfiable,
}

impl RangeRequest {
    /// The answer to header value `header` (absent: `None`) for a file of `size` bytes.
    pub fn parse(header: Option<&str>, size: u64) -> RangeRequest {
        let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
            return RangeRequest::Full;
        };
        if spec.contains(',') {
            return RangeRequest::Full;
        }
        let Some((first, last)) = spec.trim().split_once('-') else {
            return RangeRequest::Full;
        };
        let number = |s: &str| s.trim().parse::<u64>().ok();
        let (start, end) = match (first.trim().is_empty(), last.trim().is_empty()) {
            // `bytes=-n`: the last n bytes.
            (true, false) => match number(last) {
                Some(0) => return RangeRequest::Unsatisfiable,
                Some(n) => (size.saturating_sub(n), size.saturating_sub(1)),
                None => return RangeRequest::Full,
            },
            // `bytes=a-`: from a to the end.
            (false, true) => match number(first) {
                Some(a) => (a, size.saturating_sub(1)),
                None => return RangeRequest::Full,
            },
            (false, false) => match (number(first), number(last)) {
                (Some(a), Some(b)) if a <= b => (a, b.min(size.saturating_sub(1))),
                _ => return RangeRequest::Full,
            },
            (true, true) => return RangeRequest::Full,
        };
        if size == 0 || start >= size {
            return RangeRequest::Unsatisfiable;
        }
        RangeRequest::Part { start, end }
    }
}

#[cfg(test)]
mod tests {
    use super::RangeRequest::{self, *};

    #[test]
    fn single_ranges() {
        let p = |h: &str| RangeRequest::parse(Some(h), 100);
        assert_eq!(RangeRequest::parse(None, 100), Full);
        assert_eq!(p("bytes=0-9"), Part { start: 0, end: 9 });
        assert_eq!(p("bytes=90-"), Part { start: 90, end: 99 });
        assert_eq!(p("bytes=-10"), Part { start: 90, end: 99 });
        assert_eq!(p("bytes=-1000"), Part { start: 0, end: 99 });
        assert_eq!(p("bytes=50-1000"), Part { start: 50, end: 99 });
        assert_eq!(p("bytes=100-"), Unsatisfiable);
        assert_eq!(p("bytes=-0"), Unsatisfiable);
        assert_eq!(p("bytes=0-1,5-6"), Full);
        assert_eq!(p("bytes=9-2"), Full);
        assert_eq!(p("items=0-1"), Full);
        assert_eq!(p("bytes=x-1"), Full);
        assert_eq!(RangeRequest::parse(Some("bytes=0-"), 0), Unsatisfiable);
    }
}
