# This file is part of Tryton MES.  See README.md for license terms.
"""The machine of a measurement, where mes_equipment is activated."""
from trytond.model import fields
from trytond.pool import PoolMeta


class Measurement(metaclass=PoolMeta):
    __name__ = 'mes.quality.measurement'
    equipment = fields.Many2One(
        'mes.equipment', "Machine", ondelete='RESTRICT',
        help="The machine the measured piece was made on, or whose sensor "
        "gave the value.")


class Terminal(metaclass=PoolMeta):
    __name__ = 'mes.terminal'

    def _measurement_values(self, work):
        values = super()._measurement_values(work)
        machines = [e for e in work.work_center.equipments
            if e.kind == 'machine' and e.active]
        if machines:
            # Parts made at a work center are made on its (first) machine.
            values['equipment'] = machines[0].id
        return values
