"""Aggregation fixes on top of mongomock 4.3.0's pipeline engine.

* ``$dateTrunc`` (missing in mongomock): units millisecond..day with any
  binSize, week with binSize 1, month/quarter/year with any binSize; timezone
  UTC (or absent) or a fixed offset such as ``+02:00``. Olson zones -> 238.
* ``$group`` rewritten: ``_id`` values that are falsy (0, "", false) kept,
  empty input gives no group, ``_id`` first in the output, ``$first``/``$last``
  see missing values as null, ``$addToSet`` no longer turns 0/""/false into
  null, booleans are not summed, ``$count`` accumulator, ``$min``/``$max`` in
  BSON order.
* ``$sort`` uses MongoDB's BSON ordering (arrays by min/max element, BinData by
  length/subtype/bytes); ``$count`` on empty input gives no document;
  ``$match`` no longer rebuilds every document; ``$limit``/``$skip`` validated.
* ``$unset``, ``$replaceWith`` and ``$unionWith`` (union_with.py) stages (missing in mongomock); ``$dateToString``,
  ``$setUnion``, ``$concatArrays``, ``$size`` from expressions.py.
* Expression operators mongomock does not know -> NotImplementedError (code 238)
  rather than "Unrecognized expression"; ``$out`` is refused (mongomock's drops
  the target's indexes); a final ``$merge`` is merge.py's, anywhere else it is refused.
"""

import datetime
import decimal
import numbers

from bson.decimal128 import Decimal128
from bson.int64 import Int64
from mongomock import aggregate as mm_aggregate
from mongomock import filtering
from sentinels import NOTHING

from . import bsonvalues
from . import dates
from . import expressions
from . import fastmatch
from . import union_with
from .errors import CommandError, not_implemented

EPOCH = datetime.datetime(1970, 1, 1)
REFERENCE = datetime.datetime(2000, 1, 1)
_MS = datetime.timedelta(milliseconds=1)
_FIXED_UNITS_MS = {
    'millisecond': 1, 'second': 1000, 'minute': 60_000, 'hour': 3_600_000, 'day': 86_400_000,
}
_MONTH_UNITS = {'month': 1, 'quarter': 3, 'year': 12}
_WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday']


def _as_date(value):
    date = dates.to_date(value)
    if date is None:
        raise CommandError(5439012, f"$dateTrunc requires 'date' to be a date, but got {type(value).__name__}")
    return date


