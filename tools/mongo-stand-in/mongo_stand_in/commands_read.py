"""Read commands: find, getMore, killCursors, aggregate, count, distinct,
listCollections, listIndexes, listDatabases."""

import bson
from bson.int64 import Int64
from mongomock import aggregate as mm_aggregate
from mongomock import filtering
from mongomock.collection import _copy_field
from sentinels import NOTHING

from . import bsonvalues
from . import merge
from . import query
from . import registry
from . import validation
from .errors import CommandError, not_implemented, type_mismatch
from .registry import bool_arg, collection_name, command, doc_arg, int_arg


def _cursor_reply(cursor_doc):
    return {'cursor': cursor_doc, 'ok': 1.0}


def _encode_all(coll, docs, projection):
    if projection:
        return [bson.encode(query.project(coll, doc, projection)) for doc in docs]
    return [bson.encode(doc) for doc in docs]


@command('find',
         fields=('filter', 'projection', 'sort', 'hint', 'skip', 'limit', 'batchSize',
                 'singleBatch', 'noCursorTimeout', 'allowPartialResults', 'allowDiskUse',
                 'collation', 'readOnce'),
         unsupported=('tailable', 'awaitData', 'oplogReplay', 'returnKey', 'showRecordId',
                      'min', 'max', 'let', 'term'))
def find(engine, db_name, cmd):
    coll_name = collection_name(cmd, 'find')
    filter_ = doc_arg(cmd, 'filter', {})
    sort = doc_arg(cmd, 'sort')
    projection = query.validate_projection(doc_arg(cmd, 'projection'))
    skip = int_arg(cmd, 'skip', 0, minimum=0)
    limit = int_arg(cmd, 'limit', 0)
    batch_size = int_arg(cmd, 'batchSize', None, minimum=0)
    single_batch = bool_arg(cmd, 'singleBatch')
    if limit < 0:  # legacy negative limit: one batch of at most |limit| documents
        limit, single_batch = -limit, True
        batch_size = limit if batch_size is None else min(batch_size, limit)
    ns = f'{db_name}.{coll_name}'
    if engine.collection_store(db_name, coll_name) is None:
        filtering.filter_applies(filter_, {})  # still reject an invalid filter
        return _cursor_reply({'firstBatch': [], 'id': Int64(0), 'ns': ns})
    coll = engine.collection(db_name, coll_name)
    docs = query.run_query(coll, filter_, sort, skip, limit)
    encoded = _encode_all(coll, docs, projection)
    return _cursor_reply(engine.cursors.open(ns, encoded, batch_size, single_batch))


@command('getMore', fields=('collection', 'batchSize'), unsupported=('term', 'lastKnownCommittedOpTime'))
def get_more(engine, db_name, cmd):
    cursor_id = cmd['getMore']
    if isinstance(cursor_id, bool) or not isinstance(cursor_id, int):
        raise type_mismatch("BSON field 'getMore.getMore' is the wrong type, expected type 'long'")
    coll_name = cmd.get('collection')
    if not isinstance(coll_name, str):
        raise type_mismatch("BSON field 'getMore.collection' is missing or not a string")
    batch_size = int_arg(cmd, 'batchSize', None, minimum=0) or None
    result = engine.cursors.get_more(int(cursor_id), f'{db_name}.{coll_name}', batch_size)
    return _cursor_reply(result)


@command('killCursors', fields=('cursors',))
def kill_cursors(engine, db_name, cmd):
    coll_name = collection_name(cmd, 'killCursors')
    ids = cmd.get('cursors')
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        raise type_mismatch("BSON field 'killCursors.cursors' must be an array of longs")
    reply = engine.cursors.kill(f'{db_name}.{coll_name}', [int(i) for i in ids])
    reply['ok'] = 1.0
    return reply


def _validate_pipeline(pipeline):
    if not isinstance(pipeline, list):
        raise type_mismatch("'pipeline' option must be specified as an array")
    for stage in pipeline:
        if not isinstance(stage, dict) or len(stage) != 1:
            raise CommandError(40323, 'A pipeline stage specification object must contain exactly one field.')
        name = next(iter(stage))
        if name == '$out':
            raise not_implemented('the $out stage')
        if name not in mm_aggregate._PIPELINE_HANDLERS:
            if name.startswith('$'):
                raise not_implemented(f"the pipeline stage '{name}'")
            raise CommandError(40324, f"Unrecognized pipeline stage name: '{name}'")


def run_pipeline(engine, db_name, coll_name, pipeline):
    store = engine.collection_store(db_name, coll_name)
    if store is None:
        docs = []
    else:
        coll = engine.collection(db_name, coll_name)
        first_match = pipeline and '$match' in pipeline[0]
        docs = query.matching(coll, pipeline[0]['$match'] if first_match else {})
        if first_match:
            pipeline = pipeline[1:]
        # stages may modify documents in place: work on copies
        docs = [_copy_field(doc, dict) for doc in docs]
    result = mm_aggregate.process_pipeline(docs, engine.database(db_name), pipeline, None)
    return list(result)


@command('aggregate',
         fields=('pipeline', 'cursor', 'allowDiskUse', 'hint', 'collation',
                 'bypassDocumentValidation'),
         unsupported=('explain', 'let', 'exchange', 'fromMongos', 'needsMerge',
                      'isMapReduceCommand', 'runtimeConstants'))
