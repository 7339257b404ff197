# This file is part of Tryton MES.  See README.md for license terms.
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, fields, tree)
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .exceptions import EquipmentValidationError

KINDS = [
    ('site', "Site"),
    ('line', "Line"),
    ('cell', "Cell"),
    ('machine', "Machine"),
    ]
# A child must sit strictly below its parent in the ISA-95 hierarchy.
KIND_LEVEL = {kind: level for level, (kind, _) in enumerate(KINDS)}


class Equipment(DeactivableMixin, tree(separator=' / '), ModelSQL, ModelView):
    __name__ = 'mes.equipment'
    code = fields.Char("Code", required=True, strip=True)
    name = fields.Char("Name", required=True)
    kind = fields.Selection(KINDS, "Kind", required=True, sort=False)
    parent = fields.Many2One(
        'mes.equipment', "Parent", ondelete='RESTRICT',
        domain=[('company', '=', Eval('company', -1))])
    children = fields.One2Many('mes.equipment', 'parent', "Children")
    company = fields.Many2One('company.company', "Company", required=True)
    work_center = fields.Many2One(
        'production.work.center', "Work Center", ondelete='SET NULL',
        domain=[('company', '=', Eval('company', -1))])
    manufacturer = fields.Char("Manufacturer")
    model_number = fields.Char("Model")
    serial_number = fields.Char("Serial Number")
    ideal_cycle_time = fields.Float(
        "Ideal Cycle Time", digits=(16, 3),
        domain=['OR',
            ('ideal_cycle_time', '=', None),
            ('ideal_cycle_time', '>', 0),
            ],
        help="Seconds per unit at the machine's nameplate speed.")
    status = fields.Selection([
            ('operational', "Operational"),
            ('maintenance', "Under Maintenance"),
            ('decommissioned', "Decommissioned"),
            ], "Status", required=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_company_unique', Unique(t, t.company, t.code),
                'mes_equipment.msg_equipment_code_unique'),
            ]
        cls._order.insert(0, ('code', 'ASC'))

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_kind(cls):
        return 'machine'

    @classmethod
    def default_status(cls):
        return 'operational'

    def get_rec_name(self, name):
        return f'[{self.code}] {self.name}'

    @classmethod
    def search_rec_name(cls, name, clause):
        if clause[1].startswith('!') or clause[1].startswith('not '):
            bool_op = 'AND'
        else:
            bool_op = 'OR'
        return [bool_op,
            ('code',) + tuple(clause[1:]),
            ('name',) + tuple(clause[1:]),
            ]

    @classmethod
    def validate_fields(cls, equipments, field_names):
        super().validate_fields(equipments, field_names)
        if field_names & {'kind', 'parent'}:
            for equipment in equipments:
                equipment.check_hierarchy_level()

    def check_hierarchy_level(self):
        if (self.parent
                and KIND_LEVEL[self.parent.kind] >= KIND_LEVEL[self.kind]):
            raise EquipmentValidationError(
                gettext('mes_equipment.msg_equipment_hierarchy_level',
                    equipment=self.rec_name,
                    parent=self.parent.rec_name))
