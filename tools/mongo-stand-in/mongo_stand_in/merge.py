"""The ``$merge`` aggregation stage, as mongod 7.0's document_source_merge.cpp runs it.

    {$merge: {into: <coll> | {db, coll}, on: <field> | [fields], let,
              whenMatched: replace | keepExisting | merge | fail | [pipeline],
              whenNotMatched: insert | discard | fail}}

Only as the last stage, into the same database (another database is 238). ``on`` defaults
to ``_id``; other fields need a unique, non-partial index on exactly them in the target
(51183). Each output document is looked up by its ``on`` values (through that unique index's
hash map) and written as mongod's strategies do: replace (a replacement keeping ``_id``),
merge (``$set`` of its fields), keepExisting (nothing), the pipeline (``$$new`` is the
output document, ``$$ROOT`` the target's), fail (a plain insert: E11000); not matched:
insert (upsert semantics: ``_id`` generated when missing), discard, fail (13113 once every
document has been tried). Writes go through the collection's validator and unique indexes.

The whole stage runs inside one command on the engine thread, so no other command sees a
half-written merge and two identical concurrent merges leave the same result.
"""

import copy

from bson.objectid import ObjectId
from mongomock import aggregate as mm_aggregate
from pymongo.errors import DuplicateKeyError
from sentinels import NOTHING

from . import bsonvalues
from . import perf
from . import validation
from .errors import CommandError, error_from_exception, not_implemented
from .schema_types import bson_type

WHEN_MATCHED = ('replace', 'keepExisting', 'merge', 'fail')
WHEN_NOT_MATCHED = ('insert', 'discard', 'fail')
_SUPPORTED_MODES = {('replace', 'insert'), ('replace', 'fail'), ('replace', 'discard'),
                    ('merge', 'insert'), ('merge', 'fail'), ('merge', 'discard'),
                    ('keepExisting', 'insert'), ('fail', 'insert'),
                    ('pipeline', 'insert'), ('pipeline', 'fail'), ('pipeline', 'discard')}
_UPDATE_STAGES = ('$addFields', '$set', '$project', '$unset', '$replaceRoot', '$replaceWith')
_MISSING_PATH = '$\x00'  # BSON field names cannot hold NUL: a path that is always missing
_ALTERED = "After applying the update, the (immutable) field '_id' was found to have been altered to _id: "


class MergeSpec:
    __slots__ = ('into', 'on', 'when_matched', 'pipeline', 'when_not_matched', 'index_name')

    def __init__(self, into, on, when_matched, pipeline, when_not_matched, index_name):
        self.into = into
        self.on = on
        self.when_matched = when_matched
        self.pipeline = pipeline
        self.when_not_matched = when_not_matched
        self.index_name = index_name  # the unique index serving ``on`` (None: _id)


def split(pipeline):
    """(the stages before a final $merge, its argument or None)."""
    for index, stage in enumerate(pipeline):
        if '$merge' in stage and index != len(pipeline) - 1:
            raise CommandError(40601, '$merge can only be the final stage in the pipeline')
    if pipeline and '$merge' in pipeline[-1]:
        return pipeline[:-1], pipeline[-1]['$merge']
    return pipeline, None


def _target(argument, db_name):
    into = argument['into']
    if isinstance(into, str):
        return db_name, into
    if not isinstance(into, dict):
        raise CommandError(14, f"BSON field '$merge.into' is the wrong type '{bson_type(into)}', "
                               "expected types '[string, object]'")
    for field in into:
        if field not in ('db', 'coll'):
            raise CommandError(40415, f"BSON field '$merge.into.{field}' is an unknown field.")
    for field in ('db', 'coll'):
        if field in into and not isinstance(into[field], str):
            raise CommandError(14, f"BSON field '$merge.into.{field}' is the wrong type "
                                   f"'{bson_type(into[field])}', expected type 'string'")
    return into.get('db', db_name), into.get('coll', '')


def _on_fields(argument):
    on = argument.get('on', '_id')
    fields = [on] if isinstance(on, str) else on
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        raise CommandError(14, "BSON field '$merge.on' is the wrong type, expected types '[string, array]'")
    for field in fields:
        if fields.count(field) > 1:
            raise CommandError(31465, f"Found a duplicate field '{field}'")
        if not field:
            raise CommandError(40352, 'FieldPath cannot be constructed with empty string')
        if field.startswith('$'):
            raise CommandError(16410, "FieldPath field names may not start with '$'.")
        if '' in field.split('.'):
            raise CommandError(15998, 'FieldPath field names may not be empty strings.')
    return sorted(fields)  # mongod keeps them in a std::set


