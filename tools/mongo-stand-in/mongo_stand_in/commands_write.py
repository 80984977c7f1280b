"""Write commands: insert, update, delete, findAndModify."""

import functools
import logging

from mongomock.collection import _copy_field

from . import perf
from . import query
from . import validation
from .errors import CommandError, error_from_exception, not_implemented, type_mismatch
from .registry import bool_arg, check_collation, collection_name, command, doc_arg

log = logging.getLogger('stand-in.write')

_WRITE_FIELDS = ('ordered', 'bypassDocumentValidation')
_WRITE_UNSUPPORTED = ('let', 'stmtId', 'stmtIds', 'isTimeseriesNamespace')


def write_error(index, exc):
    """The writeErrors entry for statement ``index`` that raised ``exc``."""
    error = error_from_exception(exc)
    if error is None:
        log.exception('internal error in write statement %d', index)
        error = CommandError(1, f'{type(exc).__name__}: {exc}')
    entry = {'index': index, 'code': error.code, 'errmsg': error.errmsg}
    entry.update(error.extra)
    return entry


def _statements(cmd, field):
    statements = cmd.get(field)
    if not isinstance(statements, list) or not statements:
        raise CommandError(9, f"'{field}' must be a non-empty array")
    for statement in statements:
        if not isinstance(statement, dict):
            raise type_mismatch(f"BSON field '{field}' must be an array of objects")
    return statements


def _run_statements(cmd, field, run_one):
    """Run every statement; returns the writeErrors list (ordered stops at the first)."""
    ordered = bool_arg(cmd, 'ordered', True)
    errors = []
    for index, statement in enumerate(_statements(cmd, field)):
        try:
            run_one(index, statement)
        except Exception as exc:  # pylint: disable=broad-except
            errors.append(write_error(index, exc))
            if ordered:
                break
    return errors


def honours_bypass(handler):
    """Runs a write handler with the command's ``bypassDocumentValidation``."""
    @functools.wraps(handler)
    def run(engine, db_name, cmd):
        with validation.bypassed(bool_arg(cmd, 'bypassDocumentValidation')):
            return handler(engine, db_name, cmd)
    return run


def _reply(counts, errors):
    reply = dict(counts)
    if errors:
        reply['writeErrors'] = errors
    reply['ok'] = 1.0
    return reply


@command('insert', fields=('documents',) + _WRITE_FIELDS, unsupported=_WRITE_UNSUPPORTED)
@honours_bypass
def insert(engine, db_name, cmd):
    coll = engine.collection(db_name, collection_name(cmd, 'insert'))
    counts = {'n': 0}

    def insert_one(_index, doc):
        for key in doc:
            if key.startswith('$'):
                raise CommandError(2, f"Document can't have $ prefixed field names: {key}")
        coll._insert(doc)
        counts['n'] += 1

    errors = _run_statements(cmd, 'documents', insert_one)
    return _reply(counts, errors)


def _is_replacement(update):
    return isinstance(update, dict) and not any(k.startswith('$') for k in update)


_UPDATE_STATEMENT_FIELDS = {'q', 'u', 'upsert', 'multi', 'hint', 'collation', 'arrayFilters'}


@command('update', fields=('updates',) + _WRITE_FIELDS, unsupported=_WRITE_UNSUPPORTED)
@honours_bypass
def update(engine, db_name, cmd):
    coll = engine.collection(db_name, collection_name(cmd, 'update'))
    counts = {'n': 0, 'nModified': 0}
    upserted = []

    def update_one(index, statement):
        for field in statement:
            if field not in _UPDATE_STATEMENT_FIELDS:
                raise not_implemented(f"the '{field}' field of update statements")
        if statement.get('arrayFilters'):
            raise not_implemented('arrayFilters')
        check_collation(statement.get('collation'))
        spec = doc_arg(statement, 'q', {})
        change = statement.get('u')
        if not isinstance(change, (dict, list)):
            raise type_mismatch("BSON field 'update.updates.u' must be an object or a pipeline")
        multi = bool_arg(statement, 'multi')
        if multi and _is_replacement(change):
            raise CommandError(9, 'multi update is not supported for replacement-style update')
        result = coll._update(spec, change, upsert=bool_arg(statement, 'upsert'), multi=multi)
        counts['n'] += result['n']
        counts['nModified'] += result['nModified']
        if result.get('upserted') is not None:
            upserted.append({'index': index, '_id': result['upserted']})

    errors = _run_statements(cmd, 'updates', update_one)
    reply = _reply(counts, errors)
    if upserted:
        reply['upserted'] = upserted
    return reply


