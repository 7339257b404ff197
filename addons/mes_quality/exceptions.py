# This file is part of Tryton MES.  See README.md for license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class CharacteristicValidationError(ValidationError):
    pass


class LimitError(UserError):
    pass


class MeasurementError(UserError):
    pass


class HoldError(UserError):
    pass


class MeasurementImportError(UserError):
    "A measurement file refused whole."


class SamplingError(UserError):
    pass
