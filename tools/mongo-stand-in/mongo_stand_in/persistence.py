"""Opt-in persistence (``--data-file PATH``): so that a test can stop the stand-in and start
it again with its data, as a real MongoDB keeps its data across a restart.

The file is a stream of BSON documents: for each collection a header
``{collection: {db, name, indexes, options}}`` (options: the validator, validationLevel and
validationAction it was given) followed by ``{doc: <document>}`` records. It is
written on a clean stop (SIGTERM/SIGINT) to a temporary file, fsynced and renamed over
PATH, so PATH holds either the previous snapshot or the new one, never half of one.
Loading replays the collections through the engine's own commands (``create``,
``createIndexes``, ``insert`` with ``bypassDocumentValidation``: stored documents are not
revalidated, as mongod does not revalidate at start), so unique indexes and the sort caches
are rebuilt as for any write. Both run on the engine thread.
"""

import logging
import os

import bson

from . import validation
from .commands_read import index_documents

log = logging.getLogger('stand-in.persistence')

_INSERT_BATCH = 1000


def dump(engine, path, codec_options):
    """Writes every collection of every database to PATH atomically; returns the counts."""
    tmp = f'{path}.tmp-{os.getpid()}'
    collections = documents = 0
    with open(tmp, 'wb') as out:
        for db_name in sorted(engine.client._store._databases):
            for coll_name in engine.collection_names(db_name):
                store = engine.collection_store(db_name, coll_name)
                if store is None:
                    continue
                indexes = [doc for doc in index_documents(store) if doc['name'] != '_id_']
                header = {'collection': {'db': db_name, 'name': coll_name, 'indexes': indexes,
                                         'options': validation.stored_options(store)}}
                out.write(bson.encode(header, codec_options=codec_options))
                collections += 1
                for doc in list(store._documents.values()):
                    out.write(bson.encode({'doc': doc}, codec_options=codec_options))
                    documents += 1
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    log.info('wrote %d collections, %d documents to %s', collections, documents, path)
    return collections, documents


def load(engine, path, codec_options):
    """Replays PATH into the (empty) engine; a missing file is an empty start."""
    if not os.path.exists(path):
        log.info('no data file at %s yet; starting empty', path)
        return 0, 0
    collections = documents = 0
    current = None
    batch = []

    def flush():
        if batch:
            _check(engine.run(current[0], {'insert': current[1], 'documents': list(batch),
                                           'ordered': True, 'bypassDocumentValidation': True}),
                   'insert', current)
            batch.clear()

    with open(path, 'rb') as data:
        for record in bson.decode_file_iter(data, codec_options=codec_options):
            if 'collection' in record:
                flush()
                header = record['collection']
                current = (header['db'], header['name'])
                create = dict({'create': current[1]}, **header.get('options', {}))
                _check(engine.run(current[0], create), 'create', current)
                for index in header['indexes']:
                    index = {k: v for k, v in index.items() if k not in ('v', 'ns')}
                    _check(engine.run(current[0], {'createIndexes': current[1],
                                                   'indexes': [index]}), 'createIndexes', current)
                collections += 1
            else:
                if current is None:
                    raise ValueError(f'{path}: a document before any collection header')
                batch.append(record['doc'])
                documents += 1
                if len(batch) >= _INSERT_BATCH:
                    flush()
        flush()
    log.info('loaded %d collections, %d documents from %s', collections, documents, path)
    return collections, documents


def _check(reply, what, namespace):
    if reply.get('ok') != 1.0 or reply.get('writeErrors'):
        raise ValueError(f'replaying {what} on {namespace[0]}.{namespace[1]} failed: {reply}')
