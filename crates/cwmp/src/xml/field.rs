//! How a Rust value maps to an element: the [`Field`] trait, its impls for scalars, optional
//! elements and SOAP-encoded arrays, and the [`wire_struct!`] macro for CWMP structs.

use std::fmt::Display;
use std::str::FromStr;

use crate::datetime::DateTime;
use crate::error::{ParseError, WriteError};
use crate::version::CwmpVersion;
use crate::xml::reader::{Element, Reader};
use crate::xml::writer::Writer;

/// A value carried by one element.
pub(crate) trait Field: Sized {
    /// Reads the value from `element` (whose start tag has been read) up to its end tag.
    fn decode<'a>(
        r: &mut Reader<'a>,
        element: &Element<'a>,
        name: &'static str,
    ) -> Result<Self, ParseError>;

    /// The value when the element is absent; `None` means the element is required.
    fn absent() -> Option<Self> {
        None
    }

    /// Writes the element `name` holding this value.
    fn encode(&self, w: &mut Writer, name: &'static str) -> Result<(), WriteError>;
}

/// An item of a SOAP-encoded array (`soap-enc:arrayType="cwmp:EventStruct[2]"`).
pub(crate) trait ArrayItem: Field {
    /// Element name of each item.
    const ITEM: &'static str;
    /// The `arrayType` item type, such as `cwmp:EventStruct` or `xsd:string`.
    const ARRAY_TYPE: &'static str;
}

/// Length that a `(max N)` bound in [`wire_struct!`] checks: characters of a string, items of
/// a list.
pub(crate) trait WireLen {
    /// True for lists, whose length counts items.
    const IS_LIST: bool;
    fn wire_len(&self) -> usize;
}

impl WireLen for String {
    const IS_LIST: bool = false;
    fn wire_len(&self) -> usize {
        self.chars().count()
    }
}

impl<T> WireLen for Vec<T> {
    const IS_LIST: bool = true;
    fn wire_len(&self) -> usize {
        self.len()
    }
}

impl<T: WireLen> WireLen for Option<T> {
    const IS_LIST: bool = T::IS_LIST;
    fn wire_len(&self) -> usize {
        self.as_ref().map_or(0, WireLen::wire_len)
    }
}

/// Checks a `(max N)` bound before writing.
pub(crate) fn check_max<T: WireLen>(
    value: &T,
    field: &'static str,
    max: usize,
) -> Result<(), WriteError> {
    let len = value.wire_len();
    if len <= max {
        return Ok(());
    }
    if T::IS_LIST {
        Err(WriteError::TooMany { field, len, max })
    } else {
        Err(WriteError::TooLong { field, len, max })
    }
}

/// Fails when writing a method or value that `version` lacks.
pub(crate) fn require_version(
    w: &Writer,
    since: CwmpVersion,
    what: &str,
) -> Result<(), WriteError> {
    if w.version() < since {
        return Err(WriteError::NotInVersion {
            what: what.to_owned(),
            version: w.version(),
        });
    }
    Ok(())
}

impl Field for String {
    fn decode<'a>(
        r: &mut Reader<'a>,
        element: &Element<'a>,
        _: &'static str,
    ) -> Result<Self, ParseError> {
        Ok(r.text(element)?.into_owned())
    }

    fn encode(&self, w: &mut Writer, name: &'static str) -> Result<(), WriteError> {
        w.leaf(name, self)
    }
}

impl ArrayItem for String {
    const ITEM: &'static str = "string";
    const ARRAY_TYPE: &'static str = "xsd:string";
}

/// Implements [`Field`] for the XSD integer types, written in decimal. Read leniently:
/// surrounding whitespace and a leading `+` are accepted.
macro_rules! int_field {
    ($($ty:ty: $xsd:literal),+ $(,)?) => {$(
        impl Field for $ty {
            fn decode<'a>(
                r: &mut Reader<'a>,
                element: &Element<'a>,
                name: &'static str,
            ) -> Result<Self, ParseError> {
                // Rust's integer parsing takes one optional sign, as xsd does.
                decode_text(r, element, name, $xsd, |text| text.trim().parse().ok())
            }

            fn encode(&self, w: &mut Writer, name: &'static str) -> Result<(), WriteError> {
                w.number_leaf(name, *self);
                Ok(())
            }
        }
    )+};
}

int_field!(u32: "an unsignedInt", i32: "an int");

