# This file is part of Tryton MES.  See README.md for license terms.
from trytond.model import fields
from trytond.pool import Pool, PoolMeta


class Problem(metaclass=PoolMeta):
    __name__ = 'mes.problem'
    maintenance_requests = fields.One2Many(
        'mes.maintenance.request', 'problem', "Maintenance Requests",
        readonly=True)

    @classmethod
    def get_kinds(cls):
        return super().get_kinds() + [
            ('machine_down', "Machine down"),
            ('machine', "Machine fault (still running)"),
            ]

    @classmethod
    def raise_(cls, problems):
        """Open a corrective maintenance request on the machine of the
        work center for each machine problem."""
        pool = Pool()
        Request = pool.get('mes.maintenance.request')
        super().raise_(problems)
        to_create = []
        for problem in problems:
            if problem.kind not in {'machine_down', 'machine'}:
                continue
            machine = problem.machine
            if not machine:
                continue
            to_create.append({
                    'equipment': machine.id,
                    'company': problem.company.id,
                    'kind': 'corrective',
                    'source': 'terminal',
                    'problem': problem.id,
                    'machine_down': problem.kind == 'machine_down',
                    'priority': (
                        'urgent' if problem.kind == 'machine_down'
                        else 'high'),
                    'description': problem.description,
                    })
        Request.create(to_create)

    @property
    def machine(self):
        "The machine the problem is about: the first of its work center."
        if not self.work_center:
            return None
        machines = [e for e in self.work_center.equipments
            if e.kind == 'machine' and e.active]
        return machines[0] if machines else None
