//! Lists in RPC messages: SOAP arrays of CWMP structs, and the other forms peers write them
//! in (a bare item instead of an array, a list element repeated once per item).

use crate::error::{ParseError, ParseErrorKind, WriteError};
use crate::rpc::checks::non_empty;
use crate::xml::field::{ArrayItem, Field, check_max};
use crate::xml::reader::{Element, Reader};
use crate::xml::writer::Writer;

/// Implements [`ArrayItem`] for CWMP structs whose array items
/// are elements named after the type, with `arrayType="cwmp:<Type>[n]"`.
macro_rules! cwmp_array_item {
    ($($ty:ident),+ $(,)?) => {$(
        impl $crate::xml::field::ArrayItem for $ty {
            const ITEM: &'static str = stringify!($ty);
            const ARRAY_TYPE: &'static str = concat!("cwmp:", stringify!($ty));
        }
    )+};
}
pub(crate) use cwmp_array_item;

/// Reads one occurrence of a list element that peers write in two forms: a SOAP array of items,
/// or (against the schema) a single bare item, recognised by a first child named like one of
/// the item's fields. Appends what it finds to `out`.
pub(crate) fn decode_list_occurrence<'a, T: ArrayItem>(
    r: &mut Reader<'a>,
    element: &Element<'a>,
    name: &'static str,
    item_fields: &[&str],
    out: &mut Vec<T>,
) -> Result<(), ParseError> {
    let bare = match r.peek_child(element)? {
        Some(first) => first.local != T::ITEM && item_fields.contains(&first.local),
        None => false,
    };
    if bare {
        out.push(T::decode(r, element, T::ITEM)?);
    } else {
        out.extend(Vec::<T>::decode(r, element, name)?);
    }
    Ok(())
}

/// Reads the children of a message made of one list and an optional `CommandKey`
/// (ChangeDUState, DUStateChangeComplete): `occurrence` reads each `list` element, which peers
/// may repeat, appending its items; other children are skipped. The list is required.
pub(crate) fn decode_list_and_command_key<'a, T>(
    r: &mut Reader<'a>,
    element: &Element<'a>,
    list: &'static str,
    mut occurrence: impl FnMut(&mut Reader<'a>, &Element<'a>, &mut Vec<T>) -> Result<(), ParseError>,
) -> Result<(Vec<T>, Option<String>), ParseError> {
    let mut items = None;
    let mut command_key = None;
    while let Some(child) = r.next_child(element)? {
        match child.local {
            local if local == list => occurrence(r, &child, items.get_or_insert_with(Vec::new))?,
            "CommandKey" if command_key.is_none() => {
                command_key = Some(String::decode(r, &child, "CommandKey")?);
            }
            "CommandKey" => {
                let kind = ParseErrorKind::DuplicateField("CommandKey");
                return Err(r.error_at(&child, kind));
            }
            _ => r.skip(&child)?,
        }
    }
    let items = items.ok_or_else(|| r.error_at(element, ParseErrorKind::MissingField(list)))?;
    Ok((items, command_key))
}

/// Writes the element `name` made of the `list` element repeated once per item (at least one)
/// and an optional `CommandKey` of at most 32 characters: what
/// [`decode_list_and_command_key`] reads.
pub(crate) fn encode_list_and_command_key<T: Field>(
    w: &mut Writer,
    name: &'static str,
    list: &'static str,
    items: &[T],
    command_key: &Option<String>,
) -> Result<(), WriteError> {
    non_empty(w, items, list)?;
    check_max(command_key, "CommandKey", 32)?;
    w.open(name);
    for item in items {
        item.encode(w, list)?;
    }
    command_key.encode(w, "CommandKey")?;
    w.close(name);
    Ok(())
}