impl Field for bool {
    fn decode<'a>(
        r: &mut Reader<'a>,
        element: &Element<'a>,
        name: &'static str,
    ) -> Result<Self, ParseError> {
        decode_text(r, element, name, "a boolean", parse_bool)
    }

    fn encode(&self, w: &mut Writer, name: &'static str) -> Result<(), WriteError> {
        // Written as 0/1: the form every CPE accepts, and valid xsd:boolean.
        w.leaf(name, if *self { "1" } else { "0" })
    }
}

/// `xs:dateTime` elements. Written in canonical form. Read leniently, because CPE clocks and
/// formatters are often broken: a space instead of `T` and doubled colons
/// (`2019-03-05T11:54::14`, seen from a real CPE) are repaired; text that still does not
/// parse reads as the Unknown Time (`0001-01-01T00:00:00Z`), as TR-069 asks a CPE to send
/// when it does not know the time.
impl Field for DateTime {
    fn decode<'a>(
        r: &mut Reader<'a>,
        element: &Element<'a>,
        _: &'static str,
    ) -> Result<Self, ParseError> {
        let text = r.text(element)?;
        let text = text.trim();
        if let Ok(time) = text.parse() {
            return Ok(time);
        }
        let mut repaired = text.replacen(' ', "T", 1);
        while repaired.contains("::") {
            repaired = repaired.replace("::", ":");
        }
        Ok(repaired.parse().unwrap_or(DateTime::UNKNOWN))
    }

    fn encode(&self, w: &mut Writer, name: &'static str) -> Result<(), WriteError> {
        w.leaf(name, &self.to_string())
    }
}

/// Reads the element's text through `parse`; `None` is an invalid value, reported as the text
/// not being `what` (`"an int"`).
fn decode_text<'a, T>(
    r: &mut Reader<'a>,
    element: &Element<'a>,
    name: &'static str,
    what: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T, ParseError> {
    let text = r.text(element)?;
    parse(&text).ok_or_else(|| r.invalid(element, name, format!("{text:?} is not {what}")))
}

/// Reads the element's text, trimmed, through `FromStr`; a failure is an invalid value,
/// reported with the text and the parser's reason.
pub(crate) fn decode_from_str<'a, T: FromStr>(
    r: &mut Reader<'a>,
    element: &Element<'a>,
    name: &'static str,
) -> Result<T, ParseError>
where
    T::Err: Display,
{
    let text = r.text(element)?;
    text.trim()
        .parse()
        .map_err(|e| r.invalid(element, name, format!("{text:?}: {e}")))
}

/// xsd:boolean as CPEs write it (see [`value::parse_bool`](crate::value::parse_bool)), with
/// surrounding whitespace ignored.
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    crate::value::parse_bool(text.trim())
}

impl<T: Field> Field for Option<T> {
    fn decode<'a>(
        r: &mut Reader<'a>,
        element: &Element<'a>,
        name: &'static str,
    ) -> Result<Self, ParseError> {
        T::decode(r, element, name).map(Some)
    }

    fn absent() -> Option<Self> {
        Some(None)
    }

    fn encode(&self, w: &mut Writer, name: &'static str) -> Result<(), WriteError> {
        match self {
            Some(value) => value.encode(w, name),
            None => Ok(()),
        }
    }
}

impl<T: ArrayItem> Field for Vec<T> {
    fn decode<'a>(
        r: &mut Reader<'a>,
        element: &Element<'a>,
        _: &'static str,
    ) -> Result<Self, ParseError> {
        // Lenient: items are taken whatever their element name, and the arrayType count is
        // ignored (real CPEs get it wrong); the element limit bounds the length.
        let mut items = Vec::new();
        while let Some(child) = r.next_child(element)? {
            items.push(T::decode(r, &child, T::ITEM)?);
        }
        Ok(items)
    }

    fn encode(&self, w: &mut Writer, name: &'static str) -> Result<(), WriteError> {
        w.open_array(name, T::ARRAY_TYPE, self.len());
        for item in self {
            item.encode(w, T::ITEM)?;
        }
        w.close(name);
        Ok(())
    }
}

/// Implements [`Field`] for a type that reads from and writes to its element's text through
/// `FromStr` and `Display`; surrounding whitespace is trimmed on reading (see
/// [`decode_from_str`]).
macro_rules! text_field {
    ($($ty:ty),+ $(,)?) => {$(
        impl $crate::xml::field::Field for $ty {
            fn decode<'a>(
                r: &mut $crate::xml::reader::Reader<'a>,
                element: &$crate::xml::reader::Element<'a>,
                name: &'static str,
            ) -> Result<Self, $crate::error::ParseError> {
                $crate::xml::field::decode_from_str(r, element, name)
            }

            fn encode(
                &self,
                w: &mut $crate::xml::writer::Writer,
                name: &'static str,
            ) -> Result<(), $crate::error::WriteError> {
                w.leaf(name, &self.to_string())
            }
        }
    )+};
}
pub(crate) use text_field;

