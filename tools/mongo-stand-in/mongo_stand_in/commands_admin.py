"""Collection and index administration: createIndexes, dropIndexes, create, collMod, drop,
dropDatabase."""

import numbers

from pymongo.errors import DuplicateKeyError

from bson.int64 import Int64

from . import bsonvalues
from . import validation
from .errors import CommandError, not_implemented, type_mismatch
from .registry import check_collation, collection_name, command

_INDEX_FIELDS = {'key', 'name', 'unique', 'sparse', 'expireAfterSeconds',
                 'partialFilterExpression', 'background', 'v', 'ns', 'collation'}
_INDEX_UNSUPPORTED = {'hidden', 'weights', 'default_language', 'language_override',
                      'textIndexVersion', '2dsphereIndexVersion', 'bits', 'min', 'max',
                      'bucketSize', 'wildcardProjection', 'storageEngine', 'clustered',
                      'prepareUnique', 'columnstoreProjection', 'dropDups'}
_SPECIAL_INDEX_TYPES = {'text', '2d', '2dsphere', 'hashed', 'geoHaystack', 'columnstore'}
_ID_INDEX = {'key': [('_id', 1)]}


def _normalise_index(spec):
    """(name, mongomock index dict) for a createIndexes index specification."""
    if not isinstance(spec, dict):
        raise type_mismatch("BSON field 'createIndexes.indexes' must be an array of objects")
    for field in spec:
        if field in _INDEX_UNSUPPORTED:
            raise not_implemented(f"the index option '{field}'")
        if field not in _INDEX_FIELDS:
            raise CommandError(197, f"The field '{field}' is not valid for an index specification. "
                                    f"Specification: {spec}", code_name='InvalidIndexSpecificationOption')
    check_collation(spec.get('collation'), 'index collation')
    key = spec.get('key')
    if not isinstance(key, dict) or not key:
        raise CommandError(67, "The 'key' field of an index specification must be a non-empty object")
    for field, direction in key.items():
        if isinstance(direction, str):
            if direction in _SPECIAL_INDEX_TYPES:
                raise not_implemented(f"'{direction}' indexes")
            raise CommandError(67, f'Unknown index plugin \'{direction}\'')
        if isinstance(direction, bool) or not isinstance(direction, numbers.Number) or direction == 0:
            raise CommandError(67, f"Values in the index key pattern must be non-zero numbers; got {field}: {direction!r}")
        if field.startswith('$') and field != '$**':
            raise CommandError(67, f"Index key contains an illegal field name: '{field}'")
        if '$**' in field:
            raise not_implemented('wildcard indexes')
    name = spec.get('name')
    if not isinstance(name, str) or not name:
        raise CommandError(9, "The 'name' field is a required property of an index specification")
    index = {'key': list(key.items())}
    if spec.get('unique'):
        index['unique'] = True
    if spec.get('sparse'):
        index['sparse'] = True
    if spec.get('expireAfterSeconds') is not None:
        ttl = spec['expireAfterSeconds']
        if isinstance(ttl, bool) or not isinstance(ttl, numbers.Number) or ttl < 0:
            raise CommandError(2, 'TTL index \'expireAfterSeconds\' option must be a non-negative number')
        index['expireAfterSeconds'] = ttl
    if spec.get('partialFilterExpression') is not None:
        if not isinstance(spec['partialFilterExpression'], dict):
            raise type_mismatch("'partialFilterExpression' must be an object")
        index['partialFilterExpression'] = spec['partialFilterExpression']
    return name, index


def _signature(index, with_options=True):
    sig = [tuple((f, bsonvalues.equality_key(d)) for f, d in index['key'])]
    sig += [bool(index.get('unique')), bool(index.get('sparse')),
            bsonvalues.equality_key(index.get('partialFilterExpression'))]
    if with_options:
        sig.append(bsonvalues.equality_key(index.get('expireAfterSeconds')))
    return tuple(sig)


def _check_against(existing, name, index):
    """True if an identical index exists; raises on a conflicting one."""
    id_key = _signature(index, False)[0] == _signature(_ID_INDEX, False)[0]
    if name == '_id_':
        if _signature(index) == _signature(_ID_INDEX):
            return True
        if not id_key:
            raise CommandError(86, 'An existing index has the same name as the requested index. '
                                   f'Requested index: {index}, existing index: {_ID_INDEX}')
        raise CommandError(197, f'Options {index} are not valid for an _id index specification',
                           code_name='InvalidIndexSpecificationOption')
    if id_key:
        raise CommandError(85, 'Index already exists with a different name: _id_')
    current = existing.get(name)
    if current is not None:
        if _signature(current) == _signature(index):
            return True
        if _signature(current, False)[0] == _signature(index, False)[0]:
            raise CommandError(85, 'An existing index has the same name as the requested index but '
                                   f'different options. Requested index: {index}, existing index: {current}')
        raise CommandError(86, 'An existing index has the same name as the requested index. '
                               f'Requested index: {index}, existing index: {current}')
    for other_name, other in existing.items():
        if _signature(other, False) == _signature(index, False):
            if _signature(other) == _signature(index):
                raise CommandError(85, f'Index already exists with a different name: {other_name}')
            raise CommandError(85, 'An equivalent index already exists with a different name and '
                                   f'options. Requested index: {index}, existing index: {other}')
    return False