def _supporting_index(engine, db_name, coll_name, fields):
    """The name of the unique index on exactly ``fields`` (None for _id); else 51183."""
    if fields == ['_id']:
        return None
    store = engine.collection_store(db_name, coll_name)
    for name, index in (store.indexes.items() if store is not None else ()):
        if index.get('unique') and index.get('partialFilterExpression') is None and \
                sorted(field for field, _ in index['key']) == fields:
            return name
    raise CommandError(51183, 'Cannot find index to verify that join fields will be unique')


def parse(engine, db_name, argument):
    """The MergeSpec of a $merge argument; mongod's errors for a bad one."""
    if isinstance(argument, str):
        argument = {'into': argument}
    if not isinstance(argument, dict):
        raise CommandError(14, f'$merge requires a string or object argument, but found {bson_type(argument)}')
    for field in argument:
        if field not in ('into', 'on', 'let', 'whenMatched', 'whenNotMatched'):
            raise CommandError(40415, f"BSON field '$merge.{field}' is an unknown field.")
    if 'into' not in argument:
        raise CommandError(40414, "BSON field '$merge.into' is missing but a required field")
    target_db, coll_name = _target(argument, db_name)
    if not coll_name or '\x00' in coll_name or '$' in coll_name or coll_name.startswith('.'):
        raise CommandError(73, f"Invalid $merge target namespace: '{target_db}.{coll_name}'")
    if target_db != db_name:
        raise not_implemented('$merge into another database')
    when_matched = argument.get('whenMatched', 'merge')
    pipeline = None
    if isinstance(when_matched, list):
        pipeline, when_matched = _update_pipeline(when_matched), 'pipeline'
    elif not isinstance(when_matched, str):
        raise CommandError(14, "BSON field '$merge.whenMatched' is the wrong type "
                               f"'{bson_type(when_matched)}', expected types '[string, array]'")
    elif when_matched not in WHEN_MATCHED:
        raise CommandError(2, f"Enumeration value '{when_matched}' for field 'whenMatched' is not a "
                              'valid value.')
    when_not_matched = argument.get('whenNotMatched', 'insert')
    if not isinstance(when_not_matched, str):
        raise CommandError(14, f"BSON field '$merge.whenNotMatched' is the wrong type "
                               f"'{bson_type(when_not_matched)}', expected type 'string'")
    if when_not_matched not in WHEN_NOT_MATCHED:
        raise CommandError(2, f"Enumeration value '{when_not_matched}' for field 'whenNotMatched' "
                              'is not a valid value.')
    if (when_matched, when_not_matched) not in _SUPPORTED_MODES:
        raise CommandError(51181, f"Combination of $merge modes 'whenMatched: {when_matched}' and "
                                  f"'whenNotMatched: {when_not_matched}' is not supported")
    on = _on_fields(argument)
    index_name = _supporting_index(engine, db_name, coll_name, on) if 'on' in argument else None
    if coll_name.startswith('system.'):
        raise CommandError(31319, f'Cannot $merge to special collection: {coll_name}')
    if db_name in ('admin', 'local', 'config'):
        raise CommandError(31320, f'Cannot $merge to internal database: {db_name}')
    if 'let' in argument:
        if when_matched != 'pipeline':
            raise CommandError(51199, f"Cannot use 'let' variables with 'whenMatched: {when_matched}' mode")
        if argument['let'] != {'new': '$$ROOT'}:
            raise not_implemented('$merge let variables')
    return MergeSpec(coll_name, on, when_matched, pipeline, when_not_matched, index_name)


def _update_pipeline(stages):
    for stage in stages:
        if not isinstance(stage, dict) or len(stage) != 1:
            raise CommandError(40323, 'A pipeline stage specification object must contain exactly one field.')
        name = next(iter(stage))
        if name not in _UPDATE_STAGES:
            raise CommandError(72, f'{name} is not allowed to be used within an update')
    return stages


# ---------------------------------------------------------------- writing

def _on_values(doc, fields):
    values = {}
    for field in fields:
        value = doc
        for part in field.split('.'):
            value = value.get(part, NOTHING) if isinstance(value, dict) else NOTHING
        if isinstance(value, list):
            raise CommandError(51185, f"$merge write error: 'on' field '{field}' is an array")
        if value is None or value is NOTHING:
            raise CommandError(51132, f"$merge write error: 'on' field '{field}' cannot be missing, "
                                      'null, undefined or an array')
        values[field] = value
    return values


def _find(coll, spec, key):
    """The target document whose ``on`` fields equal ``key`` (a hash lookup either way)."""
    store = coll._store
    if spec.index_name is None:
        return store.get(perf.store_key(key['_id']))
    index = store.unique[spec.index_name]
    holders = index.by_key.get(tuple(bsonvalues.equality_key(key[f]) for f in index.fields))
    return store.get(next(iter(holders))) if holders else None


def _with_id_first(doc):
    return dict({'_id': doc.get('_id', ObjectId())}, **{k: v for k, v in doc.items() if k != '_id'})


