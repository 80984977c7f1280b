"""BSON value semantics the stand-in needs beyond mongomock: MongoDB's sort order,
hashable equality keys (for unique indexes, $group, distinct) and shell-like
rendering of values for E11000 messages.

The comparison order follows https://www.mongodb.com/docs/manual/reference/bson-type-comparison-order/
MinKey < null/missing < numbers < strings < objects < arrays < BinData < ObjectId
< booleans < dates < timestamps < regexes < MaxKey. BinData compares by length,
then subtype, then bytes; strings compare by code point (= UTF-8 byte order).
"""

import base64
import datetime
import heapq
import math
import numbers
import re
import uuid

from bson.binary import Binary
from bson.code import Code
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.max_key import MaxKey
from bson.min_key import MinKey
from bson.objectid import ObjectId
from bson.regex import Regex
from bson.timestamp import Timestamp
from sentinels import NOTHING

from .errors import bad_value

RANK_MINKEY = 1
RANK_EMPTY_ARRAY = 3  # sort only: an empty array sorts before null/missing
RANK_NULL = 5
RANK_NUMBER = 10
RANK_STRING = 15
RANK_OBJECT = 20
RANK_ARRAY = 25
RANK_BINARY = 30
RANK_OBJECTID = 35
RANK_BOOL = 40
RANK_DATE = 45
RANK_TIMESTAMP = 47
RANK_REGEX = 50
RANK_CODE = 60
RANK_MAXKEY = 127


def type_rank(value):
    if value is None or value is NOTHING:
        return RANK_NULL
    if isinstance(value, bool):
        return RANK_BOOL
    if isinstance(value, (numbers.Number, Decimal128)):
        return RANK_NUMBER
    if isinstance(value, str):
        return RANK_STRING
    if isinstance(value, dict):
        return RANK_OBJECT
    if isinstance(value, (list, tuple)):
        return RANK_ARRAY
    if isinstance(value, (bytes, uuid.UUID)):
        return RANK_BINARY
    if isinstance(value, ObjectId):
        return RANK_OBJECTID
    if isinstance(value, datetime.datetime):
        return RANK_DATE
    if isinstance(value, Timestamp):
        return RANK_TIMESTAMP
    if isinstance(value, (Regex, re.Pattern)):
        return RANK_REGEX
    if isinstance(value, MinKey):
        return RANK_MINKEY
    if isinstance(value, MaxKey):
        return RANK_MAXKEY
    if isinstance(value, Code):
        return RANK_CODE
    raise NotImplementedError(f'comparing values of type {type(value).__name__}')


def binary_parts(value):
    """(subtype, bytes) of a BSON binary value."""
    if isinstance(value, uuid.UUID):
        return 4, value.bytes
    if isinstance(value, Binary):
        return value.subtype, bytes(value)
    return 0, bytes(value)


def _slow_compare_key(value):
    rank = type_rank(value)
    if rank == RANK_NUMBER:
        if isinstance(value, Decimal128):
            value = value.to_decimal()
            if value.is_nan():
                return rank, (0,)
            return rank, (1, value)
        if isinstance(value, float) and math.isnan(value):
            return rank, (0,)  # NaN sorts before every other number
        return rank, (1, value)
    if rank in (RANK_STRING, RANK_BOOL, RANK_DATE):
        return rank, value
    if rank == RANK_BINARY:
        subtype, data = binary_parts(value)
        return rank, (len(data), subtype, data)
    if rank == RANK_OBJECTID:
        return rank, value.binary
    if rank == RANK_OBJECT:
        return rank, tuple((type_rank(v), k, compare_key(v)) for k, v in value.items())
    if rank == RANK_ARRAY:
        return rank, tuple(compare_key(v) for v in value)
    if rank == RANK_TIMESTAMP:
        return rank, (value.time, value.inc)
    if rank == RANK_REGEX:
        flags = value.flags if isinstance(value.flags, int) else 0
        return rank, (value.pattern, flags)
    if rank == RANK_CODE:
        return rank, str(value)
    return rank, 0  # null, missing, MinKey, MaxKey


def _float_key(value):
    return (RANK_NUMBER, (0,)) if value != value else (RANK_NUMBER, (1, value))


# exact-type fast paths of compare_key (hot in sorts and range filters)
_FAST_KEYS = {
    str: lambda v: (RANK_STRING, v),
    datetime.datetime: lambda v: (RANK_DATE, v),
    Binary: lambda v: (RANK_BINARY, (len(v), v.subtype, v)),
    bytes: lambda v: (RANK_BINARY, (len(v), 0, v)),
    int: lambda v: (RANK_NUMBER, (1, v)),
    Int64: lambda v: (RANK_NUMBER, (1, v)),
    float: _float_key,
    bool: lambda v: (RANK_BOOL, v),
    ObjectId: lambda v: (RANK_OBJECTID, v.binary),
    type(None): lambda v: (RANK_NULL, 0),
}


def compare_key(value):
    """A Python-comparable key reproducing MongoDB's ordering of single values."""
    fast = _FAST_KEYS.get(type(value))
    return fast(value) if fast is not None else _slow_compare_key(value)


