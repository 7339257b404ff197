# This file is part of Tryton MES.  See README.md for license terms.
"""The machines in the as-built record, where mes_equipment is activated."""
from trytond.pool import Pool, PoolMeta

from .as_built import iso

# The states of a machine that interrupt or disturb a work.
STOP_STATES = ['down', 'setup', 'blocked', 'starved', 'offline']


class AsBuilt(metaclass=PoolMeta):
    __name__ = 'mes.as_built'

    @classmethod
    def _get_work(cls, work):
        pool = Pool()
        Equipment = pool.get('mes.equipment')
        State = pool.get('mes.equipment.state')
        Request = pool.get('mes.maintenance.request')
        entry = super()._get_work(work)
        machines = Equipment.search([
                ('work_center', '=', work.work_center.id),
                ('kind', '=', 'machine'),
                ], order=[('code', 'ASC')]) if work.work_center else []
        entry['machines'] = [m.rec_name for m in machines]
        entry['machine_stops'] = []
        entry['maintenance'] = []
        window = cls._work_window(work)
        if not machines or not window:
            return entry
        start, end = window
        machine_ids = [m.id for m in machines]
        stops = State.search([
                ('equipment', 'in', machine_ids),
                ('superseded_by', '=', None),
                ('state', 'in', STOP_STATES),
                # Bounds included: times are kept to the second.
                ('start', '<=', end),
                ['OR', ('end', '=', None), ('end', '>=', start)],
                ], order=[('start', 'ASC'), ('id', 'ASC')])
        entry['machine_stops'] = [{
                'machine': s.equipment.rec_name,
                'state': s.state,
                'reason': s.reason.rec_name if s.reason else None,
                'start': iso(s.start),
                'end': iso(s.end),
                } for s in stops]
        requests = Request.search([
                ('equipment', 'in', machine_ids),
                ('state', '!=', 'cancelled'),
                ('create_date', '<=', end),
                ['OR',
                    ('finished_at', '=', None),
                    ('finished_at', '>=', start)],
                ], order=[('create_date', 'ASC'), ('id', 'ASC')])
        entry['maintenance'] = [{
                'request': r.rec_name,
                'machine': r.equipment.rec_name,
                'kind': r.kind,
                'state': r.state,
                'description': r.description,
                'started': iso(r.started_at),
                'finished': iso(r.finished_at),
                } for r in requests]
        return entry
