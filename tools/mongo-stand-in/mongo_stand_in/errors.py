"""Server error codes and the exception used to answer a command with ``ok: 0``."""

from pymongo.errors import DuplicateKeyError, OperationFailure, WriteError

CODE_NAMES = {
    1: 'InternalError',
    2: 'BadValue',
    9: 'FailedToParse',
    11: 'UserNotFound',
    13: 'Unauthorized',
    14: 'TypeMismatch',
    20: 'IllegalOperation',
    26: 'NamespaceNotFound',
    27: 'IndexNotFound',
    40: 'ConflictingUpdateOperators',
    43: 'CursorNotFound',
    48: 'NamespaceExists',
    50: 'MaxTimeMSExpired',
    59: 'CommandNotFound',
    66: 'ImmutableField',
    67: 'CannotCreateIndex',
    72: 'InvalidOptions',
    73: 'InvalidNamespace',
    85: 'IndexOptionsConflict',
    86: 'IndexKeySpecsConflict',
    96: 'OperationFailed',
    121: 'DocumentValidationFailure',
    13113: 'MergeStageNoMatchingDocument',
    168: 'InvalidPipelineOperator',
    238: 'NotImplemented',
    352: 'UnsupportedOpQueryCommand',
    11000: 'DuplicateKey',
    40324: 'Location40324',
    40415: 'Location40415',
}


class CommandError(Exception):
    """Raised by a command handler; becomes ``{ok: 0, errmsg, code, codeName}``."""

    def __init__(self, code, errmsg, code_name=None, extra=None):
        super().__init__(errmsg)
        self.code = code
        self.errmsg = errmsg
        self.code_name = code_name or CODE_NAMES.get(code, f'Location{code}')
        self.extra = extra or {}

    def to_reply(self):
        reply = {'ok': 0.0, 'errmsg': self.errmsg, 'code': self.code, 'codeName': self.code_name}
        reply.update(self.extra)
        return reply


def not_implemented(what):
    """Error for a valid MongoDB feature that the stand-in does not reproduce faithfully."""
    return CommandError(238, f'{what} is not supported by the MongoDB stand-in (mongomock engine)')


def bad_value(msg):
    return CommandError(2, msg)


def type_mismatch(msg):
    return CommandError(14, msg)


def error_from_exception(exc):
    """Map an exception raised inside a command to a CommandError (None: unexpected)."""
    if isinstance(exc, CommandError):
        return exc
    if isinstance(exc, NotImplementedError):
        return CommandError(238, f'not supported by the MongoDB stand-in (mongomock engine): {exc}')
    if isinstance(exc, DuplicateKeyError):
        details = exc.details or {}
        extra = {k: details[k] for k in ('keyPattern', 'keyValue', 'errInfo') if k in details}
        return CommandError(exc.code or 11000, details.get('errmsg', str(exc)), extra=extra)
    if isinstance(exc, (WriteError, OperationFailure)):
        return CommandError(exc.code or 2, str(exc))
    return None
