"""Cached sort orders of a collection: the stand-in's substitute for indexes.

A collection keeps, per sort specification, all its documents in that order
(ties in natural = insertion order, exactly what a fresh stable sort gives).
An entry is valid for one version of the collection; inserting a new document
updates valid entries in place (binary search + list insert) when all sort
directions agree, every other change makes them stale (re-sorted on next use).
"""

from . import bsonvalues

CACHE_SIZE = 4


class _Order:
    __slots__ = ('version', 'docs', 'keys', 'keyfunc', 'descending')

    def __init__(self, version, docs, keys, keyfunc, descending):
        self.version = version
        self.docs = docs
        self.keys = keys  # None when not incrementally maintainable (mixed directions)
        self.keyfunc = keyfunc
        self.descending = descending

    def insert(self, doc):
        """Place a document appended to the natural order (after equal keys)."""
        key = self.keyfunc(doc)
        keys = self.keys
        lo, hi = 0, len(keys)
        if self.descending:  # first position whose key is smaller
            while lo < hi:
                mid = (lo + hi) // 2
                if keys[mid] < key:
                    hi = mid
                else:
                    lo = mid + 1
        else:  # first position whose key is greater
            while lo < hi:
                mid = (lo + hi) // 2
                if key < keys[mid]:
                    hi = mid
                else:
                    lo = mid + 1
        keys.insert(lo, key)
        self.docs.insert(lo, doc)


def _uniform_keyfunc(sort_spec):
    """(keyfunc, descending) when every direction is the same, else (None, None)."""
    directions = set(sort_spec.values())
    if len(directions) != 1:
        return None, None
    descending = directions.pop() == -1
    fields = list(sort_spec)

    def keyfunc(doc):
        return tuple(bsonvalues.sort_key_for(doc, field, descending) for field in fields)
    return keyfunc, descending


class SortCache:
    def __init__(self):
        self._orders = {}

    def get(self, sort_spec, version, documents):
        """The collection sorted by sort_spec; documents() lists it in natural order."""
        bsonvalues.sort_documents([], sort_spec)  # validates the specification
        cache_key = tuple(sort_spec.items())
        order = self._orders.get(cache_key)
        if order is not None and order.version == version:
            return order.docs
        documents = documents()
        keyfunc, descending = _uniform_keyfunc(sort_spec)
        if keyfunc is None:
            order = _Order(version, bsonvalues.sort_documents(documents, sort_spec), None, None, None)
        else:
            keys = [keyfunc(doc) for doc in documents]
            index = sorted(range(len(documents)), key=keys.__getitem__, reverse=descending)
            order = _Order(version, [documents[i] for i in index], [keys[i] for i in index],
                           keyfunc, descending)
        if len(self._orders) >= CACHE_SIZE and cache_key not in self._orders:
            self._orders.pop(next(iter(self._orders)))
        self._orders[cache_key] = order
        return order.docs

    def appended(self, doc, old_version, new_version):
        """A new document was appended; keep the orders that were current up to date."""
        for order in self._orders.values():
            if order.version == old_version and order.keys is not None:
                order.insert(doc)
                order.version = new_version

    def clear(self):
        self._orders = {}
