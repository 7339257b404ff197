# This file is part of Tryton MES.  See README.md for license terms.
"""The first piece of each shift, where mes_equipment gives the shifts."""
from trytond.modules.mes_equipment import shifts
from trytond.pool import Pool, PoolMeta


class Characteristic(metaclass=PoolMeta):
    __name__ = 'mes.quality.characteristic'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.sampling.selection.append(
            ('first_piece_shift', "First Piece of Each Shift"))

    def _samples_due_of_work(self, work, now):
        pool = Pool()
        Measurement = pool.get('mes.quality.measurement')
        if self.sampling != 'first_piece_shift':
            return super()._samples_due_of_work(work, now)
        runs = [(c.started_at, c.ended_at or now) for c in work.cycles
            if c.started_at and c.state != 'cancelled']
        if not runs:
            return 0
        machines = [e for e in (work.work_center.equipments
                if work.work_center else [])
            if e.kind == 'machine' and e.active]
        pattern = machines[0].shift_spec() if machines else None
        start = min(a for a, _ in runs)
        end = max(b for _, b in runs)
        if pattern is None:
            # No shifts: the whole run is one.
            windows = [(start, end)]
        else:
            windows = [(o.start, o.end)
                for o in shifts.occurrences(pattern, start, end)]
        worked = [(a, b) for a, b in windows
            if any(r_start < b and r_end > a for r_start, r_end in runs)]
        if not worked:
            return 0
        # The first piece of the shift the work runs in now (or last ran
        # in); a shift gone by without its sample is missed, not owed.
        current_start, current_end = worked[-1]
        return 0 if Measurement.search([
                ('work', '=', work.id),
                ('characteristic', '=', self.id),
                ('measured_at', '>=', current_start),
                ('measured_at', '<', current_end),
                ], limit=1) else 1
