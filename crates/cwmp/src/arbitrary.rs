//! Property-test generators of schema-valid values, one per wire type; `wire_struct!` builds
//! the generator of each struct from those of its fields.

use std::fmt::Debug;

use proptest::prelude::*;

use crate::datetime::{DateTime, arb_datetime};
use crate::event::EventCode;
use crate::fault::FaultCode;
use crate::value::{Value, XsdType};

/// Generates values that the schema allows, within an optional length bound.
pub(crate) trait Arb: Sized + Debug + Clone + 'static {
    /// `max` is the `(max N)` bound of the field: characters of a string, items of a list.
    fn arb(max: Option<usize>) -> BoxedStrategy<Self>;
}

/// Text XML 1.0 can carry, from plain ASCII to the edges of the Basic Multilingual Plane.
pub(crate) fn xml_text(max: usize) -> BoxedStrategy<String> {
    let max = max.min(48);
    prop_oneof![
        3 => proptest::string::string_regex(&format!("[A-Za-z0-9._ -]{{0,{max}}}")).unwrap(),
        1 => proptest::string::string_regex(&format!(
            "[\t\n\r -~\u{a0}-\u{d7ff}\u{e000}-\u{fffd}\u{10000}-\u{10ffff}]{{0,{max}}}"
        ))
        .unwrap(),
    ]
    .boxed()
}

impl Arb for String {
    fn arb(max: Option<usize>) -> BoxedStrategy<Self> {
        xml_text(max.unwrap_or(48))
    }
}

impl Arb for u32 {
    fn arb(_: Option<usize>) -> BoxedStrategy<Self> {
        any::<u32>().boxed()
    }
}

impl Arb for bool {
    fn arb(_: Option<usize>) -> BoxedStrategy<Self> {
        any::<bool>().boxed()
    }
}

impl Arb for DateTime {
    fn arb(_: Option<usize>) -> BoxedStrategy<Self> {
        arb_datetime().boxed()
    }
}

impl Arb for FaultCode {
    fn arb(_: Option<usize>) -> BoxedStrategy<Self> {
        prop_oneof![8000..=8899u32, 9000..=9899u32]
            .prop_filter_map("in range", |n| FaultCode::new(n).ok())
            .boxed()
    }
}

impl Arb for EventCode {
    fn arb(_: Option<usize>) -> BoxedStrategy<Self> {
        prop_oneof![
            4 => proptest::sample::select(EventCode::STANDARD.to_vec()),
            1 => "X [0-9A-F]{6} [A-Za-z]{1,10}".prop_map(|s| s.parse().unwrap()),
            1 => "M X_[A-Z]{1,10}".prop_map(|s| s.parse().unwrap()),
        ]
        .boxed()
    }
}

impl Arb for Value {
    fn arb(max: Option<usize>) -> BoxedStrategy<Self> {
        let bytes = || proptest::collection::vec(any::<u8>(), 0..24);
        prop_oneof![
            String::arb(max).prop_map(Value::String),
            any::<i32>().prop_map(Value::Int),
            any::<u32>().prop_map(Value::UnsignedInt),
            any::<i64>().prop_map(Value::Long),
            any::<u64>().prop_map(Value::UnsignedLong),
            any::<bool>().prop_map(Value::Boolean),
            arb_datetime().prop_map(Value::DateTime),
            bytes().prop_map(Value::Base64),
            bytes().prop_map(Value::HexBinary),
            ("[a-z]{1,10}", xml_text(16))
                .prop_filter("an unknown type", |(t, _)| XsdType::from_wire_name(t).is_none())
                .prop_map(|(xsi_type, text)| Value::Other { xsi_type, text }),
        ]
        .boxed()
    }
}

impl<T: Arb> Arb for Option<T> {
    fn arb(max: Option<usize>) -> BoxedStrategy<Self> {
        proptest::option::of(T::arb(max)).boxed()
    }
}

impl<T: Arb> Arb for Vec<T> {
    fn arb(max: Option<usize>) -> BoxedStrategy<Self> {
        proptest::collection::vec(T::arb(None), 0..=max.unwrap_or(4).min(4)).boxed()
    }
}
