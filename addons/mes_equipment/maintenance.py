# This file is part of Tryton MES.  See README.md for license terms.
"""Maintenance plans, teams and requests with their spare parts."""
import datetime as dt

from sql.aggregate import Max, Sum
from sql.conditionals import Coalesce

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, Workflow, fields)
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval, If
from trytond.rpc import RPC
from trytond.transaction import Transaction

from . import reliability
from .exceptions import MaintenanceError

PRIORITIES = [
    ('low', "Low"),
    ('normal', "Normal"),
    ('high', "High"),
    ('urgent', "Urgent"),
    ]
METERS = [
    ('cycles', "Machine Cycles"),
    ('parts', "Parts Made"),
    ('running_hours', "Running Hours"),
    ]


class Team(DeactivableMixin, ModelSQL, ModelView):
    "A maintenance team."
    __name__ = 'mes.maintenance.team'
    __string__ = "Maintenance Team"
    name = fields.Char("Name", required=True)
    company = fields.Many2One('company.company', "Company", required=True)
    members = fields.Many2Many(
        'mes.maintenance.team-company.employee', 'team', 'employee',
        "Members", domain=[('company', '=', Eval('company', -1))])

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')


class TeamEmployee(ModelSQL):
    "Maintenance team member"
    __name__ = 'mes.maintenance.team-company.employee'
    __string__ = "Maintenance Team Member"
    team = fields.Many2One(
        'mes.maintenance.team', "Team", required=True, ondelete='CASCADE')
    employee = fields.Many2One(
        'company.employee', "Employee", required=True, ondelete='CASCADE')