def date_trunc(date, unit, bin_size=1, timezone=None, start_of_week='sunday'):
    """Pure $dateTrunc on a naive UTC datetime."""
    date = _as_date(date)
    if isinstance(bin_size, bool) or not isinstance(bin_size, (numbers.Number, Decimal128)):
        raise CommandError(5439017, "$dateTrunc requires 'binSize' to be a 64-bit integer")
    bin_size = bin_size.to_decimal() if isinstance(bin_size, Decimal128) else bin_size
    if bin_size != int(bin_size) or int(bin_size) <= 0:
        raise CommandError(5439018, "$dateTrunc requires 'binSize' to be greater than 0")
    bin_size = int(bin_size)
    offset = dates.tz_offset(timezone, '$dateTrunc')
    local = date + offset
    if unit in _FIXED_UNITS_MS:
        width = _FIXED_UNITS_MS[unit] * bin_size
        elapsed = (local - REFERENCE) // _MS
        truncated = REFERENCE + (elapsed // width) * width * _MS
    elif unit == 'week':
        if bin_size != 1:
            raise not_implemented('$dateTrunc with unit "week" and binSize != 1')
        start = str(start_of_week).lower()
        names = {d: i for i, d in enumerate(_WEEKDAYS)}
        names.update({d[:3]: i for i, d in enumerate(_WEEKDAYS)})
        if start not in names:
            raise CommandError(5439016, f"$dateTrunc parameter 'startOfWeek' value cannot be recognized as a day of a week: {start_of_week}")
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        truncated = midnight - datetime.timedelta(days=(midnight.weekday() - names[start]) % 7)
    elif unit in _MONTH_UNITS:
        width = _MONTH_UNITS[unit] * bin_size
        months = (local.year - 2000) * 12 + (local.month - 1)
        months = (months // width) * width
        truncated = datetime.datetime(2000 + months // 12, months % 12 + 1, 1)
    else:
        raise CommandError(5439014, f"$dateTrunc parameter 'unit' value cannot be recognized as a time unit: {unit}")
    return truncated - offset


def _date_trunc_operator(parser, args):
    if not isinstance(args, dict):
        raise CommandError(5439007, '$dateTrunc only supports an object as its argument')
    unknown = set(args) - {'date', 'unit', 'binSize', 'timezone', 'startOfWeek'}
    if unknown:
        raise CommandError(5439008, f'Unrecognized argument to $dateTrunc: {sorted(unknown)[0]}')
    for required in ('date', 'unit'):
        if required not in args:
            raise CommandError(5439009, f"Missing '{required}' parameter to $dateTrunc")
    values = {}
    for name, default in (('date', None), ('unit', None), ('binSize', 1),
                          ('timezone', 'UTC'), ('startOfWeek', 'sunday')):
        if name not in args:
            values[name] = default
            continue
        try:
            values[name] = parser.parse(args[name])
        except KeyError:
            return None
        if values[name] is None:
            return None
    return date_trunc(values['date'], values['unit'], values['binSize'],
                      values['timezone'], values['startOfWeek'])


_EXTRA_OPERATORS = dict(expressions.OPERATORS, **{'$dateTrunc': _date_trunc_operator})
_KNOWN_OPERATORS = set().union(
    mm_aggregate.arithmetic_operators, mm_aggregate.project_operators,
    mm_aggregate.projection_operators, mm_aggregate.comparison_operators,
    mm_aggregate.date_operators, mm_aggregate.array_operators,
    mm_aggregate.conditional_operators, mm_aggregate.control_flow_operators,
    mm_aggregate.set_operators, mm_aggregate.string_operators,
    mm_aggregate.type_convertion_operators, mm_aggregate.type_operators,
    mm_aggregate.boolean_operators, mm_aggregate.text_search_operators,
    mm_aggregate.object_operators)
_original_parse = mm_aggregate._Parser.parse


def _parse(self, expression):
    if isinstance(expression, dict) and len(expression) == 1:
        (key, value), = expression.items()
        if key in _EXTRA_OPERATORS:
            return _EXTRA_OPERATORS[key](self, value)
        if key.startswith('$') and key not in _KNOWN_OPERATORS:
            raise not_implemented(f'aggregation expression operator {key}')
    return _original_parse(self, expression)


# ---------------------------------------------------------------- $group

def _evaluate(expression, doc):
    try:
        return mm_aggregate._parse_expression(expression, doc, ignore_missing_keys=True)
    except KeyError:
        return NOTHING


def _numbers(values):
    for value in values:
        if isinstance(value, bool):
            continue
        if isinstance(value, Decimal128):
            yield value.to_decimal()
        elif isinstance(value, numbers.Number):
            yield value


def _acc_sum(values):
    nums = list(_numbers(values))
    if any(isinstance(v, decimal.Decimal) for v in nums):
        return Decimal128(sum((decimal.Decimal(v) for v in nums), decimal.Decimal(0)))
    total = sum(nums)
    if isinstance(total, int):
        if not -2 ** 63 <= total < 2 ** 63:
            return float(total)  # the server falls back to a double on long overflow
        if any(isinstance(v, Int64) for v in nums):
            return Int64(total)  # a sum involving longs stays a long
    return total


def _acc_avg(values):
    nums = list(_numbers(values))
    if not nums:
        return None
    if any(isinstance(v, decimal.Decimal) for v in nums):
        return Decimal128(sum(decimal.Decimal(v) for v in nums) / len(nums))
    return sum(nums) / float(len(nums))


def _acc_minmax(values, pick):
    present = [v for v in values if v is not NOTHING and v is not None]
    if not present:
        return None
    return pick(present, key=bsonvalues.compare_key)


def _acc_add_to_set(values):
    seen = {}
    for value in values:
        if value is not NOTHING:
            seen.setdefault(bsonvalues.equality_key(value), value)
    return list(seen.values())


def _acc_merge_objects(values):
    merged = {}
    for value in values:
        if value is NOTHING or value is None:
            continue
        if not isinstance(value, dict):
            raise CommandError(40400, f'$mergeObjects requires object inputs, but input is of type {type(value).__name__}')
        merged.update(value)
    return merged


def _null(value):
    return None if value is NOTHING else value


_ACCUMULATORS = {
    '$sum': _acc_sum,
    '$avg': _acc_avg,
    '$min': lambda values: _acc_minmax(values, min),
    '$max': lambda values: _acc_minmax(values, max),
    '$first': lambda values: _null(values[0]) if values else None,
    '$last': lambda values: _null(values[-1]) if values else None,
    '$push': lambda values: [v for v in values if v is not NOTHING],
    '$addToSet': _acc_add_to_set,
    '$mergeObjects': _acc_merge_objects,
}
_UNSUPPORTED_ACCUMULATORS = {
    '$stdDevPop', '$stdDevSamp', '$top', '$topN', '$bottom', '$bottomN', '$firstN', '$lastN',
    '$maxN', '$minN', '$median', '$percentile', '$accumulator',
}


def _handle_group_stage(in_collection, unused_database, options):
    if not isinstance(options, dict) or '_id' not in options:
        raise CommandError(15955, 'a group specification must include an _id')
    accumulators = []
    for field, spec in options.items():
        if field == '_id':
            continue
        if '.' in field:
            raise CommandError(40235, f"The field name '{field}' cannot contain '.'")
        if not isinstance(spec, dict) or len(spec) != 1:
            raise CommandError(40234, f"The field '{field}' must be an accumulator object")
        (op, arg), = spec.items()
        if op == '$count':
            if arg != {}:
                raise CommandError(5303000, '$count takes no arguments, i.e. $count:{}')
        elif op in _UNSUPPORTED_ACCUMULATORS:
            raise not_implemented(f'$group accumulator {op}')
        elif op not in _ACCUMULATORS:
            raise CommandError(15952, f"unknown group operator '{op}'")
        accumulators.append((field, op, arg))

    groups = {}
    for doc in in_collection:
        group_id = _null(_evaluate(options['_id'], doc))
        groups.setdefault(bsonvalues.equality_key(group_id), (group_id, []))[1].append(doc)

    out = []
    for group_id, docs in groups.values():
        row = {'_id': group_id}
        for field, op, arg in accumulators:
            if op == '$count':
                row[field] = len(docs)
            else:
                row[field] = _ACCUMULATORS[op]([_evaluate(arg, doc) for doc in docs])
        out.append(row)
    return out


# ---------------------------------------------------------------- other stages

def _handle_sort_stage(in_collection, unused_database, options):
    if not isinstance(options, dict) or not options:
        raise CommandError(15976, '$sort stage must have at least one sort key')
    return bsonvalues.sort_documents(in_collection, options)


def _handle_match_stage(in_collection, unused_database, options):
    if not in_collection:
        filtering.filter_applies(options, {})  # still validate the filter
        return []
    match = fastmatch.matcher(options)
    return [doc for doc in in_collection if match(doc)]


def _handle_count_stage(in_collection, database, options):
    result = _original_count_stage(in_collection, database, options)
    return result if in_collection else []


def _positive_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _handle_limit_stage(in_collection, unused_database, options):
    if isinstance(options, float) and options.is_integer():
        options = int(options)
    if not _positive_int(options) or options <= 0:
        raise CommandError(15958, 'the limit must be positive')
    return in_collection[:options]


def _handle_skip_stage(in_collection, unused_database, options):
    if isinstance(options, float) and options.is_integer():
        options = int(options)
    if not _positive_int(options) or options < 0:
        raise CommandError(15956, 'invalid argument to $skip stage: Cannot skip a negative number of documents')
    return in_collection[options:]


def _handle_unset_stage(in_collection, database, options):
    fields = [options] if isinstance(options, str) else options
    if not isinstance(fields, list) or not fields:
        raise CommandError(31119, '$unset specification must be a string or an array with at least one field')
    if not all(isinstance(field, str) for field in fields):
        raise CommandError(31120, '$unset specification must be a string or an array containing only '
                                  'string values')
    return mm_aggregate._handle_project_stage(in_collection, database, {field: 0 for field in fields})


def _handle_replace_with_stage(in_collection, database, options):
    return mm_aggregate._handle_replace_root_stage(in_collection, database, {'newRoot': options})


_original_count_stage = mm_aggregate._handle_count_stage


def install():
    mm_aggregate._Parser.parse = _parse
    handlers = mm_aggregate._PIPELINE_HANDLERS
    handlers['$group'] = _handle_group_stage
    handlers['$sort'] = _handle_sort_stage
    handlers['$match'] = _handle_match_stage
    handlers['$count'] = _handle_count_stage
    handlers['$limit'] = _handle_limit_stage
    handlers['$skip'] = _handle_skip_stage
    handlers['$unset'] = _handle_unset_stage
    handlers['$replaceWith'] = _handle_replace_with_stage
    handlers['$unionWith'] = union_with.handle
    handlers['$out'] = None  # refused: mongomock's $out drops the target's indexes
    handlers['$merge'] = None  # a final $merge is merge.py's; anywhere else it is refused
