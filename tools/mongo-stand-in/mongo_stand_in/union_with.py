"""The ``$unionWith`` aggregation stage, as mongod 7.0 runs it.

    {$unionWith: <coll>} | {$unionWith: {coll: <coll>, pipeline: [<stage>, ...]}}

The documents of the stage's input come first, then those of ``pipeline`` run over ``coll``
of the same database (a collection that does not exist gives none). The sub-pipeline may
use every stage this stand-in runs except ``$out`` and ``$merge`` (31441); a leading
``$match`` selects the stored documents before they are copied, as the top-level pipeline
does.
"""

from mongomock import aggregate as mm_aggregate
from mongomock.collection import _copy_field

from . import query
from .errors import CommandError, not_implemented

_FIELDS = ('coll', 'pipeline')


def _arguments(options):
    if isinstance(options, str):
        return options, []
    if not isinstance(options, dict):
        raise CommandError(40373, 'the $unionWith stage specification must be an object or string, '
                                  f'but found {type(options).__name__}')
    for field in options:
        if field not in _FIELDS:
            raise CommandError(40415, f"BSON field '$unionWith.{field}' is an unknown field.")
    coll = options.get('coll')
    if coll is None:
        raise CommandError(40414, "BSON field '$unionWith.coll' is missing but a required field")
    if not isinstance(coll, str) or not coll:
        raise CommandError(14, "BSON field '$unionWith.coll' is the wrong type, expected type 'string'")
    pipeline = options.get('pipeline', [])
    if not isinstance(pipeline, list):
        raise CommandError(14, "BSON field '$unionWith.pipeline' is the wrong type, expected type 'array'")
    for stage in pipeline:
        if not isinstance(stage, dict) or len(stage) != 1:
            raise CommandError(40323, 'A pipeline stage specification object must contain exactly one field.')
        name = next(iter(stage))
        if name in ('$out', '$merge'):
            raise CommandError(31441, f'{name} is not allowed within a $unionWith\'s sub-pipeline')
        handler = mm_aggregate._PIPELINE_HANDLERS.get(name, NotImplemented)
        if handler is NotImplemented and not name.startswith('$'):
            raise CommandError(40324, f"Unrecognized pipeline stage name: '{name}'")
        if handler is None or handler is NotImplemented:
            raise not_implemented(f"the pipeline stage '{name}'")
    return coll, pipeline


def handle(in_collection, database, options):
    name, pipeline = _arguments(options)
    coll = database.get_collection(name)
    first_match = bool(pipeline) and '$match' in pipeline[0]
    stored = query.matching(coll, pipeline[0]['$match'] if first_match else {})
    docs = [_copy_field(doc, dict) for doc in stored]  # stages may modify documents in place
    rest = pipeline[1:] if first_match else pipeline
    return list(in_collection) + list(mm_aggregate.process_pipeline(docs, database, rest, None))
