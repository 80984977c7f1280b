"""Query execution over a mongomock collection: match, sort, skip/limit, project.

mongomock's own Cursor deep-copies and sorts the entire matching set before
applying skip/limit; here only the selected documents are copied/encoded,
sorting uses MongoDB's BSON order (bsonvalues.sort_documents) and sorted
queries walk the collection's cached sort order (perf.FastCollectionStore).
"""

import itertools
import numbers

from mongomock import filtering
from mongomock.collection import _copy_field

from . import bsonvalues
from . import fastmatch
from .errors import CommandError, bad_value, not_implemented


def matching(coll, query):
    """Stored documents (not copies) matching a filter, in natural order."""
    if query is None:
        query = {}
    if not isinstance(query, dict):
        raise bad_value('the match filter must be an expression in an object')
    return coll._iter_documents(query)


def run_query(coll, query, sort=None, skip=0, limit=0):
    """Stored documents matching query, sorted, skipped and limited (limit 0: none)."""
    if query is None:
        query = {}
    stop = skip + limit if limit else None
    if sort and list(sort) != ['$natural'] and not _is_id_lookup(query):
        store = coll._store
        ordered = store.sorted_documents(sort)
        if not query:
            return ordered[skip:stop]
        if not ordered:
            filtering.filter_applies(query, {})  # still validate the filter
            return []
        match = fastmatch.matcher(query)
        return list(itertools.islice((d for d in ordered if match(d)), skip, stop))
    docs = matching(coll, query)
    if sort and list(sort) == ['$natural']:
        docs = list(docs)
        if sort['$natural'] < 0:
            docs.reverse()
    elif sort:  # _id lookup: at most one candidate
        docs = bsonvalues.sort_documents(docs, sort)
    return list(itertools.islice(docs, skip, stop))


def _is_id_lookup(query):
    return isinstance(query, dict) and '_id' in query and not isinstance(query['_id'], dict)


def validate_projection(projection):
    """Normalised find projection (None for "whole document"); refuses what mongomock
    would not reproduce faithfully."""
    if not projection:
        return None
    normalised = {}
    for field, value in projection.items():
        if field.endswith('.$'):
            raise not_implemented('positional projection ($)')
        if isinstance(value, (bool, numbers.Number)):
            normalised[field] = 1 if value else 0
        elif isinstance(value, dict) and value and set(value) <= {'$slice', '$elemMatch'}:
            normalised[field] = value
        elif isinstance(value, dict) and '$meta' in value:
            raise not_implemented(f'projection {field}: {value!r} ($meta)')
        else:
            raise not_implemented(
                f'projection {field}: {value!r} (aggregation expressions in find projections)')
    return normalised


def project(coll, doc, projection):
    """Copy of doc restricted by a (validated) find projection."""
    if not projection:
        return _copy_field(doc, dict)
    try:
        return coll._copy_only_fields(doc, dict(projection), dict)
    except ValueError as exc:
        raise CommandError(31254, str(exc)) from exc
