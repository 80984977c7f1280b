"""Query-matching fixes for mongomock 4.3.0.

mongomock compares BinData by length then bytes, ignoring the subtype; MongoDB
compares length, then subtype, then bytes. Comparisons ($lt/$gt/...) and
mongomock's own sorts go through ``filtering.bson_compare``, patched here.
"""

from mongomock import filtering

from . import bsonvalues

_original_bson_compare = filtering.bson_compare


def bson_compare(op, a, b, can_compare_types=True):
    if isinstance(a, bytes) and isinstance(b, bytes):
        return op(bsonvalues.compare_key(a), bsonvalues.compare_key(b))
    return _original_bson_compare(op, a, b, can_compare_types)


def install():
    filtering.bson_compare = bson_compare
