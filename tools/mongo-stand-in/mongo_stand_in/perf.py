"""Fixes for mongomock 4.3.0's quadratic paths (and the duplicate-key details).

* Unique indexes: mongomock re-scans the whole collection with a query for every
  inserted/updated document. Here every unique index keeps a hash map
  (equality key -> store keys), maintained by the collection store itself.
* TTL: mongomock scans the collection for expired documents on *every* store
  access (each ``in``, ``len``, lookup...). Here the scan runs at most once per
  ``TTL_SCAN_INTERVAL`` seconds per collection: 60 s, MongoDB's own TTL monitor
  cadence (server.py's --ttl-monitor-seconds). A scan reads every document, so a
  shorter interval costs a growing share of the process as a collection grows
  (at 1 s: 43% of the CPU with 250,000 activity events in a soak).
* ``_id`` lookups: a filter ``{_id: <scalar>, ...}`` reads the one candidate
  from the store's dict instead of matching every document.
* Sorted queries: the full sort order of a collection is cached per sort
  specification (sortcache.py: kept up to date on inserts, recomputed after
  other writes), so a page costs a filtered walk of that order up to
  skip+limit matches instead of a sort of the collection.
* Empty filters skip the per-document matcher; simple filters are compiled
  (fastmatch.py) instead of being interpreted by mongomock for every document.

Everything here is written against mongomock 4.3.0 internals; server.py refuses
to start with any other version.
"""

import time
import uuid
from collections.abc import Mapping

import mongomock
from bson.binary import Binary
from bson.objectid import ObjectId
from mongomock import collection as mm_collection
from mongomock import filtering, helpers, store as mm_store
from pymongo.errors import DuplicateKeyError, WriteError
from sentinels import NOTHING

from . import bsonvalues
from . import fastmatch
from . import sortcache
from . import validation

TTL_SCAN_INTERVAL = 60.0  # seconds; server.py sets it from --ttl-monitor-seconds
_FAST_ID_TYPES = (str, int, float, bytes, ObjectId)


class UnsupportedIndexValue(DuplicateKeyError):
    """A value a unique index cannot hold faithfully (arrays: multikey indexes).

    Subclasses DuplicateKeyError so that mongomock's update path rolls back."""

    def __init__(self, index_name):
        msg = (f'unique index {index_name!r} over array values (multikey unique index) '
               'is not supported by the MongoDB stand-in')
        super().__init__(msg, 238, {'errmsg': msg})


def duplicate_key_error(ns, index_name, key_pattern, key_value):
    rendered = bsonvalues.render(key_value)
    msg = (f'E11000 duplicate key error collection: {ns} index: {index_name} '
           f'dup key: {rendered}')
    return DuplicateKeyError(msg, 11000, {
        'errmsg': msg, 'keyPattern': key_pattern, 'keyValue': key_value})


def store_key(doc_id):
    return helpers.hashdict(doc_id) if isinstance(doc_id, dict) else doc_id


class UniqueIndex:
    """Hash map over the documents of one unique index."""

    def __init__(self, name, index_dict):
        self.name = name
        self.fields = [field for field, _direction in index_dict['key']]
        self.key_pattern = dict(index_dict['key'])
        self.sparse = bool(index_dict.get('sparse'))
        self.partial = index_dict.get('partialFilterExpression')
        self.by_key = {}   # equality key -> set of store keys
        self.key_of = {}   # store key -> (equality key, key value document)

    def _field_value(self, doc, path):
        value = doc
        for part in path.split('.'):
            if isinstance(value, list):
                raise UnsupportedIndexValue(self.name)
            value = value.get(part, NOTHING) if isinstance(value, dict) else NOTHING
            if value is NOTHING:
                return NOTHING
        if isinstance(value, list):
            raise UnsupportedIndexValue(self.name)
        return value

    def entry(self, doc):
        """(equality key, keyValue document) or None when the document is not indexed."""
        values = [self._field_value(doc, field) for field in self.fields]
        if self.sparse and all(v is NOTHING for v in values):
            return None
        if self.partial is not None and not filtering.filter_applies(self.partial, doc):
            return None
        eq_key = tuple(bsonvalues.equality_key(v) for v in values)
        key_value = {f: (None if v is NOTHING else v) for f, v in zip(self.fields, values)}
        return eq_key, key_value

    def add(self, skey, entry):
        self.remove(skey)
        if entry is not None:
            self.by_key.setdefault(entry[0], set()).add(skey)
            self.key_of[skey] = entry

    def remove(self, skey):
        entry = self.key_of.pop(skey, None)
        if entry is not None:
            holders = self.by_key[entry[0]]
            holders.discard(skey)
            if not holders:
                del self.by_key[entry[0]]

    def conflict(self, skey):
        """keyValue of the entry of skey if another document holds the same key."""
        entry = self.key_of.get(skey)
        if entry is not None and len(self.by_key[entry[0]]) > 1:
            return entry[1]
        return None


