# This file is part of Tryton MES.  See README.md for license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, ValidationError


class GenealogyValidationError(ValidationError):
    pass


class TraceError(UserError):
    pass


class SerialNumberError(UserError):
    pass


class AsBuiltError(AccessError):
    pass
