"""Fidelity fixes for mongomock 4.3.0's matcher and update operators.

* mongomock compares BinData by length then bytes, ignoring the subtype; MongoDB
  compares length, then subtype, then bytes. Comparisons ($lt/$gt/...) and
  mongomock's own sorts go through ``filtering.bson_compare``, patched here.
* ``$inc`` keeps MongoDB's numeric types: int32 + int32 is an int32 (a long when it
  overflows), a long stays a long, a double or decimal operand makes a double or decimal,
  and a missing field takes the increment as given; mongomock's Python additions turned a
  long into an int32 (which a validator's ``bsonType: "long"`` then refuses).
"""

import decimal

from bson.decimal128 import Decimal128
from bson.int64 import Int64
from mongomock import collection as mm_collection
from mongomock import filtering
from pymongo.errors import WriteError

from . import bsonvalues
from .schema_types import bson_type, is_number

_original_bson_compare = filtering.bson_compare
_original_inc_updater = mm_collection._updaters['$inc']


def bson_compare(op, a, b, can_compare_types=True):
    if isinstance(a, bytes) and isinstance(b, bytes):
        return op(bsonvalues.compare_key(a), bsonvalues.compare_key(b))
    return _original_bson_compare(op, a, b, can_compare_types)


def add(current, increment):
    """``current + increment`` with the BSON type mongod's $inc gives the result."""
    for value in (current, increment):
        if not is_number(value):
            raise WriteError(f'Cannot apply $inc to a value of non-numeric type {bson_type(value)}', 14)
    types = {bson_type(current), bson_type(increment)}
    if 'decimal' in types:
        as_decimal = [v.to_decimal() if isinstance(v, Decimal128) else decimal.Decimal(v)
                      for v in (current, increment)]
        return Decimal128(as_decimal[0] + as_decimal[1])
    if 'double' in types:
        return float(current) + float(increment)
    total = int(current) + int(increment)
    if 'long' not in types and -2 ** 31 <= total < 2 ** 31:
        return total
    if not -2 ** 63 <= total < 2 ** 63:
        raise WriteError('Failed to apply $inc operations to current value: the result '
                         'overflows a 64-bit integer', 2)
    return Int64(total)


def _inc_updater(doc, field_name, value):
    if isinstance(doc, dict):
        doc[field_name] = add(doc[field_name], value) if field_name in doc else value
    elif isinstance(doc, list) and field_name.isdigit() and int(field_name) < len(doc):
        doc[int(field_name)] = add(doc[int(field_name)], value)
    else:
        _original_inc_updater(doc, field_name, value)


def install():
    filtering.bson_compare = bson_compare
    mm_collection._updaters['$inc'] = _inc_updater
