# This file is part of Tryton MES.  See README.md for license terms.
from trytond.exceptions import UserError


class DispatchError(UserError):
    pass


class TerminalError(UserError):
    pass


class QuantityError(UserError):
    pass


class ScanError(UserError):
    pass


class InstructionError(UserError):
    pass


class QualificationError(UserError):
    pass