class Plan(DeactivableMixin, ModelSQL, ModelView):
    "A recurring maintenance of one machine, by date or by meter."
    __name__ = 'mes.maintenance.plan'
    __string__ = "Maintenance Plan"
    name = fields.Char("Name", required=True)
    equipment = fields.Many2One(
        'mes.equipment', "Machine", required=True, ondelete='CASCADE',
        domain=[('company', '=', Eval('company', -1))])
    company = fields.Many2One('company.company', "Company", required=True)
    trigger = fields.Selection([
            ('time', "Time"),
            ('meter', "Meter"),
            ], "Trigger", required=True, sort=False)
    start = fields.Date(
        "Start", required=True,
        help="The plan counts its intervals from this day; meters are "
        "counted from its first hour.")
    interval_number = fields.Integer(
        "Every", domain=['OR',
            ('interval_number', '=', None), ('interval_number', '>', 0)],
        states={
            'invisible': Eval('trigger') != 'time',
            'required': Eval('trigger') == 'time',
            })
    interval_unit = fields.Selection([
            (None, ""),
            ('day', "Days"),
            ('week', "Weeks"),
            ('month', "Months"),
            ], "Unit", sort=False, states={
            'invisible': Eval('trigger') != 'time',
            'required': Eval('trigger') == 'time',
            })
    horizon = fields.Integer(
        "Horizon", domain=['OR', ('horizon', '=', None), ('horizon', '>=', 0)],
        states={'invisible': Eval('trigger') != 'time'},
        help="Days ahead of the due date the request is generated.")
    meter = fields.Selection(
        [(None, "")] + METERS, "Meter", sort=False, states={
            'invisible': Eval('trigger') != 'meter',
            'required': Eval('trigger') == 'meter',
            })
    meter_interval = fields.Float(
        "Meter Interval", domain=['OR',
            ('meter_interval', '=', None), ('meter_interval', '>', 0)],
        states={
            'invisible': Eval('trigger') != 'meter',
            'required': Eval('trigger') == 'meter',
            }, help="Cycles, parts or running hours between two services.")
    meter_lead = fields.Float(
        "Meter Lead", domain=['OR',
            ('meter_lead', '=', None), ('meter_lead', '>=', 0)],
        states={'invisible': Eval('trigger') != 'meter'},
        help="How far ahead of the due meter value the request is "
        "generated, in the meter's unit.")
    meter_reading = fields.Function(
        fields.Float("Meter Reading", digits=(16, 2),
            states={'invisible': Eval('trigger') != 'meter'}),
        'get_meter_reading')
    priority = fields.Selection(PRIORITIES, "Priority", required=True)
    team = fields.Many2One(
        'mes.maintenance.team', "Team", ondelete='SET NULL',
        domain=[('company', '=', Eval('company', -1))])
    machine_down = fields.Boolean(
        "Machine Down",
        help="The machine is stopped while the work is in progress: its "
        "works are blocked in dispatch.")
    duration = fields.TimeDelta("Estimated Duration")
    instructions = fields.Text("Instructions")
    requests = fields.One2Many(
        'mes.maintenance.request', 'plan', "Requests", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('name', 'ASC'))
        cls.__rpc__.update({
                'generate_requests': RPC(
                    readonly=False, instantiate=0,
                    result=lambda requests: [r.id for r in requests]),
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_trigger(cls):
        return 'time'

    @classmethod
    def default_start(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def default_interval_unit(cls):
        return 'month'

    @classmethod
    def default_horizon(cls):
        return 7

    @classmethod
    def default_priority(cls):
        return 'normal'

    @classmethod
    def default_machine_down(cls):
        return True

    @classmethod
    def get_meter_reading(cls, plans, name):
        readings = cls.meter_readings(plans, dt.datetime.now())
        return {p.id: round(readings[p.id], 2) if p.id in readings else None
            for p in plans}

    @classmethod
    def meter_readings(cls, plans, now):
        "The meter of each meter plan since its start, up to `now`."
        pool = Pool()
        Count = pool.get('mes.equipment.count')
        State = pool.get('mes.equipment.state')
        count = Count.__table__()
        cursor = Transaction().connection.cursor()
        readings = {}
        for plan in plans:
            if plan.trigger != 'meter' or not plan.meter:
                continue
            since = dt.datetime.combine(plan.start, dt.time())
            if plan.meter == 'running_hours':
                seconds = sum(
                    (min(end, now) - max(begin, since)).total_seconds()
                    for _, begin, end, state, _ in State.intervals(
                        [plan.equipment.id], since, now)
                    if state == 'running')
                readings[plan.id] = seconds / 3600
                continue
            column = count.cycles if plan.meter == 'cycles' else count.total
            cursor.execute(*count.select(
                    Sum(Coalesce(column, 0)),
                    where=(count.equipment == plan.equipment.id)
                    & (count.at >= since) & (count.at < now)))
            value, = cursor.fetchone()
            readings[plan.id] = float(value or 0)
        return readings

    @classmethod
    def generate_requests(cls, plans=None):
        """Create the requests of the due points reached, never twice for
        the same due point (cron)."""
        pool = Pool()
        Request = pool.get('mes.maintenance.request')
        Date = pool.get('ir.date')
        if plans is None:
            plans = cls.search([])
        plans = [p for p in plans if p.active
            and p.equipment.status != 'decommissioned']
        if not plans:
            return []
        request = Request.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*request.select(
                request.plan, Max(request.due_index),
                where=request.plan.in_([p.id for p in plans]),
                group_by=[request.plan]))
        last = dict(cursor)
        readings = cls.meter_readings(plans, dt.datetime.now())
        to_create = []
        for plan in plans:
            last_index = last.get(plan.id) or 0
            if plan.trigger == 'time':
                with Transaction().set_context(company=plan.company.id):
                    today = Date.today()
                for index, due in reliability.date_due_points(
                        plan.start, plan.interval_number, plan.interval_unit,
                        last_index, today, plan.horizon or 0):
                    to_create.append(plan._request_values(
                            index, due_date=due))
            else:
                for index, due in reliability.meter_due_points(
                        plan.meter_interval, last_index,
                        readings[plan.id], plan.meter_lead or 0):
                    to_create.append(plan._request_values(
                            index, due_meter=due))
        return Request.create(to_create)

    def _request_values(self, due_index, due_date=None, due_meter=None):
        return {
            'equipment': self.equipment.id,
            'company': self.company.id,
            'plan': self.id,
            'due_index': due_index,
            'due_date': due_date,
            'due_meter': due_meter,
            'kind': 'preventive',
            'source': 'plan',
            'priority': self.priority,
            'team': self.team.id if self.team else None,
            'machine_down': self.machine_down,
            'description': '\n\n'.join(
                filter(None, [self.name, self.instructions])),
            }


class Request(Workflow, ModelSQL, ModelView):
    "A maintenance job on one machine."
    __name__ = 'mes.maintenance.request'
    __string__ = "Maintenance Request"
    _states = {'readonly': Eval('state').in_(['done', 'cancelled'])}

    equipment = fields.Many2One(
        'mes.equipment', "Machine", required=True, ondelete='RESTRICT',
        domain=[('company', '=', Eval('company', -1))],
        states={'readonly': Eval('state') != 'draft'})
    company = fields.Many2One(
        'company.company', "Company", required=True,
        states={'readonly': Eval('state') != 'draft'})
    kind = fields.Selection([
            ('preventive', "Preventive"),
            ('corrective', "Corrective"),
            ], "Kind", required=True, states={
            'readonly': Eval('state') != 'draft',
            })
    source = fields.Selection([
            ('manual', "Manual"),
            ('plan', "Plan"),
            ('terminal', "Terminal"),
            ('connector', "Machine Alarm"),
            ], "Source", required=True, readonly=True)
    plan = fields.Many2One(
        'mes.maintenance.plan', "Plan", ondelete='RESTRICT', readonly=True)
    due_index = fields.Integer("Due Point", readonly=True)
    due_date = fields.Date("Due Date", states=_states)
    due_meter = fields.Float("Due Meter Value", readonly=True)
    machine_down = fields.Boolean(
        "Machine Down", states=_states,
        help="The machine cannot run: a corrective request blocks its works "
        "in dispatch until it is done or cancelled, a preventive one while "
        "it is in progress.")
    priority = fields.Selection(
        PRIORITIES, "Priority", required=True, states=_states)
    team = fields.Many2One(
        'mes.maintenance.team', "Team", ondelete='SET NULL', states=_states,
        domain=[('company', '=', Eval('company', -1))])
    technician = fields.Many2One(
        'company.employee', "Technician", ondelete='RESTRICT',
        states=_states, domain=[
            ('company', '=', Eval('company', -1)),
            If(Bool(Eval('team_members')),
                ('id', 'in', Eval('team_members', [])), ()),
            ])
    team_members = fields.Function(
        fields.Many2Many('company.employee', None, None, "Team Members"),
        'on_change_with_team_members')
    description = fields.Text("Description", required=True, states=_states)
    notes = fields.Text("Notes", states=_states)
    started_at = fields.DateTime("Started At", readonly=True)
    finished_at = fields.DateTime("Finished At", readonly=True)
    problem = fields.Many2One(
        'mes.problem', "Problem", ondelete='SET NULL', readonly=True)
    alarm_reason = fields.Many2One(
        'mes.downtime.reason', "Alarm", ondelete='RESTRICT', readonly=True)
    warehouse = fields.Many2One(
        'stock.location', "Warehouse",
        domain=[('type', '=', 'warehouse')],
        states={
            'readonly': Eval('state').in_(['done', 'cancelled']),
            'required': Bool(Eval('parts')),
            })
    parts = fields.One2Many(
        'mes.maintenance.request.part', 'request', "Spare Parts",
        states=_states)
    moves = fields.One2Many('stock.move', 'origin', "Stock Moves",
        readonly=True)
    state = fields.Selection([
            ('draft', "Draft"),
            ('confirmed', "Confirmed"),
            ('in_progress', "In Progress"),
            ('done', "Done"),
            ('cancelled', "Cancelled"),
            ], "State", required=True, readonly=True, sort=False)
    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('plan_due_index_unique', Unique(t, t.plan, t.due_index),
                'mes_equipment.msg_maintenance_request_due_unique'),
            ]
        cls._sql_indexes.add(Index(t,
                (t.equipment, Index.Equality()),
                (t.state, Index.Equality()),
                where=t.state.in_(['draft', 'confirmed', 'in_progress'])))
        cls._order = [('due_date', 'ASC NULLS FIRST'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'confirmed'),
            ('confirmed', 'in_progress'),
            ('in_progress', 'done'),
            ('draft', 'cancelled'),
            ('confirmed', 'cancelled'),
            ('in_progress', 'cancelled'),
            ('cancelled', 'draft'),
            ('confirmed', 'draft'),
            }
        cls._buttons.update({
                'draft': {
                    'invisible': ~Eval('state').in_(
                        ['confirmed', 'cancelled']),
                    'icon': 'tryton-back',
                    'depends': ['state'],
                    },
                'confirm': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'start': {
                    'invisible': Eval('state') != 'confirmed',
                    'icon': 'tryton-launch',
                    'depends': ['state'],
                    },
                'finish': {
                    'invisible': Eval('state') != 'in_progress',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state').in_(['done', 'cancelled']),
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_kind(cls):
        return 'corrective'

    @classmethod
    def default_source(cls):
        return 'manual'

    @classmethod
    def default_priority(cls):
        return 'normal'

    @classmethod
    def default_machine_down(cls):
        return False

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_warehouse(cls):
        return Pool().get('stock.location').get_default_warehouse()

    @fields.depends('team')
    def on_change_with_team_members(self, name=None):
        return [e.id for e in self.team.members] if self.team else []

    def get_rec_name(self, name):
        return f'MR{self.id} {self.equipment.rec_name}'

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('equipment.rec_name',) + tuple(clause[1:])]

    @classmethod
    def check_modification(cls, mode, requests, values=None,
            external=False):
        super().check_modification(
            mode, requests, values=values, external=external)
        if mode == 'delete':
            for request in requests:
                if request.state != 'cancelled' or request.plan:
                    raise MaintenanceError(gettext(
                            'mes_equipment.msg_maintenance_request_delete',
                            request=request.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, requests):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('confirmed')
    def confirm(cls, requests):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('in_progress')
    def start(cls, requests):
        for request in requests:
            if not request.technician:
                raise MaintenanceError(gettext(
                        'mes_equipment.msg_maintenance_request_technician',
                        request=request.rec_name))
        cls.write(requests, {'started_at': dt.datetime.now()})

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def finish(cls, requests):
        pool = Pool()
        Move = pool.get('stock.move')
        Part = pool.get('mes.maintenance.request.part')
        parts = []
        for request in requests:
            parts.extend(request._part_moves())
        moves = [p.move for p in parts]
        Move.save(moves)
        Move.do(moves)
        Part.save(parts)
        cls.write(requests, {'finished_at': dt.datetime.now()})

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, requests):
        pass

    def _part_moves(self):
        """The parts not yet taken out of stock, each given the stock move
        that does it."""
        pool = Pool()
        Move = pool.get('stock.move')
        Location = pool.get('stock.location')
        ModelData = pool.get('ir.model.data')
        consumption = Location(ModelData.get_id(
                'mes_equipment', 'location_maintenance'))
        parts = []
        for part in self.parts:
            if part.move:
                continue
            move = Move(
                product=part.product, unit=part.unit,
                quantity=part.quantity,
                from_location=(part.from_location
                    or self.warehouse.storage_location),
                to_location=consumption,
                company=self.company, origin=self,
                effective_date=None)
            if move.from_location.type != 'storage':
                raise MaintenanceError(gettext(
                        'mes_equipment.msg_maintenance_part_location',
                        location=move.from_location.rec_name))
            part.move = move
            parts.append(part)
        return parts

    @classmethod
    def blocking(cls, equipment_ids):
        """The requests that keep each machine from running now:
        corrective machine-down requests until they are done or cancelled,
        preventive machine-down ones while in progress."""
        requests = cls.search([
                ('equipment', 'in', list(equipment_ids)),
                ('machine_down', '=', True),
                ['OR',
                    [('kind', '=', 'corrective'),
                        ('state', 'in', ['draft', 'confirmed',
                                'in_progress'])],
                    [('kind', '=', 'preventive'),
                        ('state', '=', 'in_progress')],
                    ],
                ], order=[('id', 'ASC')])
        result = {}
        for request in requests:
            result.setdefault(request.equipment.id, []).append(request)
        return result


class RequestPart(ModelSQL, ModelView):
    "A spare part used by a maintenance request."
    __name__ = 'mes.maintenance.request.part'
    __string__ = "Maintenance Request Part"
    request = fields.Many2One(
        'mes.maintenance.request', "Request", required=True,
        ondelete='CASCADE')
    product = fields.Many2One(
        'product.product', "Product", required=True,
        domain=[('type', '=', 'goods')])
    quantity = fields.Float(
        "Quantity", digits='unit', required=True,
        domain=[('quantity', '>', 0)])
    unit = fields.Many2One('product.uom', "Unit", required=True, domain=[
            If(Bool(Eval('product_unit_category')),
                ('category', '=', Eval('product_unit_category', -1)),
                ()),
            ])
    product_unit_category = fields.Function(
        fields.Many2One('product.uom.category', "Product Unit Category"),
        'on_change_with_product_unit_category')
    from_location = fields.Many2One(
        'stock.location', "From Location", ondelete='RESTRICT',
        domain=[('type', '=', 'storage')],
        help="Empty takes the part from the warehouse's storage.")
    move = fields.Many2One(
        'stock.move', "Move", readonly=True, ondelete='RESTRICT')

    @fields.depends('product', 'unit')
    def on_change_product(self):
        if self.product and (not self.unit
                or self.unit.category != self.product.default_uom.category):
            self.unit = self.product.default_uom

    @fields.depends('product')
    def on_change_with_product_unit_category(self, name=None):
        return self.product.default_uom.category if self.product else None

    @classmethod
    def check_modification(cls, mode, parts, values=None, external=False):
        super().check_modification(
            mode, parts, values=values, external=external)
        if mode in {'write', 'delete'}:
            for part in parts:
                if part.move and (mode == 'delete'
                        or set(values) - {'move'}):
                    raise MaintenanceError(gettext(
                            'mes_equipment.msg_maintenance_part_done',
                            product=part.product.rec_name))


class Move(metaclass=PoolMeta):
    __name__ = 'stock.move'

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() + ['mes.maintenance.request']


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('mes.maintenance.plan|generate_requests',
                "Generate Maintenance Requests"))