def _upsert(doc, spec, key):
    """The document mongod's upsert inserts for an unmatched output document."""
    if spec.when_matched not in ('merge', 'keepExisting'):
        return _with_id_first(doc)  # a replacement, or the supplied document
    new = {}
    for field, value in key.items():  # the query's equality fields come first
        target = new
        *parents, leaf = field.split('.')
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value
    new.update(doc)
    return _with_id_first(new)


def _immutable(existing, new_id, message):
    if bsonvalues.equality_key(new_id) != bsonvalues.equality_key(existing['_id']):
        raise CommandError(66, '$merge failed to update the matching document, did you attempt to '
                               f'modify the _id or the shard key? :: caused by :: {message}')


def _bind_new(expression, new):
    """The whenMatched pipeline with ``$$new`` replaced by the output document's values."""
    if isinstance(expression, str) and (expression == '$$new' or expression.startswith('$$new.')):
        value = new
        for part in expression.split('.')[1:]:
            value = value.get(part, NOTHING) if isinstance(value, dict) else NOTHING
        return _MISSING_PATH if value is NOTHING else {'$literal': value}
    if isinstance(expression, dict):
        if list(expression) == ['$literal']:
            return expression
        return {k: _bind_new(v, new) for k, v in expression.items()}
    if isinstance(expression, list):
        return [_bind_new(v, new) for v in expression]
    return expression


def _replace(coll, existing, new):
    """Replaces a stored document in place, as mongomock's update path does (validation, unique
    indexes, rollback on a duplicate), without its query: one lookup, not a collection scan."""
    if new == existing:
        return  # a no-op writes nothing
    snapshot = copy.deepcopy(existing)
    with validation.updating(coll, existing):
        existing.clear()
        existing.update(new)
        try:
            coll._ensure_uniques(existing)
        except DuplicateKeyError:
            coll._store[perf.store_key(snapshot['_id'])] = snapshot
            raise


def _matched(engine, db_name, coll, spec, existing, doc):
    existing_id = existing['_id']
    if spec.when_matched == 'keepExisting':
        return
    if spec.when_matched == 'replace':
        if '_id' in doc:
            _immutable(existing, doc['_id'], _ALTERED + bsonvalues.render(doc['_id']))
        new = _with_id_first(dict(doc, _id=existing_id))
    elif spec.when_matched == 'merge':
        if '_id' in doc:
            _immutable(existing, doc['_id'], "Performing an update on the path '_id' would modify the "
                                             "immutable field '_id'")
        new = dict(existing, **{k: v for k, v in doc.items() if k != '_id'})  # $set: new fields last
    else:
        pipeline = _bind_new(spec.pipeline, doc)
        [result] = mm_aggregate.process_pipeline([copy.deepcopy(existing)], engine.database(db_name),
                                                 pipeline, None)
        if '_id' in result:
            _immutable(existing, result['_id'], _ALTERED + bsonvalues.render(result['_id']))
        new = _with_id_first(dict(result, _id=existing_id))
    _write(spec, _replace, coll, existing, new)


def _write(spec, write, *args):
    """Runs one write; a duplicate key gets mongod's $merge context (other errors pass)."""
    try:
        write(*args)
    except DuplicateKeyError as exc:
        if exc.code != 11000:  # a validation failure, an unsupported index value
            raise
        error = error_from_exception(exc)
        on_fields = sorted((exc.details or {}).get('keyPattern', {})) == spec.on
        context = ("$merge with whenMatched: fail found an existing document with the same values for "
                   "the 'on' fields") if spec.when_matched == 'fail' and on_fields else \
            '$merge failed due to a DuplicateKey error'
        raise CommandError(11000, f'{context} :: caused by :: {error.errmsg}', extra=error.extra) from exc


def apply(engine, db_name, spec, docs):
    """Writes the pipeline's output documents into the target collection."""
    coll = engine.collection(db_name, spec.into)
    unmatched = 0
    for doc in docs:
        doc = copy.deepcopy(doc)  # stage outputs may share sub-documents ($unwind): stored apart
        if '_id' in spec.on and '_id' not in doc:
            doc = dict(doc, _id=ObjectId())
        key = _on_values(doc, spec.on)
        if spec.when_matched == 'fail':
            _write(spec, coll._insert, _with_id_first(doc))
            continue
        existing = _find(coll, spec, key)
        if existing is not None:
            _matched(engine, db_name, coll, spec, existing, doc)
        elif spec.when_not_matched == 'insert':
            _write(spec, coll._insert, _upsert(doc, spec, key))
        elif spec.when_not_matched == 'fail':
            unmatched += 1
    if unmatched:
        raise CommandError(13113, '$merge could not find a matching document in the target collection '
                                  'for at least one document in the source collection')