class FastCollectionStore(mm_store.CollectionStore):
    """CollectionStore with hash-indexed unique indexes and a throttled TTL scan."""

    def __init__(self, name):
        self.version = 0  # bumped on every change of the documents
        self.sort_cache = sortcache.SortCache()
        super().__init__(name)
        self.unique = {}
        self._ttl_last_scan = 0.0
        self.uuid = Binary.from_uuid(uuid.uuid4())
        self.validation_options = {}  # validation.py: create/collMod options
        self.validator = None

    # mongomock's drop_indexes() assigns ``indexes = {}`` directly
    @property
    def indexes(self):
        return self._indexes

    @indexes.setter
    def indexes(self, value):
        self._indexes = value
        self.unique = {}
        self._ttl_indexes = {}
        for name, index_dict in value.items():
            self._register(name, index_dict)

    def _register(self, name, index_dict):
        if index_dict.get('unique'):
            index = UniqueIndex(name, index_dict)
            for skey, doc in self._documents.items():
                index.add(skey, index.entry(doc))
                key_value = index.conflict(skey)
                if key_value is not None:
                    raise duplicate_key_error(
                        f'<collection {self.name}>', name, index.key_pattern, key_value)
            self.unique[name] = index
        if index_dict.get('expireAfterSeconds') is not None:
            self._ttl_indexes[name] = index_dict

    def create_index(self, index_name, index_dict):
        self._register(index_name, index_dict)  # may raise before anything is stored
        self._indexes[index_name] = index_dict

    def drop_index(self, index_name):
        super().drop_index(index_name)
        self.unique.pop(index_name, None)

    def drop(self):
        super().drop()
        self.unique = {}
        self.validation_options, self.validator = {}, None
        self.version += 1

    def entries_for(self, doc):
        return {name: index.entry(doc) for name, index in self.unique.items()}

    def __setitem__(self, key, val):
        entries = self.entries_for(val)  # may raise UnsupportedIndexValue: nothing stored yet
        is_new = key not in self._documents
        self._documents[key] = val
        self.version += 1
        if is_new:
            self.sort_cache.appended(val, self.version - 1, self.version)
        self._is_force_created = True  # emptying a collection does not drop it
        for name, entry in entries.items():
            self.unique[name].add(key, entry)

    def __delitem__(self, key):
        del self._documents[key]
        self.version += 1
        for index in self.unique.values():
            index.remove(key)

    def reindex(self, key, doc):
        """Re-index a document that was modified in place (mongomock's update path)."""
        entries = self.entries_for(doc)
        self.version += 1
        for name, entry in entries.items():
            self.unique[name].add(key, entry)

    def sorted_documents(self, sort_spec):
        """All documents in sort order; cached until the next change (like an index)."""
        self._remove_expired_documents()
        return self.sort_cache.get(sort_spec, self.version, lambda: list(self._documents.values()))

    def _remove_expired_documents(self):
        if not self._ttl_indexes:
            return
        now = time.monotonic()
        if now - self._ttl_last_scan < TTL_SCAN_INTERVAL:
            return
        self._ttl_last_scan = now
        super()._remove_expired_documents()

    def get(self, key):
        self._remove_expired_documents()
        return self._documents.get(key)


def _check_unique_conflicts(coll, skey):
    for name, index in coll._store.unique.items():
        key_value = index.conflict(skey)
        if key_value is not None:
            raise duplicate_key_error(coll.full_name, name, index.key_pattern, key_value)


def _ensure_uniques(self, new_data):
    """Replacement for Collection._ensure_uniques, which mongomock's update path calls
    after modifying a document in place: validate it, re-index it, then check the unique
    indexes, O(1) per index."""
    validation.check(self, new_data, update=True)
    skey = store_key(new_data['_id'])
    self._store.reindex(skey, new_data)
    _check_unique_conflicts(self, skey)


_original_insert = mm_collection.Collection._insert


def _insert(self, data, session=None, ordered=True):
    """Replacement for Collection._insert (single document path)."""
    if not isinstance(data, Mapping):
        return _original_insert(self, data, session=session, ordered=ordered)
    if '_id' not in data:
        data['_id'] = ObjectId()
    doc_id = data['_id']
    if isinstance(doc_id, list):
        raise WriteError("can't use an array for _id", 2)
    if next(iter(data)) != '_id':  # the server stores _id as the first field
        reordered = {'_id': doc_id}
        reordered.update((k, v) for k, v in data.items() if k != '_id')
        data.clear()
        data.update(reordered)
    validation.check(self, data, update=False)  # before any duplicate key, as in mongod
    st = self._store
    skey = store_key(doc_id)
    if st.get(skey) is not None:
        raise duplicate_key_error(self.full_name, '_id_', {'_id': 1}, {'_id': doc_id})
    st[skey] = data  # indexes the new document
    try:
        _check_unique_conflicts(self, skey)
    except DuplicateKeyError:
        del st[skey]
        raise
    return doc_id


_original_iter_documents = mm_collection.Collection._iter_documents


def _iter_documents(self, filter):
    return validation.observe(self._store, _matching_documents(self, filter))


def _matching_documents(self, filter):
    st = self._store
    if not filter:
        if filter is None or isinstance(filter, dict):
            return iter(list(st.documents))
    elif isinstance(filter, dict) and '_id' in filter:
        doc_id = filter['_id']
        if isinstance(doc_id, _FAST_ID_TYPES) and not isinstance(doc_id, bool):
            doc = st.get(doc_id)
            if doc is None:
                filtering.filter_applies(filter, {})  # still validate the filter
                return iter(())
            return iter([doc] if filtering.filter_applies(filter, doc) else [])
    compiled = fastmatch.compile_filter(filter)
    if compiled is None or st.is_empty:
        return _original_iter_documents(self, filter)  # validates the filter too
    match = fastmatch.matcher(filter, compiled)
    return (doc for doc in list(st.documents) if match(doc))


def install():
    mm_store.CollectionStore = FastCollectionStore
    mm_collection.Collection._ensure_uniques = _ensure_uniques
    mm_collection.Collection._insert = _insert
    mm_collection.Collection._iter_documents = _iter_documents
    mongomock.SERVER_VERSION = '7.0'
