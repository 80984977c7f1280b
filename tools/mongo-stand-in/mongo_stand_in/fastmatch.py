"""Compiled matcher for simple filters (mongomock's matcher costs ~50 us/doc/clause).

Handled: fields, top-level or dotted paths through sub-documents (``target.id``),
compared to scalars with implicit equality,
$eq/$ne/$lt/$lte/$gt/$gte/$in/$nin/$exists, combined with $and/$or/$nor. The
semantics are MongoDB's: comparisons only within a type bracket, null matches
missing, numbers compare across int/long/double/decimal, booleans are not
numbers; a path through a missing field is missing. Any other filter uses
mongomock's matcher, and so does any document with an array or a scalar on the
tested path, or whose tested field holds an array or a sub-document.
"""

import datetime
import operator

from bson.binary import Binary
from bson.decimal128 import Decimal128
from bson.objectid import ObjectId
from mongomock import filtering
from sentinels import NOTHING

from .bsonvalues import compare_key, equality_key

_SCALARS = (str, int, float, bool, datetime.datetime, Binary, bytes, ObjectId, Decimal128)
_RANGE_OPS = {'$lt': operator.lt, '$lte': operator.le, '$gt': operator.gt, '$gte': operator.ge}


class _Fallback(Exception):
    """The document needs mongomock's general matcher."""


def _is_scalar(value, allow_null=True):
    return (value is None and allow_null) or isinstance(value, _SCALARS)


def _lookup(doc, path):
    """The value at a path (a tuple of keys), NOTHING if missing. Arrays and scalars on the
    way fall back to mongomock (array traversal; and mongomock's view of a path through a
    scalar is what the stand-in has always answered)."""
    value = doc
    for key in path:
        if value is NOTHING:
            return NOTHING
        if not isinstance(value, dict):
            raise _Fallback
        value = value.get(key, NOTHING)
    return value


def _value(doc, path):
    value = _lookup(doc, path)
    if isinstance(value, (list, dict)):
        raise _Fallback
    return value


def _eq(path, query):
    qkey = equality_key(query)
    return lambda doc: equality_key(_value(doc, path)) == qkey


def _range(path, op, query):
    qkey = compare_key(query)
    rank = qkey[0]

    def test(doc):
        value = _value(doc, path)
        if value is NOTHING:
            return False
        key = compare_key(value)
        return key[0] == rank and op(key, qkey)
    return test


def _compile_operator(path, op, query):
    if op == '$exists':
        wanted = bool(query)
        return lambda doc: (_lookup(doc, path) is not NOTHING) == wanted
    if op in ('$in', '$nin'):
        if not isinstance(query, list) or not all(_is_scalar(q) for q in query):
            return None
        keys = {equality_key(q) for q in query}
        if op == '$in':
            return lambda doc: equality_key(_value(doc, path)) in keys
        return lambda doc: equality_key(_value(doc, path)) not in keys
    if op in ('$eq', '$ne'):
        if not _is_scalar(query):
            return None
        test = _eq(path, query)
        return test if op == '$eq' else (lambda doc: not test(doc))
    if op in _RANGE_OPS:
        if not _is_scalar(query, allow_null=False):
            return None
        if isinstance(query, float) and query != query:  # NaN
            return None
        return _range(path, _RANGE_OPS[op], query)
    return None


def _compile_field(path, condition):
    if isinstance(condition, dict):
        if not condition or not all(k.startswith('$') for k in condition):
            return None
        tests = [_compile_operator(path, op, query) for op, query in condition.items()]
        if any(t is None for t in tests):
            return None
        if len(tests) == 1:
            return tests[0]
        return lambda doc: all(t(doc) for t in tests)
    if _is_scalar(condition):
        return _eq(path, condition)
    return None


def compile_filter(filter_):
    """A predicate doc -> bool (may raise _Fallback), or None if not compilable."""
    if not isinstance(filter_, dict):
        return None
    tests = []
    for key, condition in filter_.items():
        if key in ('$and', '$or', '$nor'):
            if not isinstance(condition, list) or not condition:
                return None
            subs = [compile_filter(sub) for sub in condition]
            if any(s is None for s in subs):
                return None
            if key == '$and':
                tests.append(lambda doc, subs=subs: all(s(doc) for s in subs))
            elif key == '$or':
                tests.append(lambda doc, subs=subs: any(s(doc) for s in subs))
            else:
                tests.append(lambda doc, subs=subs: not any(s(doc) for s in subs))
        else:
            path = tuple(key.split('.'))
            if not all(part and not part.startswith('$') for part in path):
                return None
            test = _compile_field(path, condition)
            if test is None:
                return None
            tests.append(test)
    if len(tests) == 1:
        return tests[0]
    return lambda doc: all(t(doc) for t in tests)


def matcher(filter_, compiled=None):
    """doc -> bool with MongoDB filter semantics (compiled when possible)."""
    if compiled is None:
        compiled = compile_filter(filter_)
    if compiled is None:
        return lambda doc: filtering.filter_applies(filter_, doc)

    def match(doc):
        try:
            return compiled(doc)
        except _Fallback:
            return filtering.filter_applies(filter_, doc)
    return match
