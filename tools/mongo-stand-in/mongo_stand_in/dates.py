"""Dates and time zones shared by the date expression operators ($dateTrunc, $dateToString)."""

import datetime
import re

from bson.objectid import ObjectId
from bson.timestamp import Timestamp

from .errors import CommandError, not_implemented

_UTC_NAMES = {'UTC', 'GMT', 'Etc/UTC', 'Etc/GMT', 'Etc/Universal', 'Universal', 'Zulu', 'Z'}
_OFFSET_RE = re.compile(r'^([+-])(\d{2})(?::?(\d{2}))?$')


def tz_offset(timezone, operator):
    """The UTC offset of a timezone argument; Olson zones other than UTC aliases are 238."""
    if timezone is None or timezone in _UTC_NAMES:
        return datetime.timedelta(0)
    if not isinstance(timezone, str):
        raise CommandError(40517, f'timezone must evaluate to a string, found {type(timezone).__name__}')
    match = _OFFSET_RE.match(timezone)
    if not match:
        raise not_implemented(f'{operator} with timezone {timezone!r} (only UTC and fixed offsets)')
    sign = -1 if match.group(1) == '-' else 1
    return sign * datetime.timedelta(hours=int(match.group(2)), minutes=int(match.group(3) or 0))


def to_date(value):
    """A naive UTC datetime for a date, Timestamp or ObjectId; None for anything else."""
    if isinstance(value, datetime.datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else \
            (value - value.utcoffset()).replace(tzinfo=None)
    if isinstance(value, ObjectId):
        return value.generation_time.replace(tzinfo=None)
    if isinstance(value, Timestamp):
        return value.as_datetime().replace(tzinfo=None)
    return None
