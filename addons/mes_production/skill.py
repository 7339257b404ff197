# This file is part of Tryton MES.  See README.md for license terms.
from collections import defaultdict

from sql import Null

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.tools import grouped_slice, reduce_ids
from trytond.transaction import Transaction

from .exceptions import QualificationError
from .reason import UniqueCodeMixin


class Skill(UniqueCodeMixin, ModelSQL, ModelView):
    "What an operator must be qualified for to run an operation."
    __name__ = 'mes.skill'
    __string__ = "Skill"
    _code_unique_message = 'mes_production.msg_skill_code_unique'
    description = fields.Text("Description")


class OperationSkill(ModelSQL):
    "A skill a routing operation requires of its operators."
    __name__ = 'production.routing.operation-mes.skill'
    __string__ = "Operation Required Skill"
    operation = fields.Many2One(
        'production.routing.operation', "Operation", required=True,
        ondelete='CASCADE')
    skill = fields.Many2One(
        'mes.skill', "Skill", required=True, ondelete='RESTRICT')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('operation_skill_unique', Unique(t, t.operation, t.skill),
                'mes_production.msg_operation_skill_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.operation, Index.Equality())))


class Qualification(ModelSQL, ModelView):
    """An employee's qualification for a skill, from the day it was gained
    until the day it expires (a certificate to renew, a training to repeat).
    """
    __name__ = 'mes.employee.qualification'
    __string__ = "Qualification"
    employee = fields.Many2One(
        'company.employee', "Employee", required=True, ondelete='CASCADE')
    skill = fields.Many2One(
        'mes.skill', "Skill", required=True, ondelete='RESTRICT')
    valid_from = fields.Date(
        "Valid From",
        domain=[If(Eval('valid_from') & Eval('valid_until'),
                ('valid_from', '<=', Eval('valid_until')),
                ())])
    valid_until = fields.Date(
        "Valid Until",
        domain=[If(Eval('valid_from') & Eval('valid_until'),
                ('valid_until', '>=', Eval('valid_from')),
                ())],
        help="The last day the qualification is valid; empty if it does "
        "not expire.")
    note = fields.Text("Note")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.employee, Index.Equality()),
                (t.skill, Index.Equality())))
        cls._order = [
            ('employee', 'ASC'),
            ('skill', 'ASC'),
            ('valid_from', 'DESC NULLS FIRST'),
            ('id', 'DESC'),
            ]

    def get_rec_name(self, name):
        return f'{self.employee.rec_name}: {self.skill.rec_name}'

    @classmethod
    def _valid_on(cls, table, date):
        return (((table.valid_from == Null) | (table.valid_from <= date))
            & ((table.valid_until == Null) | (table.valid_until >= date)))

    @classmethod
    def required_skills(cls, operation_ids):
        "{operation id: {skill id, ...}} of the active skills required."
        pool = Pool()
        OperationSkill = pool.get('production.routing.operation-mes.skill')
        Skill = pool.get('mes.skill')
        required_ = OperationSkill.__table__()
        skill = Skill.__table__()
        cursor = Transaction().connection.cursor()
        required = defaultdict(set)
        for sub_ids in grouped_slice(operation_ids):
            cursor.execute(*required_.join(
                    skill, condition=required_.skill == skill.id).select(
                    required_.operation, required_.skill,
                    where=reduce_ids(required_.operation, sub_ids)
                    & (skill.active == True)))  # noqa: E712
            for operation_id, skill_id in cursor:
                required[operation_id].add(skill_id)
        return required

    @classmethod
    def skills_held(cls, skill_ids, date, employee_ids=None):
        """{employee id: {skill id, ...}} of the skills among skill_ids
        held on date by the employees of the context's company employed
        then (or by employee_ids only)."""
        pool = Pool()
        Employee = pool.get('company.employee')
        qualification = cls.__table__()
        employee = Employee.__table__()
        cursor = Transaction().connection.cursor()
        held = defaultdict(set)
        if not skill_ids:
            return held
        where = (reduce_ids(qualification.skill, list(skill_ids))
            & cls._valid_on(qualification, date)
            & ((employee.start_date == Null) | (employee.start_date <= date))
            & ((employee.end_date == Null) | (employee.end_date >= date)))
        if employee_ids is not None:
            where &= reduce_ids(qualification.employee, list(employee_ids))
        elif company_id := Transaction().context.get('company'):
            where &= employee.company == company_id
        cursor.execute(*qualification.join(
                employee, condition=qualification.employee == employee.id
                ).select(qualification.employee, qualification.skill,
                where=where))
        for employee_id, skill_id in cursor:
            held[employee_id].add(skill_id)
        return held

    @classmethod
    def check_qualified(cls, works, employee):
        """Refuse to let employee run any of works whose operation needs a
        skill the employee does not hold today."""
        pool = Pool()
        Date = pool.get('ir.date')
        Skill = pool.get('mes.skill')
        required = cls.required_skills({w.operation.id for w in works})
        if not required:
            return
        needed = set().union(*required.values())
        held = cls.skills_held(
            needed, Date.today(), [employee.id]).get(employee.id, set())
        for work in works:
            missing = required.get(work.operation.id, set()) - held
            if missing:
                raise QualificationError(gettext(
                        'mes_production.msg_operator_not_qualified',
                        employee=employee.rec_name,
                        work=work.rec_name,
                        skills=', '.join(sorted(
                                s.rec_name for s in Skill.browse(missing)))))
