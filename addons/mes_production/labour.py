# This file is part of Tryton MES.  See README.md for license terms.
from sql.aggregate import Count, Max, Min, Sum
from sql.conditionals import Coalesce
from sql.functions import CurrentTimestamp, Extract, Function

from trytond import backend
from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool


class _JulianDay(Function):
    __slots__ = ()
    _function = 'JULIANDAY'


def _seconds_between(start, end):
    if backend.name == 'sqlite':
        return (_JulianDay(end) - _JulianDay(start)) * 86400
    return Extract('EPOCH', end - start)


class LabourReport(ModelSQL, ModelView):
    "Work time and quantities of each employee per day."
    __name__ = 'mes.labour.report'
    __string__ = "Labour Report"
    employee = fields.Many2One('company.employee', "Employee")
    date = fields.Date("Date")
    company = fields.Many2One('company.company', "Company")
    cycles = fields.Integer("Cycles")
    hours = fields.Float("Hours", digits=(16, 2))
    good_quantity = fields.Float("Good")
    first_start = fields.DateTime("First Start")
    last_end = fields.DateTime("Last End")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('employee', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Cycle = pool.get('production.work.cycle')
        Work = pool.get('production.work')
        cycle = Cycle.__table__()
        work = Work.__table__()
        day = cls.date.sql_cast(cycle.started_at)
        seconds = _seconds_between(
            cycle.started_at, Coalesce(cycle.ended_at, CurrentTimestamp()))
        # A cycle belongs to one employee and day: the largest cycle id is a
        # stable id for the row.
        return cycle.join(work, condition=cycle.work == work.id).select(
            Max(cycle.id).as_('id'),
            cycle.run_by.as_('employee'),
            day.as_('date'),
            work.company.as_('company'),
            Count(cycle.id).as_('cycles'),
            (Sum(seconds) / 3600.0).as_('hours'),
            Sum(Coalesce(cycle.good_quantity, 0)).as_('good_quantity'),
            Min(cycle.started_at).as_('first_start'),
            Max(cycle.ended_at).as_('last_end'),
            Max(cycle.create_uid).as_('create_uid'),
            Max(cycle.create_date).as_('create_date'),
            Max(cycle.write_uid).as_('write_uid'),
            Max(cycle.write_date).as_('write_date'),
            where=(cycle.started_at != None)  # noqa: E711
            & (cycle.run_by != None)  # noqa: E711
            & (cycle.state != 'cancelled'),
            group_by=[cycle.run_by, day, work.company])
