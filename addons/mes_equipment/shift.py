# This file is part of Tryton MES.  See README.md for license terms.
"""Shift patterns: when machines are planned to produce."""
import datetime as dt

from trytond.i18n import gettext
from trytond.model import DeactivableMixin, ModelSQL, ModelView, fields
from trytond.transaction import Transaction

from . import shifts
from .exceptions import ShiftValidationError

WEEKDAYS = [
    'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday',
    'sunday']


class ShiftPattern(DeactivableMixin, ModelSQL, ModelView):
    "When a machine or line is planned to produce: shifts and breaks."
    __name__ = 'mes.shift.pattern'
    __string__ = "Shift Pattern"
    name = fields.Char("Name", required=True)
    company = fields.Many2One('company.company', "Company", required=True)
    shifts = fields.One2Many('mes.shift', 'pattern', "Shifts")

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    def spec(self):
        "The pattern for the shifts module."
        return tuple(s.spec() for s in self.shifts)


class Shift(ModelSQL, ModelView):
    "A shift of a pattern, on some weekdays."
    __name__ = 'mes.shift'
    __string__ = "Shift"
    pattern = fields.Many2One(
        'mes.shift.pattern', "Pattern", required=True, ondelete='CASCADE')
    name = fields.Char("Name", required=True)
    start_time = fields.Time("Start", required=True)
    duration = fields.TimeDelta(
        "Duration", required=True,
        help="A shift may run past midnight, up to 24 hours.")
    monday = fields.Boolean("Monday")
    tuesday = fields.Boolean("Tuesday")
    wednesday = fields.Boolean("Wednesday")
    thursday = fields.Boolean("Thursday")
    friday = fields.Boolean("Friday")
    saturday = fields.Boolean("Saturday")
    sunday = fields.Boolean("Sunday")
    breaks = fields.One2Many('mes.shift.break', 'shift', "Planned Breaks")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('start_time', 'ASC'))

    @staticmethod
    def _default_workday():
        return True

    default_monday = default_tuesday = default_wednesday = _default_workday
    default_thursday = default_friday = _default_workday

    @classmethod
    def default_saturday(cls):
        return False

    @classmethod
    def default_sunday(cls):
        return False

    @classmethod
    def validate(cls, shift_list):
        super().validate(shift_list)
        for shift in shift_list:
            shift.check_times()

    def check_times(self):
        if not dt.timedelta() < self.duration <= dt.timedelta(days=1):
            raise ShiftValidationError(gettext(
                    'mes_equipment.msg_shift_duration', shift=self.name))
        for break_ in self.breaks:
            if (break_.offset < dt.timedelta()
                    or break_.duration <= dt.timedelta()
                    or break_.offset + break_.duration > self.duration):
                raise ShiftValidationError(gettext(
                        'mes_equipment.msg_shift_break_outside',
                        break_=break_.name, shift=self.name))

    def spec(self):
        return shifts.Shift(
            name=self.name,
            weekdays=frozenset(
                i for i, day in enumerate(WEEKDAYS) if getattr(self, day)),
            start=self.start_time, duration=self.duration,
            breaks=tuple(
                shifts.Break(b.offset, b.duration, b.name)
                for b in self.breaks))


class ShiftBreak(ModelSQL, ModelView):
    "A planned break in a shift: a meal, a team meeting."
    __name__ = 'mes.shift.break'
    __string__ = "Shift Break"
    shift = fields.Many2One(
        'mes.shift', "Shift", required=True, ondelete='CASCADE')
    name = fields.Char("Name", required=True)
    offset = fields.TimeDelta(
        "After", required=True, help="From the start of the shift.")
    duration = fields.TimeDelta("Duration", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('offset', 'ASC'))

    @classmethod
    def validate(cls, breaks):
        super().validate(breaks)
        for shift in {b.shift for b in breaks}:
            shift.check_times()