@command('delete', fields=('deletes',) + _WRITE_FIELDS, unsupported=_WRITE_UNSUPPORTED)
def delete(engine, db_name, cmd):
    coll_name = collection_name(cmd, 'delete')
    counts = {'n': 0}

    def delete_one(_index, statement):
        for field in statement:
            if field not in ('q', 'limit', 'hint', 'collation'):
                raise not_implemented(f"the '{field}' field of delete statements")
        check_collation(statement.get('collation'))
        spec = doc_arg(statement, 'q', {})
        limit = statement.get('limit')
        if limit not in (0, 1):
            raise CommandError(9, f'The limit field in delete objects must be 0 or 1. Got {limit}')
        store = engine.collection_store(db_name, coll_name)
        if store is None:
            return
        coll = engine.collection(db_name, coll_name)
        victims = []
        for doc in query.matching(coll, spec):
            victims.append(perf.store_key(doc['_id']))
            if limit == 1:
                break
        for key in victims:
            del store[key]
        counts['n'] += len(victims)

    errors = _run_statements(cmd, 'deletes', delete_one)
    return _reply(counts, errors)


@command('findAndModify', 'findandmodify',
         fields=('query', 'sort', 'remove', 'update', 'new', 'fields', 'upsert',
                 'bypassDocumentValidation', 'hint', 'collation'),
         unsupported=('arrayFilters', 'let', 'stmtId'))
@honours_bypass
def find_and_modify(engine, db_name, cmd):
    name = next(iter(cmd))
    coll_name = collection_name(cmd, name)
    filter_ = doc_arg(cmd, 'query', {})
    sort = doc_arg(cmd, 'sort')
    projection = query.validate_projection(doc_arg(cmd, 'fields'))
    remove = bool_arg(cmd, 'remove')
    change = cmd.get('update')
    return_new = bool_arg(cmd, 'new')
    upsert = bool_arg(cmd, 'upsert')
    if remove and (change is not None or return_new or upsert):
        raise CommandError(9, 'Cannot specify remove together with update, new or upsert')
    if not remove and not isinstance(change, (dict, list)):
        raise CommandError(9, 'Either an update or remove=true must be specified')
    coll = engine.collection(db_name, coll_name)
    targets = query.run_query(coll, filter_, sort, 0, 1)
    target = targets[0] if targets else None
    last_error = {'n': 0}
    value = None
    if remove:
        if target is not None:
            value = _copy_field(target, dict)
            del coll._store[perf.store_key(target['_id'])]
            last_error = {'n': 1}
    elif target is not None:
        before = _copy_field(target, dict)
        coll._update({'_id': target['_id']}, change, upsert=False)
        after = coll._store.get(perf.store_key(target['_id']))
        value = _copy_field(after, dict) if return_new else before
        last_error = {'n': 1, 'updatedExisting': True}
    elif upsert:
        result = coll._update(filter_, change, upsert=True)
        new_id = result['upserted']
        if return_new:
            value = _copy_field(coll._store.get(perf.store_key(new_id)), dict)
        last_error = {'n': 1, 'updatedExisting': False, 'upserted': new_id}
    else:
        last_error = {'n': 0, 'updatedExisting': False}
    if value is not None and projection:
        value = query.project(coll, value, projection)
    return {'lastErrorObject': last_error, 'value': value, 'ok': 1.0}

