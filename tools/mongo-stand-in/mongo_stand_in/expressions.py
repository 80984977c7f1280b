"""Expression operators rewritten because mongomock's differ from mongod 7.0:

* ``$dateToString``: every format specifier mongod has (``%L``, ``%j``, ``%U``, ``%V``, ``%z``
  ... mongomock refuses ``%L``), ``timezone`` (UTC or a fixed offset), ``onNull``, null or a
  missing date giving null (mongomock dropped the field), mongod's default formats and errors.
* ``$setUnion``: a null or missing operand gives null, the result is sorted in BSON order
  as mongod's ordered set returns it (mongomock dropped the field or kept input order).
* ``$concatArrays``: a single operand may be given without a list; mongod's error code.
* ``$size``: mongod's error code (17124) and type names.

Each takes (mongomock's parser, the operator's argument) and returns the value; raising
KeyError makes the field missing, as mongomock's parser expects.
"""

import datetime

from sentinels import NOTHING

from . import bsonvalues
from . import dates
from .errors import CommandError
from .schema_types import bson_type

_DEFAULT_FORMAT = '%Y-%m-%dT%H:%M:%S.%LZ'
_DEFAULT_FORMAT_WITH_TIMEZONE = '%Y-%m-%dT%H:%M:%S.%L'


def _value(parser, expression):
    """An operand's value; NOTHING when it refers to a missing field."""
    try:
        return parser.parse(expression)
    except KeyError:
        return NOTHING


def _type_name(value):
    return 'missing' if value is NOTHING else bson_type(value)


def _operands(argument):
    return argument if isinstance(argument, list) else [argument]


def size(parser, argument):
    operands = _operands(argument)
    if len(operands) != 1:
        raise CommandError(16020, 'Expression $size takes exactly 1 arguments. '
                                  f'{len(operands)} were passed in.')
    value = _value(parser, operands[0])
    if not isinstance(value, (list, tuple)):
        raise CommandError(17124, 'The argument to $size must be an array, but was of type: '
                                  f'{_type_name(value)}')
    return len(value)


def concat_arrays(parser, argument):
    values = [_value(parser, operand) for operand in _operands(argument)]
    for value in values:
        if value is not None and value is not NOTHING and not isinstance(value, (list, tuple)):
            raise CommandError(28664, f'$concatArrays only supports arrays, not {_type_name(value)}')
    if any(value is None or value is NOTHING for value in values):
        return None
    return [item for value in values for item in value]


def set_union(parser, argument):
    values = [_value(parser, operand) for operand in _operands(argument)]
    union = {}
    for value in values:
        if value is None or value is NOTHING:
            return None
        if not isinstance(value, (list, tuple)):
            raise CommandError(17043, 'All operands of $setUnion must be arrays. One argument is of type: '
                                      f'{_type_name(value)}')
        for item in value:
            union.setdefault(bsonvalues.equality_key(item), item)
    return sorted(union.values(), key=bsonvalues.compare_key)


def date_to_string(parser, argument):
    if not isinstance(argument, dict):
        raise CommandError(18629, '$dateToString only supports an object as its argument')
    for field in argument:
        if field not in ('date', 'format', 'timezone', 'onNull'):
            raise CommandError(18534, f'Unrecognized argument to $dateToString: {field}')
    if 'date' not in argument:
        raise CommandError(18628, "Missing 'date' parameter to $dateToString")
    fmt = _value(parser, argument['format']) if 'format' in argument else None
    if 'format' in argument and fmt is not None and fmt is not NOTHING:
        if not isinstance(fmt, str):
            raise CommandError(18533, "$dateToString requires that 'format' be a string, found: "
                                      f'{_type_name(fmt)} with value {bsonvalues.render(fmt)}')
        _check_format(fmt)
    timezone = _value(parser, argument['timezone']) if 'timezone' in argument else None
    nullish_timezone = timezone is None or timezone is NOTHING
    # the timezone is checked before a null date is looked at, as in mongod
    offset = datetime.timedelta(0) if nullish_timezone else dates.tz_offset(timezone, '$dateToString')
    date = _value(parser, argument['date'])
    if date is None or date is NOTHING:
        if 'onNull' not in argument:
            return None
        on_null = _value(parser, argument['onNull'])
        if on_null is NOTHING:
            raise KeyError('onNull')
        return on_null
    if 'format' in argument and (fmt is None or fmt is NOTHING):
        return None
    if 'timezone' in argument and nullish_timezone:
        return None
    utc = dates.to_date(date)
    if utc is None:
        raise CommandError(16006, f"can't convert from BSON type {_type_name(date)} to Date")
    if fmt is None:
        fmt = _DEFAULT_FORMAT_WITH_TIMEZONE if 'timezone' in argument else _DEFAULT_FORMAT
    return format_date(utc, fmt, offset)


def _check_format(fmt):
    index = 0
    while index < len(fmt):
        if fmt[index] == '%':
            if index + 1 == len(fmt):
                raise CommandError(18535, "Unmatched '%' at end of format string")
            if fmt[index + 1] != '%' and fmt[index + 1] not in _SPECIFIERS:
                raise CommandError(18536, f"Invalid format character '%{fmt[index + 1]}' in format string")
            index += 1
        index += 1


def _offset_hhmm(offset):
    minutes = int(offset.total_seconds() // 60)
    sign = '-' if minutes < 0 else '+'
    return f'{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}'


def _offset_minutes(offset):
    minutes = int(offset.total_seconds() // 60)
    return f"{'-' if minutes < 0 else '+'}{abs(minutes)}"


def _week_sunday_based(local):
    """mongod's %U: the week of the year, weeks starting on Sunday, 00 before the first one."""
    day_of_week = local.isoweekday() % 7 + 1  # 1 = Sunday
    day_of_year = local.timetuple().tm_yday
    return (day_of_year - day_of_week + 7) // 7


_SPECIFIERS = {
    'd': lambda t, o: f'{t.day:02d}',
    'G': lambda t, o: f'{t.isocalendar()[0]:04d}',
    'H': lambda t, o: f'{t.hour:02d}',
    'j': lambda t, o: f'{t.timetuple().tm_yday:03d}',
    'L': lambda t, o: f'{t.microsecond // 1000:03d}',
    'm': lambda t, o: f'{t.month:02d}',
    'M': lambda t, o: f'{t.minute:02d}',
    'S': lambda t, o: f'{t.second:02d}',
    'w': lambda t, o: str(t.isoweekday() % 7 + 1),
    'u': lambda t, o: str(t.isoweekday()),
    'U': lambda t, o: f'{_week_sunday_based(t):02d}',
    'V': lambda t, o: f'{t.isocalendar()[1]:02d}',
    'Y': lambda t, o: f'{t.year:04d}',
    'z': lambda t, o: _offset_hhmm(o),
    'Z': lambda t, o: _offset_minutes(o),
}


def format_date(utc, fmt, offset=datetime.timedelta(0)):
    """A naive UTC datetime rendered with a $dateToString format at a fixed UTC offset."""
    local = utc + offset
    out, index = [], 0
    while index < len(fmt):
        char = fmt[index]
        if char == '%':
            spec = fmt[index + 1]
            out.append('%' if spec == '%' else _SPECIFIERS[spec](local, offset))
            index += 2
        else:
            out.append(char)
            index += 1
    return ''.join(out)


OPERATORS = {
    '$dateToString': date_to_string,
    '$setUnion': set_union,
    '$concatArrays': concat_arrays,
    '$size': size,
}
