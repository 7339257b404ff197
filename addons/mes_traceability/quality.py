# This file is part of Tryton MES.  See README.md for license terms.
"""Measurements, violations and holds in the as-built record, where
mes_quality is activated."""
from trytond.pool import Pool, PoolMeta

from .as_built import iso


class AsBuilt(metaclass=PoolMeta):
    __name__ = 'mes.as_built'

    @classmethod
    def _get_content(cls, production, output):
        pool = Pool()
        Measurement = pool.get('mes.quality.measurement')
        Violation = pool.get('mes.quality.violation')
        Hold = pool.get('mes.quality.hold')
        content = super()._get_content(production, output)
        measurements = Measurement.search([
                ['OR',
                    ('work', 'in', [w.id for w in production.works]),
                    ('lot', '=', output.lot.id),
                    ],
                ], order=[('measured_at', 'ASC'), ('id', 'ASC')])
        content['measurements'] = [{
                'characteristic': m.characteristic.rec_name,
                'value': m.value,
                'inspected': m.inspected,
                'subgroup': m.subgroup,
                'at': iso(m.measured_at),
                'work': m.work.rec_name if m.work else None,
                'lot': m.lot.number if m.lot else None,
                'operator': m.employee.rec_name if m.employee else None,
                'source': m.source,
                } for m in measurements]
        violations = Violation.search([
                ('measurement', 'in', [m.id for m in measurements]),
                ], order=[('create_date', 'ASC'), ('id', 'ASC')])
        content['violations'] = [{
                'characteristic': v.characteristic.rec_name,
                'rule': v.rule_string,
                'at': iso(v.measurement.measured_at),
                } for v in violations]
        consumed = [c['lot'] for c in content['consumed']]
        holds = Hold.search([
                ['OR',
                    ('violation', 'in', [v.id for v in violations]),
                    ('lot.number', 'in', consumed + [output.lot.number]),
                    ],
                ], order=[('create_date', 'ASC'), ('id', 'ASC')])
        content['holds'] = [{
                'lot': h.lot.number if h.lot else None,
                'work_center': (h.work_center.rec_name
                    if h.work_center else None),
                'reason': h.reason,
                'state': h.state,
                'comment': h.comment,
                'dispositioned_by': (h.dispositioned_by.rec_name
                    if h.dispositioned_by else None),
                'dispositioned_at': iso(h.dispositioned_at),
                'placed_at': iso(h.create_date),
                } for h in holds]
        return content