@command('createIndexes', fields=('indexes', 'commitQuorum', 'ignoreUnknownIndexOptions'))
def create_indexes(engine, db_name, cmd):
    coll_name = collection_name(cmd, 'createIndexes')
    specs = cmd.get('indexes')
    if not isinstance(specs, list) or not specs:
        raise CommandError(2, 'Must specify at least one index to create')
    store = engine.collection_store(db_name, coll_name)
    created_automatically = store is None
    existing = dict(store.indexes) if store is not None else {}
    before = 1 + len(existing)
    to_create = []
    for spec in specs:
        name, index = _normalise_index(spec)
        if not _check_against(existing, name, index):
            existing[name] = index
            to_create.append((name, index))
    if store is None:
        store = engine.collection(db_name, coll_name)._store
        store.create()
    built = []
    try:
        for name, index in to_create:
            store.create_index(name, index)
            built.append(name)
    except DuplicateKeyError as exc:
        for name in built:
            store.drop_index(name)
        details = exc.details or {}
        raise CommandError(11000, f'Index build failed: E11000 duplicate key error collection: '
                                  f'{db_name}.{coll_name} index: {to_create[len(built)][0]} '
                                  f'dup key: {bsonvalues.render(details.get("keyValue"))}',
                           extra={k: details[k] for k in ('keyPattern', 'keyValue') if k in details}) from exc
    reply = {'numIndexesBefore': before, 'numIndexesAfter': 1 + len(store.indexes),
             'createdCollectionAutomatically': created_automatically}
    if not to_create:
        reply['note'] = 'all indexes already exist'
    reply['ok'] = 1.0
    return reply


@command('dropIndexes', 'deleteIndexes', fields=('index',))
def drop_indexes(engine, db_name, cmd):
    name = next(iter(cmd))
    coll_name = collection_name(cmd, name)
    store = engine.collection_store(db_name, coll_name)
    if store is None:
        raise CommandError(26, f'ns not found {db_name}.{coll_name}')
    was = 1 + len(store.indexes)
    target = cmd.get('index')
    if target == '*':
        names = list(store.indexes)
    elif isinstance(target, str):
        names = [target]
    elif isinstance(target, list) and all(isinstance(t, str) for t in target):
        names = target
    elif isinstance(target, dict):
        wanted = [(f, bsonvalues.equality_key(d)) for f, d in target.items()]
        names = [n for n, ix in store.indexes.items()
                 if [(f, bsonvalues.equality_key(d)) for f, d in ix['key']] == wanted]
        if not names:
            if list(target) == ['_id']:
                raise CommandError(72, 'cannot drop _id index')
            raise CommandError(27, f"can't find index with key: {target}")
    else:
        raise type_mismatch("BSON field 'dropIndexes.index' must be a string, an array or an object")
    for index_name in names:
        if index_name == '_id_':
            raise CommandError(72, 'cannot drop _id index')
        if index_name not in store.indexes:
            raise CommandError(27, f'index not found with name [{index_name}]')
    for index_name in names:
        store.drop_index(index_name)
    return {'nIndexesWas': was, 'ok': 1.0}


_CREATE_UNSUPPORTED = ('capped', 'size', 'max', 'timeseries', 'expireAfterSeconds', 'clusteredIndex',
                       'viewOn', 'pipeline', 'changeStreamPreAndPostImages', 'storageEngine',
                       'indexOptionDefaults', 'idIndex', 'encryptedFields', 'autoIndexId', 'flags',
                       'temp')


@command('create', fields=('collation',) + validation.FIELDS, unsupported=_CREATE_UNSUPPORTED)
def create(engine, db_name, cmd):
    coll_name = collection_name(cmd, 'create')
    requested = validation.parse_options(cmd, 'create')
    store = engine.collection_store(db_name, coll_name)
    if store is not None:
        # mongod 7.0: creating an existing collection with the same options succeeds
        if validation.same_options(store, requested):
            return {'ok': 1.0}
        shown = bsonvalues.render(dict(uuid=store.uuid, **validation.listed_options(store)))
        raise CommandError(48, f'namespace {db_name}.{coll_name} already exists, but with '
                               f'different options: {shown}')
    validation.check_namespace(db_name, coll_name, requested)
    prepared = validation.prepare(None, requested)
    store = engine.collection(db_name, coll_name)._store
    store.create()
    validation.apply(store, prepared)
    return {'ok': 1.0}


