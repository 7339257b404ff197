# This file is part of Tryton MES.  See README.md for license terms.
import datetime as dt
import math

from sql.aggregate import Max

from trytond.i18n import gettext
from trytond.modules.mes_production.exceptions import TerminalError
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction


class Terminal(metaclass=PoolMeta):
    __name__ = 'mes.terminal'

    @classmethod
    def action_kinds(cls):
        return super().action_kinds() + [('measure', "Enter Sample")]

    def state_extra(self):
        pool = Pool()
        Work = pool.get('production.work')
        Characteristic = pool.get('mes.quality.characteristic')
        extra = super().state_extra()
        works = Work.search([
                ('work_center', 'in', self.work_centers_query()),
                ('state', 'in', ['waiting', 'running']),
                ])
        samples = {}
        for work_id, dues in Characteristic.samples_due(works).items():
            if dues:
                samples[str(work_id)] = [
                    characteristic.sample_description(due)
                    for characteristic, due in dues]
        extra['samples'] = samples
        return extra

    def _do_start(self, work, employee, data):
        pool = Pool()
        Work = pool.get('production.work')
        result = super()._do_start(work, employee, data)
        # Quality inspects while the work runs, not after the operator
        # asked to finish it.
        Work.create_finish_inspections([work])
        return result

    def _do_finish(self, work, employee, data):
        pool = Pool()
        Work = pool.get('production.work')
        Control = pool.get('quality.control')
        if Control.get_inspections([work], 'finish'):
            raise TerminalError(gettext(
                    'mes_quality.msg_terminal_inspection_missing',
                    work=work.rec_name))
        pending = work.quality_inspections_pending()
        if pending:
            raise TerminalError(gettext(
                    'mes_quality.msg_terminal_inspection_pending',
                    work=work.rec_name,
                    inspections=', '.join(i.rec_name for i in pending)))
        failed = work.quality_inspections_failed()
        if failed:
            raise TerminalError(gettext(
                    'mes_quality.msg_terminal_inspection_failed',
                    work=work.rec_name,
                    inspections=', '.join(i.rec_name for i in failed)))
        return super()._do_finish(Work(work.id), employee, data)

    def _measurement_values(self, work):
        "More values of the measurements taken at the work."
        return {}

    def _do_measure(self, work, employee, data):
        pool = Pool()
        Characteristic = pool.get('mes.quality.characteristic')
        Measurement = pool.get('mes.quality.measurement')
        Lot = pool.get('stock.lot')
        try:
            characteristic_id = int(data.get('characteristic'))
        except (TypeError, ValueError):
            characteristic_id = None
        dues = dict(
            (c.id, due) for c, due in Characteristic.samples_due(
                [work])[work.id])
        if characteristic_id not in dues:
            raise TerminalError(gettext(
                    'mes_quality.msg_terminal_characteristic_unknown',
                    characteristic=data.get('characteristic'),
                    work=work.rec_name))
        characteristic = Characteristic(characteristic_id)
        values = data.get('values')
        if not isinstance(values, list):
            values = [values]
        size = characteristic.sample_size
        if len(values) != size:
            raise TerminalError(gettext(
                    'mes_quality.msg_terminal_sample_size',
                    characteristic=characteristic.rec_name, size=size,
                    count=len(values)))
        numbers = []
        for value in values:
            try:
                number = float(str(value).replace(',', '.'))
                if not math.isfinite(number):
                    raise ValueError
            except ValueError:
                raise TerminalError(gettext(
                        'mes_quality.msg_terminal_sample_value',
                        value=value))
            numbers.append(number)
        lot = None
        if data.get('lot'):
            lots = Lot.search([('number', '=', str(data['lot']))], limit=1)
            if not lots:
                raise TerminalError(gettext(
                        'mes_quality.msg_terminal_sample_lot',
                        lot=data['lot']))
            lot, = lots
        else:
            lot = characteristic.measured_lot(work)
        subgroup = None
        if size > 1:
            # One sample is one subgroup: number it under the
            # characteristic's row lock, so two terminals never share one.
            Characteristic.lock([characteristic])
            table = Measurement.__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*table.select(
                    Max(table.subgroup),
                    where=table.characteristic == characteristic.id))
            last, = cursor.fetchone()
            subgroup = (last or 0) + 1
        now = dt.datetime.now()
        measurements = Measurement.create([{
                    'characteristic': characteristic.id,
                    'value': number,
                    'inspected': data.get('inspected'),
                    'subgroup': subgroup,
                    'measured_at': now,
                    'work': work.id,
                    'work_center': work.work_center.id,
                    'lot': lot.id if lot else None,
                    'employee': employee.id,
                    'source': 'terminal',
                    'company': characteristic.company.id,
                    **self._measurement_values(work),
                    } for number in numbers])
        due, = [d for c, d in Characteristic.samples_due([work])[work.id]
            if c.id == characteristic.id]
        return {'measurements': [m.id for m in measurements],
            'lot': lot.number if lot else None, 'due': due}
