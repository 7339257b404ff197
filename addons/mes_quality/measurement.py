# This file is part of Tryton MES.  See README.md for license terms.
import datetime as dt

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.transaction import Transaction

from .exceptions import MeasurementError


class Measurement(ModelSQL, ModelView):
    "One measured value of a characteristic."
    __name__ = 'mes.quality.measurement'
    characteristic = fields.Many2One(
        'mes.quality.characteristic', "Characteristic", required=True,
        ondelete='RESTRICT')
    value = fields.Float("Value", required=True)
    subgroup = fields.Integer(
        "Subgroup", help="Measurements of one subgroup share this number.")
    measured_at = fields.DateTime("Measured At", required=True)
    work = fields.Many2One(
        'production.work', "Work", ondelete='SET NULL')
    work_center = fields.Many2One(
        'production.work.center', "Work Center", ondelete='SET NULL')
    lot = fields.Many2One('stock.lot', "Lot", ondelete='RESTRICT')
    employee = fields.Many2One(
        'company.employee', "Entered By", ondelete='RESTRICT')
    source = fields.Selection([
            ('terminal', "Terminal"),
            ('import', "CSV Import"),
            ('connector', "Connector"),
            ('manual', "Manual"),
            ], "Source", required=True)
    company = fields.Many2One('company.company', "Company", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t,
                (t.characteristic, Index.Equality()),
                (t.measured_at, Index.Range())))
        cls._order = [('measured_at', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_measured_at(cls):
        return dt.datetime.now()

    @classmethod
    def default_source(cls):
        return 'manual'

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def check_modification(cls, mode, measurements, values=None,
            external=False):
        super().check_modification(
            mode, measurements, values=values, external=external)
        if mode in {'write', 'delete'}:
            raise MeasurementError(gettext(
                    'mes_quality.msg_measurement_immutable'))

    @classmethod
    def on_modification(cls, mode, measurements, field_names=None):
        pool = Pool()
        Characteristic = pool.get('mes.quality.characteristic')
        super().on_modification(mode, measurements, field_names=field_names)
        if mode == 'create':
            Characteristic.monitor(measurements)
