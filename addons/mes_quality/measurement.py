# This file is part of Tryton MES.  See README.md for license terms.
import datetime as dt

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.rpc import RPC
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from . import csv_import
from .defect import check_defects
from .exceptions import MeasurementImportError, MeasurementError

# How many line errors an import refusal lists before "and N more".
MAX_IMPORT_ERRORS = 20


class Measurement(ModelSQL, ModelView):
    "One measured value of a characteristic."
    __name__ = 'mes.quality.measurement'
    __string__ = "Measurement"
    characteristic = fields.Many2One(
        'mes.quality.characteristic', "Characteristic", required=True,
        ondelete='RESTRICT')
    value = fields.Float(
        "Value", required=True,
        help="The measured value; for an attribute, the defectives (p, np) "
        "or defects (c, u) found in the sample.")
    inspected = fields.Float(
        "Inspected",
        help="Units inspected in an attribute sample: the sample size of a "
        "p chart, the units of a u chart.")
    defects = fields.One2Many(
        'mes.quality.measurement.defect', 'measurement', "Defects",
        help="The sample's count by defect category.")
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
        cls.__rpc__.update({
                'import_csv': RPC(
                    readonly=False, result=lambda ms: [m.id for m in ms]),
                })

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
    def validate_fields(cls, measurements, field_names):
        super().validate_fields(measurements, field_names)
        for measurement in measurements:
            measurement.check_attribute()
            check_defects(measurement)

    def check_attribute(self):
        characteristic = self.characteristic
        if characteristic.type_ != 'attribute':
            return
        if self.value < 0 or self.value != int(self.value):
            raise MeasurementError(gettext(
                    'mes_quality.msg_measurement_attribute_count',
                    characteristic=characteristic.rec_name,
                    value=self.value))
        if characteristic.chart_type in {'p', 'u'}:
            if not self.inspected or self.inspected <= 0:
                raise MeasurementError(gettext(
                        'mes_quality.msg_measurement_inspected',
                        characteristic=characteristic.rec_name))
        if characteristic.chart_type in {'p', 'np'}:
            size = (self.inspected if characteristic.chart_type == 'p'
                else characteristic.subgroup_size)
            if size and self.value > size:
                raise MeasurementError(gettext(
                        'mes_quality.msg_measurement_defectives',
                        characteristic=characteristic.rec_name,
                        value=self.value, size=size))

    @classmethod
    def on_modification(cls, mode, measurements, field_names=None):
        pool = Pool()
        Characteristic = pool.get('mes.quality.characteristic')
        super().on_modification(mode, measurements, field_names=field_names)
        if mode == 'create':
            Characteristic.monitor(measurements)

    @classmethod
    def import_csv(cls, data):
        """Import the measurements of a lab instrument's CSV export (text
        or bytes), all or nothing: a file with any bad line is refused with
        every bad line's number and reason. Return the new measurements."""
        pool = Pool()
        Characteristic = pool.get('mes.quality.characteristic')
        Lot = pool.get('stock.lot')
        WorkCenter = pool.get('production.work.center')
        rows, problems = csv_import.read(data)
        errors = [(line, gettext('mes_quality.msg_import_' + code, **values))
            for line, code, values in problems]
        characteristics, lots, centers = {}, {}, {}

        def find(cache, Model, name, domain):
            if name not in cache:
                found = Model.search(domain, limit=2)
                cache[name] = found[0] if len(found) == 1 else len(found)
            return cache[name]

        to_create = []
        for row in rows:
            characteristic = find(
                characteristics, Characteristic, row.characteristic,
                [('name', '=', row.characteristic)])
            if isinstance(characteristic, int):
                errors.append((row.line, gettext(
                            'mes_quality.msg_import_characteristic_'
                            + ('ambiguous' if characteristic else 'unknown'),
                            characteristic=row.characteristic)))
                continue
            values = {
                'characteristic': characteristic.id,
                'value': row.value,
                'measured_at': row.measured_at,
                'subgroup': row.subgroup,
                'source': 'import',
                'company': characteristic.company.id,
                }
            if row.lot:
                lot = find(lots, Lot, row.lot, [('number', '=', row.lot)])
                if isinstance(lot, int):
                    errors.append((row.line, gettext(
                                'mes_quality.msg_import_lot_unknown',
                                lot=row.lot)))
                    continue
                values['lot'] = lot.id
            if row.work_center:
                center = find(centers, WorkCenter, row.work_center,
                    [('name', '=', row.work_center)])
                if isinstance(center, int):
                    errors.append((row.line, gettext(
                                'mes_quality.msg_import_work_center_unknown',
                                work_center=row.work_center)))
                    continue
                values['work_center'] = center.id
            to_create.append(values)
        if errors:
            errors.sort()
            listed = [gettext('mes_quality.msg_import_line',
                    line=line, error=error)
                for line, error in errors[:MAX_IMPORT_ERRORS]]
            if len(errors) > MAX_IMPORT_ERRORS:
                listed.append(gettext('mes_quality.msg_import_more',
                        count=len(errors) - MAX_IMPORT_ERRORS))
            raise MeasurementImportError(gettext(
                    'mes_quality.msg_import_refused',
                    errors='\n'.join(listed)))
        return cls.create(to_create)


class ImportStart(ModelView):
    "Import Measurements"
    __name__ = 'mes.quality.measurement.import.start'
    __string__ = "Import Measurements"
    file = fields.Binary("CSV File", required=True, filename='filename')
    filename = fields.Char("File Name")


class Import(Wizard):
    "Import measurements from a lab instrument's CSV file."
    __name__ = 'mes.quality.measurement.import'
    start = StateView('mes.quality.measurement.import.start',
        'mes_quality.measurement_import_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Import", 'import_', 'tryton-ok', default=True),
            ])
    import_ = StateTransition()

    def transition_import_(self):
        pool = Pool()
        Measurement = pool.get('mes.quality.measurement')
        Measurement.import_csv(bytes(self.start.file))
        return 'end'
