# This file is part of Tryton MES.  See README.md for license terms.
import datetime as dt

from trytond.pool import Pool, PoolMeta


class Terminal(metaclass=PoolMeta):
    __name__ = 'mes.terminal'

    def _do_report(self, work, employee, data):
        pool = Pool()
        Count = pool.get('mes.equipment.count')
        result = super()._do_report(work, employee, data)
        machines = [e for e in work.work_center.equipments
            if e.kind == 'machine' and e.active]
        if machines:
            good = float(data.get('good') or 0)
            scrap = sum(float(s.get('quantity') or 0)
                for s in data.get('scraps') or [])
            # Parts made at a work center count on its (first) machine.
            Count.create([{
                        'equipment': machines[0].id,
                        'at': dt.datetime.now(),
                        'total': round(good + scrap),
                        'reject': round(scrap),
                        'source': 'terminal',
                        }])
        return result
