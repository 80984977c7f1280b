"""BSON type names, type sets and value comparisons as mongod's $jsonSchema sees them.

A stored Python value maps to one BSON type: ``bool`` before ``int`` (Python's bool is an
int), ``Int64`` is a long, a plain ``int`` an int32 when it fits (pymongo encodes it so,
else as a long), ``bytes``/``Binary``/``uuid.UUID`` (subtype 4 UUIDs included) are binData,
``datetime`` is a date, ``Decimal128`` a decimal.
"""

import datetime
import decimal
import math
import numbers
import re
import uuid
from collections.abc import Mapping

from bson.binary import Binary
from bson.code import Code
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.max_key import MaxKey
from bson.min_key import MinKey
from bson.objectid import ObjectId
from bson.regex import Regex
from bson.timestamp import Timestamp

from .bsonvalues import equality_key
from .errors import CommandError, not_implemented

NUMERIC = frozenset({'int', 'long', 'double', 'decimal'})
# bsonType names mongod knows; the last three cannot be told apart once pymongo has
# decoded them (a symbol is a str, undefined is None, a DBPointer a DBRef).
BSON_TYPES = NUMERIC | {'string', 'object', 'array', 'binData', 'objectId', 'bool', 'date',
                        'null', 'regex', 'javascript', 'javascriptWithScope', 'timestamp',
                        'minKey', 'maxKey'}
UNTELLABLE_BSON_TYPES = frozenset({'symbol', 'undefined', 'dbPointer'})
JSON_TYPES = {'object': 'object', 'array': 'array', 'string': 'string', 'boolean': 'bool',
              'null': 'null'}
_INT32 = range(-2 ** 31, 2 ** 31)


def bson_type(value):
    """mongod's name for the BSON type of a stored value."""
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'bool'
    if isinstance(value, Int64):
        return 'long'
    if isinstance(value, int):
        return 'int' if value in _INT32 else 'long'
    if isinstance(value, float):
        return 'double'
    if isinstance(value, str):
        return 'string'
    if isinstance(value, Mapping):
        return 'object'
    if isinstance(value, (list, tuple)):
        return 'array'
    if isinstance(value, (bytes, Binary, uuid.UUID)):
        return 'binData'
    if isinstance(value, ObjectId):
        return 'objectId'
    if isinstance(value, datetime.datetime):
        return 'date'
    if isinstance(value, Decimal128):
        return 'decimal'
    if isinstance(value, Timestamp):
        return 'timestamp'
    if isinstance(value, (Regex, re.Pattern)):
        return 'regex'
    if isinstance(value, Code):
        return 'javascript' if value.scope is None else 'javascriptWithScope'
    if isinstance(value, MinKey):
        return 'minKey'
    if isinstance(value, MaxKey):
        return 'maxKey'
    if type(value).__name__ == 'DBRef':
        return 'object'
    raise not_implemented(f'$jsonSchema on a value of Python type {type(value).__name__}')


class TypeSet:
    """The types named by a ``type`` or ``bsonType`` keyword ("number": every numeric type)."""

    __slots__ = ('names', 'all_numbers')

    def __init__(self, names, all_numbers):
        self.names = frozenset(names)
        self.all_numbers = all_numbers

    def matches(self, value):
        name = bson_type(value)
        return name in self.names or (self.all_numbers and name in NUMERIC)

    @property
    def single(self):
        return (self.all_numbers and not self.names) or (not self.all_numbers and len(self.names) == 1)

    def representative(self):
        """The one type of a single-type set; "number" stands as int, as in mongod."""
        return 'int' if self.all_numbers else next(iter(self.names))

    def has_object(self):
        return 'object' in self.names


def parse_type_set(keyword, spec):
    """The TypeSet of ``type``/``bsonType``; raises mongod's parse errors."""
    if isinstance(spec, str):
        aliases = [spec]
    elif isinstance(spec, list):
        aliases = []
        for alias in spec:
            if not isinstance(alias, str):
                raise CommandError(14, f"$jsonSchema keyword '{keyword}' array elements must be strings")
            if alias in aliases:
                raise CommandError(9, f"$jsonSchema keyword '{keyword}' has duplicate value: {alias}")
            aliases.append(alias)
    else:
        raise CommandError(14, f"$jsonSchema keyword '{keyword}' must be either a string or an array of strings")
    if 'integer' in aliases:
        raise CommandError(9, "$jsonSchema type 'integer' is not currently supported.")
    names, all_numbers = set(), False
    for alias in aliases:
        if alias == 'number':
            all_numbers = True
        elif keyword == 'type' and alias in JSON_TYPES:
            names.add(JSON_TYPES[alias])
        elif keyword == 'bsonType' and alias in BSON_TYPES:
            names.add(alias)
        elif keyword == 'bsonType' and alias in UNTELLABLE_BSON_TYPES:
            raise not_implemented(f"$jsonSchema bsonType '{alias}' (indistinguishable once decoded)")
        else:
            raise CommandError(2, f'Unknown type name alias: {alias}')
    if not names and not all_numbers:
        raise CommandError(9, f"$jsonSchema keyword '{keyword}' must name at least one type")
    return TypeSet(names, all_numbers)


def is_number(value):
    return not isinstance(value, bool) and isinstance(value, (numbers.Number, Decimal128))


def _numeric(value):
    return value.to_decimal() if isinstance(value, Decimal128) else value


def _is_nan(value):
    return value.is_nan() if isinstance(value, decimal.Decimal) else \
        isinstance(value, float) and math.isnan(value)


def compare(value, bound, operator):
    """``value <op> bound`` for numbers as a query comparison does: across int, long,
    double and decimal by value; NaN equals only NaN and is neither less nor greater."""
    value, bound = _numeric(value), _numeric(bound)
    if _is_nan(value) or _is_nan(bound):
        return operator in ('<=', '>=') and _is_nan(value) and _is_nan(bound)
    if operator == '<':
        return value < bound
    if operator == '<=':
        return value <= bound
    if operator == '>':
        return value > bound
    return value >= bound


def unordered_key(value):
    """Equality key ignoring the order of fields in sub-documents, as the comparator of
    ``enum`` and ``uniqueItems`` does (numbers still equal across types)."""
    if isinstance(value, Mapping):
        return ('doc', frozenset((k, unordered_key(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return ('arr', tuple(unordered_key(v) for v in value))
    return equality_key(value)