def path_values(doc, path):
    """Candidate values of a dotted path, with arrays along the way traversed."""
    current = [doc]
    for part in path.split('.'):
        nxt = []
        for value in current:
            if isinstance(value, dict):
                nxt.append(value.get(part, NOTHING))
            elif isinstance(value, list):
                if part.isdigit() and int(part) < len(value):
                    nxt.append(value[int(part)])
                for item in value:
                    if isinstance(item, dict):
                        nxt.append(item.get(part, NOTHING))
        current = nxt
    return current


def sort_key_for(doc, path, descending):
    """Sort key of one field: arrays sort by their smallest (ascending) or largest
    (descending) element, an empty array before null, a missing field as null."""
    if '.' not in path:
        value = doc.get(path, NOTHING)
        fast = _FAST_KEYS.get(type(value))
        if fast is not None:
            return fast(value)
        if not isinstance(value, list):
            return _slow_compare_key(value)
        candidates = [value]
    else:
        candidates = path_values(doc, path)
    values = []
    saw_empty_array = False
    for value in candidates:
        if isinstance(value, list):
            if value:
                values.extend(value)
            else:
                saw_empty_array = True
        else:
            values.append(value)
    if not values:
        return (RANK_EMPTY_ARRAY, 0) if saw_empty_array else (RANK_NULL, 0)
    keys = [compare_key(v) for v in values]
    return max(keys) if descending else min(keys)


def sort_documents(docs, sort_spec, top=None):
    """Stable sort of documents by a MongoDB sort specification; with ``top``,
    only the first ``top`` documents of the sorted order are returned."""
    spec = list(sort_spec.items())
    for field, direction in spec:
        if isinstance(direction, dict) or field.startswith('$'):
            raise NotImplementedError(f'sort by {field}: {direction!r}')
        if direction not in (1, -1):
            raise bad_value('$sort key ordering must be 1 (for ascending) or -1 (for descending)')
    directions = {direction for _field, direction in spec}
    if len(directions) == 1:  # one pass on a tuple key
        descending = directions.pop() == -1
        fields = [field for field, _direction in spec]
        if len(fields) == 1:
            field = fields[0]
            key = lambda d: sort_key_for(d, field, descending)  # noqa: E731
        elif len(fields) == 2:
            first, second = fields
            key = lambda d: (sort_key_for(d, first, descending),  # noqa: E731
                             sort_key_for(d, second, descending))
        else:
            key = lambda d: tuple(sort_key_for(d, f, descending) for f in fields)  # noqa: E731
        if top is not None:
            pick = heapq.nlargest if descending else heapq.nsmallest
            return pick(top, docs, key=key)  # same result as sorted(...)[:top], stable
        return sorted(docs, key=key, reverse=descending)
    docs = list(docs)
    for field, direction in reversed(spec):  # mixed directions: stable multi-pass
        descending = direction == -1
        docs.sort(key=lambda d: sort_key_for(d, field, descending), reverse=descending)
    return docs if top is None else docs[:top]


def equality_key(value):
    """Hashable key such that two values get equal keys iff MongoDB deems them equal
    (numbers compare by value across int/long/double/decimal; null == missing)."""
    if value is None or value is NOTHING:
        return ('null',)
    if isinstance(value, bool):
        return ('bool', value)
    if isinstance(value, Decimal128):
        dec = value.to_decimal()
        return ('nan',) if dec.is_nan() else ('num', dec)
    if isinstance(value, numbers.Number):
        if isinstance(value, float) and math.isnan(value):
            return ('nan',)
        return ('num', value)
    if isinstance(value, str):
        return ('str', value)
    if isinstance(value, datetime.datetime):
        return ('date', value)
    if isinstance(value, (bytes, uuid.UUID)):
        return ('bin',) + binary_parts(value)
    if isinstance(value, ObjectId):
        return ('oid', value.binary)
    if isinstance(value, dict):
        return ('doc', tuple((k, equality_key(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return ('arr', tuple(equality_key(v) for v in value))
    if isinstance(value, Timestamp):
        return ('ts', value.time, value.inc)
    if isinstance(value, MinKey):
        return ('minkey',)
    if isinstance(value, MaxKey):
        return ('maxkey',)
    return ('other', type(value).__name__, repr(value))


def render(value):
    """Render a value roughly the way the server prints it in error messages."""
    if value is None or value is NOTHING:
        return 'null'
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"') + '"'
    if isinstance(value, (Int64, int)):
        return str(int(value))
    if isinstance(value, (float, Decimal128)):
        return str(value)
    if isinstance(value, datetime.datetime):
        epoch = datetime.datetime(1970, 1, 1)
        millis = (value - epoch) // datetime.timedelta(milliseconds=1)
        return f'new Date({millis})'
    if isinstance(value, (bytes, uuid.UUID)):
        subtype, data = binary_parts(value)
        if subtype == 4 and len(data) == 16:
            return f'UUID("{uuid.UUID(bytes=data)}")'
        return f'BinData({subtype}, {base64.b64encode(data).decode()})'
    if isinstance(value, ObjectId):
        return f"ObjectId('{value}')"
    if isinstance(value, dict):
        return '{ ' + ', '.join(f'{k}: {render(v)}' for k, v in value.items()) + ' }'
    if isinstance(value, (list, tuple)):
        return '[ ' + ', '.join(render(v) for v in value) + ' ]'
    return repr(value)