/// One option of a [`wire_struct!`] field, checked on writing: `(max N)` bounds a string's
/// characters or a list's items; `(check f)` calls `f(&Writer, &value, element_name)`, for
/// patterns, minimum counts and rules that depend on the version being written. `(default)`
/// checks nothing (see [`wire_absent!`]).
macro_rules! wire_check {
    (max, $w:ident, $value:expr, $xml:expr, $max:expr) => {
        $crate::xml::field::check_max($value, $xml, $max)?
    };
    (check, $w:ident, $value:expr, $xml:expr, $f:expr) => {
        ($f)(&*$w, $value, $xml)?
    };
    (default, $w:ident, $value:expr, $xml:expr) => {};
}
pub(crate) use wire_check;

/// One option of a [`wire_struct!`] field, applied on reading when the element is absent:
/// `(default)` reads a missing element as `Default::default()` (leniency towards peers that
/// omit a required element); the other options change nothing.
macro_rules! wire_absent {
    (default) => {
        || Some(Default::default())
    };
    ($kw:ident) => {
        $crate::xml::field::no_default
    };
}
pub(crate) use wire_absent;

/// The absent value of a field option that gives none.
pub(crate) fn no_default<T>() -> Option<T> {
    None
}

/// Defines a CWMP struct: the Rust struct (serde names = element names) plus its [`Field`] impl.
/// Child elements may come in any order; unknown ones are skipped; a missing required one or a
/// duplicate is an error. Each field may carry options: write-time checks `(max N)` and
/// `(check f)` (see [`wire_check!`]), which run before anything of the struct is written, and
/// `(default)` (see [`wire_absent!`]).
macro_rules! wire_struct {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                $field:ident : $ty:ty = $xml:literal $(($kw:ident $($arg:expr)?))*
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        pub struct $name {
            $(
                $(#[$fmeta])*
                #[serde(rename = $xml)]
                pub $field: $ty,
            )*
        }

        impl $crate::xml::field::Field for $name {
            #[allow(unused_variables, unused_mut)]
            fn decode<'a>(
                r: &mut $crate::xml::reader::Reader<'a>,
                element: &$crate::xml::reader::Element<'a>,
                _: &'static str,
            ) -> Result<Self, $crate::error::ParseError> {
                $( let mut $field: Option<$ty> = None; )*
                while let Some(child) = r.next_child(element)? {
                    match child.local {
                        $(
                            $xml => {
                                if $field.is_some() {
                                    return Err(r.error_at(
                                        &child,
                                        $crate::error::ParseErrorKind::DuplicateField($xml),
                                    ));
                                }
                                $field = Some(
                                    <$ty as $crate::xml::field::Field>::decode(r, &child, $xml)?,
                                );
                            }
                        )*
                        _ => r.skip(&child)?,
                    }
                }
                Ok($name {
                    $(
                        $field: match $field
                            .or_else(<$ty as $crate::xml::field::Field>::absent)
                            $( .or_else($crate::xml::field::wire_absent!($kw)) )*
                        {
                            Some(value) => value,
                            None => {
                                return Err(r.error_at(
                                    element,
                                    $crate::error::ParseErrorKind::MissingField($xml),
                                ));
                            }
                        },
                    )*
                })
            }

            #[allow(unused_variables)]
            fn encode(
                &self,
                w: &mut $crate::xml::writer::Writer,
                name: &'static str,
            ) -> Result<(), $crate::error::WriteError> {
                $($(
                    $crate::xml::field::wire_check!($kw, w, &self.$field, $xml $(, $arg)?);
                )*)*
                w.open(name);
                $( $crate::xml::field::Field::encode(&self.$field, w, $xml)?; )*
                w.close(name);
                Ok(())
            }
        }

        #[cfg(test)]
        impl $crate::arbitrary::Arb for $name {
            fn arb(_: Option<usize>) -> proptest::strategy::BoxedStrategy<Self> {
                use proptest::strategy::Strategy as _;
                (
                    proptest::strategy::Just(()),
                    $(
                        <$ty as $crate::arbitrary::Arb>::arb_hinted(&[
                            $( $crate::arbitrary::hint!($kw $(, $arg)?) ),*
                        ]),
                    )*
                )
                    .prop_map(|((), $($field,)*)| $name { $($field,)* })
                    .boxed()
            }
        }
    };
}
pub(crate) use wire_struct;
