"""Collection validators: the ``validator``/``validationLevel``/``validationAction`` options
of ``create`` and ``collMod``, kept on the collection store, and their enforcement on every
write, as mongod 7.0 does it.

* Inserts (also upserts and ``$merge`` inserts) are checked after ``_id`` is assigned;
  updates and replacements check the whole resulting document, and a no-op update is not
  checked (mongod writes nothing then). ``moderate`` skips updates of documents that were
  already invalid; ``off`` checks nothing; ``bypassDocumentValidation`` skips the check.
* A failure is code 121 DocumentValidationFailure, "Document failed validation", with
  ``errInfo: {failingDocumentId, details}``; ``validationAction: "warn"`` logs it and writes.

The checks are called from perf.py's write paths (``_insert``, ``_ensure_uniques``), which
every write command goes through.
"""

import contextlib
import contextvars
import logging

from mongomock import collection as mm_collection
from pymongo.errors import DuplicateKeyError

from . import bsonvalues
from . import json_schema
from .errors import CommandError, type_mismatch
from .schema_types import bson_type

log = logging.getLogger('stand-in.validation')

LEVELS = ('off', 'strict', 'moderate')
ACTIONS = ('error', 'warn')
FIELDS = ('validator', 'validationLevel', 'validationAction')
_INTERNAL_DATABASES = ('admin', 'local', 'config')

_bypass = contextvars.ContextVar('bypass_document_validation', default=False)
# During an update of a "moderate" collection: id(stored document) -> valid before the update.
_valid_before = contextvars.ContextVar('valid_before', default=None)


class DocumentValidationFailure(DuplicateKeyError):
    """Code 121. A DuplicateKeyError so that mongomock's update path rolls the document back."""

    def __init__(self, err_info):
        super().__init__('Document failed validation', 121,
                         {'errmsg': 'Document failed validation', 'errInfo': err_info})


@contextlib.contextmanager
def bypassed(flag):
    """Runs a write command with or without ``bypassDocumentValidation``."""
    token = _bypass.set(bool(flag))
    try:
        yield
    finally:
        _bypass.reset(token)


# ---------------------------------------------------------------- options

def parse_options(cmd, command_name):
    """The validation options a create/collMod command gives, type-checked as mongod's
    command parser does (the validator itself is compiled when applied)."""
    options = {}
    if 'validator' in cmd:
        if not isinstance(cmd['validator'], dict):
            raise type_mismatch(f"BSON field '{command_name}.validator' is the wrong type "
                                f"'{bson_type(cmd['validator'])}', expected type 'object'")
        options['validator'] = cmd['validator']
    for field, allowed in (('validationLevel', LEVELS), ('validationAction', ACTIONS)):
        if field not in cmd:
            continue
        value = cmd[field]
        if not isinstance(value, str):
            raise type_mismatch(f"BSON field '{command_name}.{field}' is the wrong type "
                                f"'{bson_type(value)}', expected type 'string'")
        if value not in allowed:
            raise CommandError(2, f"Enumeration value '{value}' for field '{command_name}.{field}' "
                                  'is not a valid value.')
        options[field] = value
    return options


def check_namespace(db_name, coll_name, options):
    if not options.get('validator'):
        return
    ns = f'{db_name}.{coll_name}'
    if coll_name.startswith('system.'):
        raise CommandError(72, f'Document validators not allowed on system collection {ns}')
    if db_name in _INTERNAL_DATABASES:
        raise CommandError(72, f'Document validators are not allowed on collection {ns} in the '
                               f'{db_name} internal database')


def stored_options(store):
    return dict(getattr(store, 'validation_options', {}))


def listed_options(store):
    """The options as listCollections shows them (mongod omits an empty validator)."""
    options = stored_options(store)
    if not options.get('validator'):
        options.pop('validator', None)
    return options


def same_options(store, requested):
    """Whether ``create`` with ``requested`` matches the collection (mongod then succeeds)."""
    current = stored_options(store)
    return all(bsonvalues.equality_key(current.get(f)) == bsonvalues.equality_key(requested.get(f))
               and (f in current) == (f in requested) for f in FIELDS)


def prepare(store, requested, coll_mod=False):
    """(options, compiled validator) the collection would have; raises for a bad validator.
    ``collMod`` with a validator stores the level and action too (defaults when unset)."""
    options = stored_options(store) if coll_mod else {}
    options.update(requested)
    if coll_mod and 'validator' in requested:
        options.setdefault('validationLevel', 'strict')
        options.setdefault('validationAction', 'error')
    validator = json_schema.compile_validator(options.get('validator') or {})
    return {f: options[f] for f in FIELDS if f in options}, validator


def apply(store, prepared):
    store.validation_options, store.validator = prepared


# ---------------------------------------------------------------- enforcement

def check(coll, doc, update):
    """Raises DocumentValidationFailure if writing ``doc`` into ``coll`` must be refused."""
    store = coll._store
    validator = getattr(store, 'validator', None)
    if validator is None or _bypass.get():
        return
    options = store.validation_options
    level = options.get('validationLevel', 'strict')
    if level == 'off':
        return
    if update and level == 'moderate':
        before = _valid_before.get()
        if before is not None and not before.get(id(doc), True):
            return
    details = validator.failure(doc)
    if details is None:
        return
    err_info = {'failingDocumentId': doc.get('_id'), 'details': details}
    if options.get('validationAction', 'error') == 'warn':
        log.warning('Document would fail validation: %s, _id %s: %s', coll.full_name,
                    bsonvalues.render(doc.get('_id')), details)
        return
    raise DocumentValidationFailure(err_info)


@contextlib.contextmanager
def updating(coll, doc):
    """Around an in-place change of a stored document made outside mongomock's update path
    ($merge): a moderate collection then knows whether the document was valid before."""
    store = coll._store
    if getattr(store, 'validator', None) is None or _bypass.get() or \
            store.validation_options.get('validationLevel') != 'moderate':
        yield
        return
    token = _valid_before.set({id(doc): store.validator.failure(doc) is None})
    try:
        yield
    finally:
        _valid_before.reset(token)


def observe(store, documents):
    """perf.py's document iterator, noting which documents are valid before a moderate update."""
    before = _valid_before.get()
    if before is None:
        return documents

    def noting():
        for doc in documents:
            before[id(doc)] = store.validator.failure(doc) is None
            yield doc
    return noting()


_original_update = mm_collection.Collection._update


def _update(self, *args, **kwargs):
    store = self._store
    if getattr(store, 'validator', None) is None or _bypass.get() or \
            store.validation_options.get('validationLevel') != 'moderate':
        return _original_update(self, *args, **kwargs)
    token = _valid_before.set({})
    try:
        return _original_update(self, *args, **kwargs)
    finally:
        _valid_before.reset(token)


def install():
    mm_collection.Collection._update = _update
