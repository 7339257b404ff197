# This file is part of Tryton MES.  See README.md for license terms.
from trytond.exceptions import UserError, UserWarning
from trytond.model.exceptions import ValidationError


class ScrapReasonError(ValidationError):
    pass


class DispatchError(UserError):
    pass


class TerminalError(UserError):
    pass


class QuantityError(UserError):
    pass


class OverProductionWarning(UserWarning):
    pass