def _ttl_change(store, spec, ns):
    """collMod's ``index: {name | keyPattern, expireAfterSeconds}``: (index, new value)."""
    if not isinstance(spec, dict):
        raise type_mismatch(f"BSON field 'collMod.index' is the wrong type "
                            f"'{type(spec).__name__}', expected type 'object'")
    for field in spec:
        if field in ('hidden', 'unique', 'prepareUnique', 'forceNonUnique'):
            raise not_implemented(f"collMod index option '{field}'")
        if field not in ('name', 'keyPattern', 'expireAfterSeconds'):
            raise CommandError(40415, f"BSON field 'collMod.index.{field}' is an unknown field.")
    if ('name' in spec) == ('keyPattern' in spec):
        raise CommandError(72, 'cannot specify both key pattern and name' if 'name' in spec
                           else 'no name or key pattern specified')
    if 'expireAfterSeconds' not in spec:
        raise CommandError(72, 'no expireAfterSeconds or hidden or unique field')
    indexes = dict(store.indexes, _id_=_ID_INDEX)
    if 'name' in spec:
        index, shown = indexes.get(spec['name']), spec['name']
    else:
        if not isinstance(spec['keyPattern'], dict):
            raise type_mismatch("BSON field 'collMod.index.keyPattern' is the wrong type, "
                                "expected type 'object'")
        wanted = [(f, bsonvalues.equality_key(d)) for f, d in spec['keyPattern'].items()]
        index = next((ix for ix in indexes.values()
                      if [(f, bsonvalues.equality_key(d)) for f, d in ix['key']] == wanted), None)
        shown = bsonvalues.render(spec['keyPattern'])
    if index is None:
        raise CommandError(27, f'cannot find index {shown} for ns {ns}')
    seconds = spec['expireAfterSeconds']
    if isinstance(seconds, bool) or not isinstance(seconds, numbers.Number):
        raise type_mismatch("BSON field 'collMod.index.expireAfterSeconds' is the wrong type, "
                            "expected type 'long'")
    if seconds < 0:
        raise CommandError(2, 'TTL index \'expireAfterSeconds\' option must be a non-negative number')
    if index.get('expireAfterSeconds') is None:
        raise CommandError(72, 'no expireAfterSeconds field to update')
    return index, int(seconds)


@command('collMod', fields=validation.FIELDS + ('index',),
         unsupported=('viewOn', 'pipeline', 'expireAfterSeconds', 'changeStreamPreAndPostImages',
                      'timeseries', 'dryRun', 'cappedSize', 'cappedMax', 'recordPreImages',
                      'clusteredIndex', 'usePowerOf2Sizes', 'noPadding'))
def coll_mod(engine, db_name, cmd):
    coll_name = collection_name(cmd, 'collMod')
    requested = validation.parse_options(cmd, 'collMod')
    store = engine.collection_store(db_name, coll_name)
    if store is None:
        raise CommandError(26, 'ns does not exist')
    validation.check_namespace(db_name, coll_name, requested)
    ttl = _ttl_change(store, cmd['index'], f'{db_name}.{coll_name}') if 'index' in cmd else None
    prepared = validation.prepare(store, requested, coll_mod=True)  # nothing changes on error
    reply = {}
    if ttl is not None:
        index, seconds = ttl
        if index['expireAfterSeconds'] != seconds:
            reply = {'expireAfterSeconds_old': Int64(index['expireAfterSeconds']),
                     'expireAfterSeconds_new': Int64(seconds)}
            index['expireAfterSeconds'] = seconds  # the same dict drives the TTL scan
    validation.apply(store, prepared)
    reply['ok'] = 1.0
    return reply


@command('drop')
def drop(engine, db_name, cmd):
    coll_name = collection_name(cmd, 'drop')
    store = engine.collection_store(db_name, coll_name)
    if store is None:
        return {'ok': 1.0}  # MongoDB 7.0: dropping a missing collection succeeds
    was = 1 + len(store.indexes)
    store.drop()
    engine.client._store[db_name]._collections.pop(coll_name, None)
    engine.cursors.kill_namespace(db_name, coll_name)
    return {'nIndexesWas': was, 'ns': f'{db_name}.{coll_name}', 'ok': 1.0}


@command('dropDatabase')
def drop_database(engine, db_name, cmd):
    engine.drop_database(db_name)
    return {'ok': 1.0}
