# This file is part of Tryton MES.  See README.md for license terms.
from trytond import backend
from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.tools import grouped_slice, reduce_ids
from trytond.transaction import Transaction


class WorkCenter(metaclass=PoolMeta):
    __name__ = 'production.work.center'
    equipments = fields.One2Many(
        'mes.equipment', 'work_center', "Machines", readonly=True)


class Work(metaclass=PoolMeta):
    __name__ = 'production.work'

    @classmethod
    def _get_blocking_reasons(cls, rows):
        pool = Pool()
        Equipment = pool.get('mes.equipment')
        reasons = super()._get_blocking_reasons(rows)
        centers = {r.work_center for r in rows if r.work_center}
        if not centers:
            return reasons
        equipment = Equipment.__table__()
        cursor = Transaction().connection.cursor()
        unavailable = {}
        for sub_ids in grouped_slice(list(centers), backend.MAX_QUERY_PARAMS):
            cursor.execute(*equipment.select(
                    equipment.work_center, equipment.code, equipment.name,
                    equipment.status,
                    where=reduce_ids(equipment.work_center, list(sub_ids))
                    & (equipment.status != 'operational')
                    & (equipment.active == True)))  # noqa: E712
            for center, code, name, status in cursor:
                unavailable.setdefault(center, []).append(gettext(
                        'mes_equipment.msg_work_machine_' + status,
                        machine=f'[{code}] {name}'))
        for center, requests in cls._maintenance_blocking(centers).items():
            for request in requests:
                unavailable.setdefault(center, []).append(gettext(
                        'mes_equipment.msg_work_machine_down_request',
                        machine=request.equipment.rec_name,
                        request=request.rec_name))
        for row in rows:
            reasons[row.id].extend(unavailable.get(row.work_center, []))
        return reasons

    @classmethod
    def _maintenance_blocking(cls, centers):
        "{work center id: open machine-down requests of its machines}"
        pool = Pool()
        Equipment = pool.get('mes.equipment')
        Request = pool.get('mes.maintenance.request')
        machines = Equipment.search([
                ('work_center', 'in', list(centers)),
                ])
        if not machines:
            return {}
        center_of = {m.id: m.work_center.id for m in machines}
        result = {}
        for machine, requests in Request.blocking(center_of).items():
            result.setdefault(center_of[machine], []).extend(requests)
        return result
