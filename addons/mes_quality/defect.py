# This file is part of Tryton MES.  See README.md for license terms.
"""Defect categories of attribute characteristics and the breakdown of a
sample's count by category."""
import datetime as dt

from sql.aggregate import Min, Sum

from trytond.i18n import gettext
from trytond.model import (
    ModelSQL, ModelView, Unique, fields)
from trytond.modules.mes_production.reason import UniqueCodeMixin
from trytond.pool import Pool
from trytond.transaction import Transaction

from .exceptions import MeasurementError


class DefectCategory(UniqueCodeMixin, ModelSQL, ModelView):
    "A kind of defect found by attribute inspections."
    __name__ = 'mes.quality.defect.category'
    __string__ = "Defect Category"
    _code_unique_message = 'mes_quality.msg_defect_category_code_unique'


class CharacteristicDefectCategory(ModelSQL):
    "Characteristic - Defect Category"
    __name__ = 'mes.quality.characteristic-defect.category'
    __string__ = "Characteristic Defect Category"
    characteristic = fields.Many2One(
        'mes.quality.characteristic', "Characteristic", required=True,
        ondelete='CASCADE')
    category = fields.Many2One(
        'mes.quality.defect.category', "Category", required=True,
        ondelete='CASCADE')


class MeasurementDefect(ModelSQL, ModelView):
    "How many of a sample's defects fall in one category."
    __name__ = 'mes.quality.measurement.defect'
    __string__ = "Measurement Defect"
    measurement = fields.Many2One(
        'mes.quality.measurement', "Measurement", required=True,
        ondelete='CASCADE')
    category = fields.Many2One(
        'mes.quality.defect.category', "Category", required=True,
        ondelete='RESTRICT')
    count = fields.Integer(
        "Count", required=True, domain=[('count', '>', 0)])

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('measurement_category_unique',
                Unique(t, t.measurement, t.category),
                'mes_quality.msg_measurement_defect_unique'),
            ]

    @classmethod
    def check_modification(cls, mode, defects, values=None,
            external=False):
        super().check_modification(
            mode, defects, values=values, external=external)
        if mode in {'write', 'delete'}:
            raise MeasurementError(gettext(
                    'mes_quality.msg_measurement_immutable'))


class DefectParetoContext(ModelView):
    "Defect Pareto Context"
    __name__ = 'mes.quality.defect.pareto.context'
    __string__ = "Defect Pareto Context"
    from_date = fields.Date("From Date")
    to_date = fields.Date("To Date")


class DefectPareto(ModelSQL, ModelView):
    "Defects per category of the attribute characteristics: the Pareto."
    __name__ = 'mes.quality.defect.pareto'
    __string__ = "Defect Pareto"
    category = fields.Many2One(
        'mes.quality.defect.category', "Category", readonly=True)
    characteristic = fields.Many2One(
        'mes.quality.characteristic', "Characteristic", readonly=True)
    count = fields.Integer("Defects", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('count', 'DESC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Defect = pool.get('mes.quality.measurement.defect')
        Measurement = pool.get('mes.quality.measurement')
        defect = Defect.__table__()
        measurement = Measurement.__table__()
        context = Transaction().context
        where = measurement.company == context.get('company', -1)
        if context.get('from_date'):
            where &= measurement.measured_at >= dt.datetime.combine(
                context['from_date'], dt.time())
        if context.get('to_date'):
            where &= measurement.measured_at < dt.datetime.combine(
                context['to_date'] + dt.timedelta(days=1), dt.time())
        return defect.join(measurement,
            condition=defect.measurement == measurement.id).select(
            Min(defect.id).as_('id'),
            defect.category.as_('category'),
            measurement.characteristic.as_('characteristic'),
            Sum(defect.count).as_('count'),
            where=where,
            group_by=[defect.category, measurement.characteristic])


def check_defects(measurement):
    "The breakdown names the characteristic's categories and adds up."
    characteristic = measurement.characteristic
    if not measurement.defects:
        return
    allowed = set(characteristic.defect_categories)
    for line in measurement.defects:
        if line.category not in allowed:
            raise MeasurementError(gettext(
                    'mes_quality.msg_measurement_defect_category',
                    category=line.category.rec_name,
                    characteristic=characteristic.rec_name))
    total = sum(line.count for line in measurement.defects)
    # A defective unit may have several defects (p, np); defects are the
    # count itself (c, u).
    if characteristic.chart_type in {'c', 'u'}:
        exact = total == measurement.value
    else:
        exact = total >= measurement.value
    if not exact:
        raise MeasurementError(gettext(
                'mes_quality.msg_measurement_defect_total',
                characteristic=characteristic.rec_name, total=total,
                value=measurement.value))