def aggregate(engine, db_name, cmd):
    target = cmd['aggregate']
    if not isinstance(target, str):
        raise not_implemented('database-level aggregation (aggregate: 1)')
    coll_name = collection_name(cmd, 'aggregate')
    pipeline = cmd.get('pipeline')
    _validate_pipeline(pipeline)
    pipeline, merge_argument = merge.split(pipeline)
    target = merge.parse(engine, db_name, merge_argument) if merge_argument is not None else None
    cursor_opts = cmd.get('cursor')
    if not isinstance(cursor_opts, dict):
        raise CommandError(9, "The 'cursor' option is required, except for aggregate with the explain argument")
    batch_size = int_arg(cursor_opts, 'batchSize', None, minimum=0)
    docs = run_pipeline(engine, db_name, coll_name, pipeline)
    ns = f'{db_name}.{coll_name}'
    if target is None:
        return _cursor_reply(engine.cursors.open(ns, [bson.encode(doc) for doc in docs], batch_size))
    limit = registry.current_time_limit()
    if limit is not None:
        limit.check()  # over the limit: nothing written; once writing, the merge completes
    with validation.bypassed(bool_arg(cmd, 'bypassDocumentValidation')):
        merge.apply(engine, db_name, target, docs)
    if limit is not None:
        limit.committed = True
    return _cursor_reply({'firstBatch': [], 'id': Int64(0), 'ns': ns})


@command('count', fields=('query', 'limit', 'skip', 'hint', 'collation', 'fields'))
def count(engine, db_name, cmd):
    coll_name = collection_name(cmd, 'count')
    filter_ = doc_arg(cmd, 'query', {})
    skip = int_arg(cmd, 'skip', 0, minimum=0)
    limit = abs(int_arg(cmd, 'limit', 0))
    if engine.collection_store(db_name, coll_name) is None:
        return {'n': 0, 'ok': 1.0}
    coll = engine.collection(db_name, coll_name)
    total = sum(1 for _ in query.matching(coll, filter_))
    n = max(0, total - skip)
    if limit:
        n = min(n, limit)
    return {'n': n, 'ok': 1.0}


@command('distinct', fields=('key', 'query', 'hint', 'collation'))
def distinct(engine, db_name, cmd):
    coll_name = collection_name(cmd, 'distinct')
    key = cmd.get('key')
    if not isinstance(key, str) or not key:
        raise type_mismatch("BSON field 'distinct.key' must be a non-empty string")
    filter_ = doc_arg(cmd, 'query', {})
    values = {}
    if engine.collection_store(db_name, coll_name) is not None:
        coll = engine.collection(db_name, coll_name)
        for doc in query.matching(coll, filter_):
            for value in bsonvalues.path_values(doc, key):
                for item in (value if isinstance(value, list) else [value]):
                    if item is not NOTHING:
                        values.setdefault(bsonvalues.equality_key(item), item)
    return {'values': list(values.values()), 'ok': 1.0}


def _collection_info(engine, db_name, name, name_only):
    if name_only:
        return {'name': name, 'type': 'collection'}
    store = engine.collection_store(db_name, name)
    return {
        'name': name,
        'type': 'collection',
        'options': validation.listed_options(store),
        'info': {'readOnly': False, 'uuid': store.uuid},
        'idIndex': {'v': 2, 'key': {'_id': 1}, 'name': '_id_'},
    }


@command('listCollections', fields=('filter', 'nameOnly', 'authorizedCollections', 'cursor'))
def list_collections(engine, db_name, cmd):
    filter_ = doc_arg(cmd, 'filter', {})
    name_only = bool_arg(cmd, 'nameOnly')
    batch_size = int_arg(doc_arg(cmd, 'cursor', {}), 'batchSize', None, minimum=0)
    infos = [_collection_info(engine, db_name, name, name_only)
             for name in sorted(engine.collection_names(db_name))]
    infos = [info for info in infos if filtering.filter_applies(filter_, info)]
    ns = f'{db_name}.$cmd.listCollections'
    return _cursor_reply(engine.cursors.open(ns, infos, batch_size))


def index_documents(store):
    docs = [{'v': 2, 'key': {'_id': 1}, 'name': '_id_'}]
    for name, index in store.indexes.items():
        doc = {'v': 2, 'key': dict(index['key']), 'name': name}
        for option in ('unique', 'sparse', 'expireAfterSeconds', 'partialFilterExpression'):
            if option in index:
                doc[option] = index[option]
        docs.append(doc)
    return docs


@command('listIndexes', fields=('cursor',))
def list_indexes(engine, db_name, cmd):
    coll_name = collection_name(cmd, 'listIndexes')
    store = engine.collection_store(db_name, coll_name)
    if store is None:
        raise CommandError(26, f'ns does not exist: {db_name}.{coll_name}')
    batch_size = int_arg(doc_arg(cmd, 'cursor', {}), 'batchSize', None, minimum=0)
    return _cursor_reply(engine.cursors.open(f'{db_name}.{coll_name}', index_documents(store), batch_size))


@command('listDatabases', fields=('filter', 'nameOnly', 'authorizedDatabases'))
def list_databases(engine, db_name, cmd):
    if db_name != 'admin':
        raise CommandError(13, 'listDatabases may only be run against the admin database.')
    filter_ = doc_arg(cmd, 'filter', {})
    name_only = bool_arg(cmd, 'nameOnly')
    databases = []
    for name in sorted(engine.client._store.list_created_database_names()):
        info = {'name': name} if name_only else {
            # no real storage: the size is a nominal 8 KiB per collection
            'name': name, 'sizeOnDisk': Int64(8192 * len(engine.collection_names(name))),
            'empty': False}
        if filtering.filter_applies(filter_, info):
            databases.append(info)
    reply = {'databases': databases, 'ok': 1.0}
    if not name_only:
        reply['totalSize'] = Int64(sum(d['sizeOnDisk'] for d in databases))
        reply['totalSizeMb'] = Int64(reply['totalSize'] // (1024 * 1024))
    return reply
