# This file is part of Tryton MES.  See README.md for license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class EquipmentValidationError(ValidationError):
    pass


class StateLogError(ValidationError):
    pass


class ShiftValidationError(ValidationError):
    pass


class MaintenanceError(UserError):
    pass
