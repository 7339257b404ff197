# This file is part of Tryton MES.  See README.md for license terms.
"""Operator terminals: registered devices, operator sessions and actions.

Every terminal action carries an id made by the client. The first request
with an id is executed and its outcome, accepted or refused, is stored;
any later request with the same id gets the stored outcome back. A retried,
replayed or double-tapped action is so applied once.
"""
import datetime as dt
import hmac
import json
import secrets

from trytond import backend
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, Workflow, fields)
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.rpc import RPC
from trytond.transaction import Transaction, without_check_access

from .exceptions import QuantityError, TerminalError

ACTIONS = [
    ('start', "Start"),
    ('join', "Join"),
    ('pause', "Pause"),
    ('resume', "Resume"),
    ('report', "Report"),
    ('scan', "Scan Lot"),
    ('finish', "Finish"),
    ('problem', "Raise Problem"),
    ]


def new_key():
    return secrets.token_urlsafe(32)


class Terminal(DeactivableMixin, Workflow, ModelSQL, ModelView):
    "A touch panel or phone registered to run operator actions."
    __name__ = 'mes.terminal'
    __string__ = "Terminal"
    name = fields.Char("Name", required=True)
    code = fields.Char(
        "Code", required=True, strip=True,
        help="Part of the terminal's address: /<database>/mes/terminal/<code>")
    key = fields.Char(
        "Key", readonly=True,
        help="The secret the terminal sends with each request.")
    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='RESTRICT',
        help="The account whose access rights the terminal's actions use.")
    company = fields.Many2One('company.company', "Company", required=True)
    work_centers = fields.Many2Many(
        'mes.terminal-production.work.center', 'terminal', 'work_center',
        "Work Centers",
        domain=[('company', '=', Eval('company', -1))])
    idle_timeout = fields.Integer(
        "Idle Sign-out", required=True,
        domain=[('idle_timeout', '>', 0)],
        help="Minutes without action after which an operator is signed out.")
    state = fields.Selection([
            ('active', "Active"),
            ('revoked', "Revoked"),
            ], "State", readonly=True, required=True, sort=False)
    sessions = fields.One2Many(
        'mes.terminal.session', 'terminal', "Sessions", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.code),
                'mes_production.msg_terminal_code_unique'),
            ]
        cls._transitions |= {('active', 'revoked')}
        cls.__rpc__.update({
                'sign_in_operator': RPC(readonly=False),
                'operators': RPC(readonly=False),
                'act': RPC(readonly=False),
                })
        cls._buttons.update({
                'revoke': {
                    'invisible': Eval('state') != 'active',
                    'depends': ['state'],
                    },
                'renew_key': {
                    'invisible': Eval('state') != 'active',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_idle_timeout(cls):
        return 15

    @classmethod
    def default_state(cls):
        return 'active'

    @classmethod
    def default_key(cls):
        return new_key()

    @classmethod
    @ModelView.button
    @Workflow.transition('revoked')
    def revoke(cls, terminals):
        cls.write(terminals, {'key': None})

    @classmethod
    def on_modification(cls, mode, terminals, field_names=None):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        super().on_modification(mode, terminals, field_names=field_names)
        if mode in {'create', 'write'} and (
                field_names is None or 'user' in field_names):
            # The terminal's account acts for every operator signed in on
            # it, so it is exempt from the operators' own-records rules.
            group = ModelData.get_id('mes_production', 'group_mes_terminal')
            with without_check_access():
                users = {User(t.user.id) for t in terminals}
                users = [u for u in users
                    if group not in {g.id for g in u.groups}]
                if users:
                    User.write(users, {'groups': [('add', [group])]})

    @classmethod
    @ModelView.button
    def renew_key(cls, terminals):
        for terminal in terminals:
            terminal.key = new_key()
        cls.save(terminals)

    @classmethod
    def copy(cls, terminals, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('key', new_key)
        default.setdefault('sessions')
        return super().copy(terminals, default=default)

    @classmethod
    def authenticate(cls, code, key):
        "Return the active terminal of the code whose key matches, or None."
        terminals = cls.search([
                ('code', '=', code),
                ('state', '=', 'active'),
                ], limit=1)
        if not terminals or not key:
            return None
        terminal, = terminals
        if not terminal.key or not hmac.compare_digest(
                terminal.key.encode(), str(key).encode()):
            return None
        return terminal

    @classmethod
    def sign_in_operator(cls, terminal_id, badge, pin):
        "Sign an operator in by badge and PIN; return the employee id."
        return cls(terminal_id).sign_in(badge, pin).employee.id

    @classmethod
    def operators(cls, terminal_id):
        "The ids of the employees signed in; idle ones are signed out."
        return [s.employee.id for s in cls(terminal_id).signed_in()]

    @classmethod
    def act(cls, terminal_id, data):
        """Apply one operator action, once per action id, and return its
        outcome. Over RPC a refusal is raised and nothing is recorded; the
        terminal's web route also records refusals."""
        terminal = cls(terminal_id)
        action = terminal.replayed(_required_text(data, 'action_id'))
        if action:
            return action.outcome(replayed=True)
        result = terminal.execute(data)
        return {'action_id': data['action_id'], 'accepted': True,
            'replayed': False, 'result': result}

    # Operators ----------------------------------------------------------

    def sign_in(self, badge, pin):
        pool = Pool()
        Employee = pool.get('company.employee')
        Session = pool.get('mes.terminal.session')
        employees = Employee.search([
                ('mes_badge', '=', badge),
                ('company', '=', self.company.id),
                ], limit=1)
        if not employees or not employees[0].check_mes_pin(pin):
            raise TerminalError(gettext(
                    'mes_production.msg_terminal_sign_in_refused'))
        employee, = employees
        session = self.open_session(employee)
        if session is None:
            session = Session(
                terminal=self, employee=employee,
                signed_in_at=dt.datetime.now(),
                last_seen_at=dt.datetime.now(), state='open')
            session.save()
        return session

    def open_session(self, employee):
        "The employee's open session on this terminal, closing idle ones."
        pool = Pool()
        Session = pool.get('mes.terminal.session')
        sessions = Session.search([
                ('terminal', '=', self.id),
                ('employee', '=', employee.id),
                ('state', '=', 'open'),
                ])
        now = dt.datetime.now()
        idle = dt.timedelta(minutes=self.idle_timeout)
        alive = None
        for session in sessions:
            if now - session.last_seen_at > idle:
                session.close('idle', session.last_seen_at + idle)
            else:
                alive = session
        return alive

    def signed_in(self):
        pool = Pool()
        Session = pool.get('mes.terminal.session')
        sessions = Session.search([
                ('terminal', '=', self.id),
                ('state', '=', 'open'),
                ])
        return [s for s in sessions if self.open_session(s.employee) == s]

    def seen(self, session):
        """Keep the operator's session alive. It is written at most once
        per twentieth of the idle time (45 s of the default 15 minutes):
        the idle sign-out stays that precise, and a busy operator's actions
        do not each pay for a write and its log entry."""
        now = dt.datetime.now()
        if now - session.last_seen_at >= dt.timedelta(
                minutes=self.idle_timeout) / 20:
            session.last_seen_at = now
            session.save()

    def sign_out(self, employee_id):
        pool = Pool()
        Employee = pool.get('company.employee')
        session = self.open_session(Employee(employee_id))
        if session:
            session.close('operator')

    # Actions ------------------------------------------------------------

    def replayed(self, action_id):
        pool = Pool()
        Action = pool.get('mes.terminal.action')
        actions = Action.search([('action_id', '=', action_id)], limit=1)
        if actions:
            action, = actions
            if action.terminal != self:
                raise TerminalError(gettext(
                        'mes_production.msg_terminal_action_foreign'))
            return action

    def work_centers_query(self):
        """The ids of the terminal's work centers as a query, for search
        domains: the database reads them with the search instead of the
        relation being read first."""
        pool = Pool()
        TerminalWorkCenter = pool.get('mes.terminal-production.work.center')
        table = TerminalWorkCenter.__table__()
        return table.select(
            table.work_center, where=table.terminal == self.id)

    def execute(self, data):
        """Run one operator action and record it as accepted.

        Raise a UserError to refuse it: the caller records the refusal in
        a new transaction (see `refuse`)."""
        pool = Pool()
        Action = pool.get('mes.terminal.action')
        Employee = pool.get('company.employee')
        Work = pool.get('production.work')

        action_id = _required_text(data, 'action_id')
        kind = data.get('kind')
        if kind not in dict(self.action_kinds()):
            raise TerminalError(gettext(
                    'mes_production.msg_terminal_action_unknown',
                    kind=kind))
        employee_id = _as_int(data.get('employee'))
        employee = Employee(employee_id) if employee_id else None
        session = self.open_session(employee) if employee else None
        if session is None:
            raise TerminalError(gettext(
                    'mes_production.msg_terminal_not_signed_in'))
        if kind in self.workless_action_kinds():
            work = None
            self._serialize_workless(kind, data)
        else:
            work_id = _as_int(data.get('work'))
            works = Work.search([
                    ('id', '=', work_id),
                    ('work_center', 'in', self.work_centers_query()),
                    ]) if work_id else []
            if not works:
                raise TerminalError(gettext(
                        'mes_production.msg_terminal_work_unknown',
                        work=data.get('work')))
            work, = works
            self._serialize(work)
        with Transaction().set_context(employee=employee.id):
            result = getattr(self, f'_do_{kind}')(work, employee, data)
        self.seen(session)
        Action.create([{
                    'action_id': action_id,
                    'terminal': self.id,
                    'employee': employee.id,
                    'work': work.id if work else None,
                    'kind': kind,
                    'payload': json.dumps(data, sort_keys=True),
                    'client_time': _client_time(data),
                    'state': 'accepted',
                    'result': json.dumps(result),
                    }])
        return result

    @classmethod
    def action_kinds(cls):
        """The kinds of operator action; each is run by `_do_<kind>(work,
        employee, data)`. Other modules add theirs."""
        return list(ACTIONS)

    @classmethod
    def workless_action_kinds(cls):
        "The kinds of action that are not about a work (work is None)."
        return set()

    def _serialize_workless(self, kind, data):
        """Take the locks a workless action needs before it reads: the
        module that adds the kind knows which rows."""

    def state_extra(self):
        "More of what the terminal shows, added by other modules."
        return {}

    @staticmethod
    def _serialize(work):
        """Apply the actions on one work one after the other: of two
        operators starting it at once, the second sees the first's start."""
        pool = Pool()
        Work = pool.get('production.work')
        Work.lock([work])
        if backend.name == 'sqlite':
            # Python's sqlite3 begins the (IMMEDIATE) transaction only at the
            # first write and the backend's row lock is a no-op: write first
            # so that the reads that follow hold the database's write lock.
            table = Work.__table__()
            Transaction().connection.cursor().execute(*table.update(
                    [table.id], [table.id], where=table.id == work.id))

    def refuse(self, data, message):
        "Record that an action was refused, so that a replay says why again."
        pool = Pool()
        Action = pool.get('mes.terminal.action')
        Employee = pool.get('company.employee')
        Work = pool.get('production.work')
        employee_id = _as_int(data.get('employee'))
        work_id = _as_int(data.get('work'))
        Action.create([{
                    'action_id': str(data.get('action_id')),
                    'terminal': self.id,
                    'employee': (employee_id
                        if employee_id and Employee.search(
                            [('id', '=', employee_id)]) else None),
                    'work': (work_id
                        if work_id and Work.search([('id', '=', work_id)])
                        else None),
                    'kind': (data.get('kind')
                        if data.get('kind') in dict(self.action_kinds())
                        else None),
                    'payload': json.dumps(data, sort_keys=True, default=str),
                    'client_time': _client_time(data),
                    'state': 'refused',
                    'message': message,
                    }])

    def _active_cycle(self, work, employee):
        for cycle in work.active_cycles:
            if cycle.run_by == employee:
                return cycle

    def _run_cycle(self, work, employee):
        pool = Pool()
        Cycle = pool.get('production.work.cycle')
        # The terminal's account is shared: the operator is who signed in.
        cycle, = Cycle.start([Cycle(
                    work=work, run_by=employee,
                    started_at=dt.datetime.now())])
        return cycle

    def _do_start(self, work, employee, data):
        if work.active_cycles:
            raise TerminalError(gettext(
                    'mes_production.msg_terminal_work_already_started',
                    work=work.rec_name,
                    employee=work.active_cycles[0].run_by.rec_name
                    if work.active_cycles[0].run_by else '?'))
        if work.completed or work.state in {'finished', 'done'}:
            raise TerminalError(gettext(
                    'mes_production.msg_terminal_work_finished',
                    work=work.rec_name))
        cycle = self._run_cycle(work, employee)
        return {'cycle': cycle.id}

    def _do_join(self, work, employee, data):
        if self._active_cycle(work, employee):
            raise TerminalError(gettext(
                    'mes_production.msg_terminal_already_working',
                    work=work.rec_name))
        if work.completed or work.state in {'finished', 'done'}:
            raise TerminalError(gettext(
                    'mes_production.msg_terminal_work_finished',
                    work=work.rec_name))
        return {'cycle': self._run_cycle(work, employee).id}

    _do_resume = _do_join

    def _do_pause(self, work, employee, data):
        pool = Pool()
        Cycle = pool.get('production.work.cycle')
        PauseReason = pool.get('mes.pause.reason')
        cycle = self._active_cycle(work, employee)
        if not cycle:
            raise TerminalError(gettext(
                    'mes_production.msg_terminal_not_working',
                    work=work.rec_name))
        reasons = PauseReason.search([
                ('code', '=', data.get('reason'))], limit=1)
        if not reasons:
            raise TerminalError(gettext(
                    'mes_production.msg_terminal_pause_reason',
                    reason=data.get('reason')))
        cycle.pause_reason, = reasons
        cycle.done_by = employee
        # Saved by do, with the cycle's end.
        Cycle.do([cycle])
        return {'cycle': cycle.id}

    def _do_report(self, work, employee, data):
        pool = Pool()
        ScrapReason = pool.get('mes.scrap.reason')
        Scrap = pool.get('mes.work.cycle.scrap')
        Work = pool.get('production.work')
        cycle = self._active_cycle(work, employee)
        if not cycle:
            raise TerminalError(gettext(
                    'mes_production.msg_terminal_not_working',
                    work=work.rec_name))
        good = _quantity(data.get('good', 0))
        scraps = data.get('scraps') or []
        if not isinstance(scraps, list):
            raise QuantityError(gettext(
                    'mes_production.msg_terminal_bad_request'))
        scrap_lines = []
        for line in scraps:
            if not isinstance(line, dict):
                raise QuantityError(gettext(
                        'mes_production.msg_terminal_bad_request'))
            quantity = _quantity(line.get('quantity'))
            reasons = ScrapReason.search([
                    ('code', '=', line.get('reason'))], limit=1)
            if not reasons:
                raise TerminalError(gettext(
                        'mes_production.msg_terminal_scrap_reason',
                        reason=line.get('reason')))
            if quantity:
                scrap_lines.append((reasons[0], quantity))
        scrap = sum(q for _, q in scrap_lines)
        work = Work(work.id)
        Work.check_quantities(
            work, good, scrap, bool(data.get('confirm_over_production')))
        if good == 0 and scrap == 0:
            raise QuantityError(gettext(
                    'mes_production.msg_terminal_nothing_reported'))
        cycle.good_quantity = (cycle.good_quantity or 0) + good
        cycle.save()
        Scrap.create([{'cycle': cycle.id, 'reason': r.id, 'quantity': q}
                for r, q in scrap_lines])
        good, scrap = Work.reported_quantities([work.id])[work.id]
        return {'good': good, 'scrap': scrap,
            'remaining': max((work.production.quantity or 0) - good - scrap,
                0)}

    def _do_scan(self, work, employee, data):
        pool = Pool()
        Production = pool.get('production')
        quantity = data.get('quantity')
        if quantity is not None:
            quantity = _quantity(quantity)
        lot, move = Production.consume_lot(
            work.production, _required_text(data, 'code'), quantity=quantity)
        return {'lot': lot.number, 'product': lot.product.rec_name,
            'move': move.id}

    def _do_finish(self, work, employee, data):
        pool = Pool()
        Cycle = pool.get('production.work.cycle')
        Work = pool.get('production.work')
        if work.completed:
            raise TerminalError(gettext(
                    'mes_production.msg_terminal_work_finished',
                    work=work.rec_name))
        if not work.cycles:
            raise TerminalError(gettext(
                    'mes_production.msg_terminal_not_working',
                    work=work.rec_name))
        Cycle.write(list(work.active_cycles), {'done_by': employee.id})
        Work.stop([work])
        good, scrap = Work.reported_quantities([work.id]).get(
            work.id, (0.0, 0.0))
        return {'state': Work(work.id).state, 'good': good, 'scrap': scrap}

    def _do_problem(self, work, employee, data):
        pool = Pool()
        Problem = pool.get('mes.problem')
        problem, = Problem.create([{
                    'terminal': self.id,
                    'work': work.id,
                    'work_center': work.work_center.id,
                    'employee': employee.id,
                    'kind': data.get('problem_kind') or 'other',
                    'description': _required_text(data, 'description'),
                    }])
        Problem.raise_([problem])
        return {'problem': problem.id}


def _as_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _required_text(data, key):
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise TerminalError(gettext(
                'mes_production.msg_terminal_missing', field=key))
    return value.strip()


def _quantity(value):
    try:
        quantity = float(value or 0)
    except (TypeError, ValueError):
        raise QuantityError(gettext(
                'mes_production.msg_terminal_bad_quantity', value=value))
    if quantity != quantity or quantity in (float('inf'), float('-inf')):
        raise QuantityError(gettext(
                'mes_production.msg_terminal_bad_quantity', value=value))
    if quantity < 0:
        raise QuantityError(gettext(
                'mes_production.msg_quantity_negative', work=''))
    return quantity


def _client_time(data):
    value = data.get('client_time')
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(str(value).replace('Z', '+00:00'))
    except ValueError:
        return None
    if moment.tzinfo:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment


class TerminalWorkCenter(ModelSQL):
    __name__ = 'mes.terminal-production.work.center'
    __string__ = "Terminal Work Center"
    terminal = fields.Many2One(
        'mes.terminal', "Terminal", required=True, ondelete='CASCADE')
    work_center = fields.Many2One(
        'production.work.center', "Work Center", required=True,
        ondelete='CASCADE')


class TerminalSession(ModelSQL, ModelView):
    "An operator signed in on a terminal."
    __name__ = 'mes.terminal.session'
    __string__ = "Terminal Session"
    terminal = fields.Many2One(
        'mes.terminal', "Terminal", required=True, ondelete='CASCADE',
        readonly=True)
    employee = fields.Many2One(
        'company.employee', "Employee", required=True, ondelete='CASCADE',
        readonly=True)
    signed_in_at = fields.DateTime("Signed In At", required=True,
        readonly=True)
    last_seen_at = fields.DateTime("Last Seen At", required=True,
        readonly=True)
    signed_out_at = fields.DateTime("Signed Out At", readonly=True)
    state = fields.Selection([
            ('open', "Open"),
            ('closed', "Closed"),
            ], "State", required=True, readonly=True)
    closed_by = fields.Selection([
            (None, ""),
            ('operator', "Operator"),
            ('idle', "Idle Time-out"),
            ], "Closed By", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t,
                (t.terminal, Index.Equality()),
                (t.employee, Index.Equality()),
                where=t.state == 'open'))
        cls._order.insert(0, ('signed_in_at', 'DESC'))

    def close(self, by, at=None):
        self.state = 'closed'
        self.closed_by = by
        self.signed_out_at = at or dt.datetime.now()
        self.save()


class TerminalAction(ModelSQL, ModelView):
    "One operator action received from a terminal, accepted or refused."
    __name__ = 'mes.terminal.action'
    __string__ = "Terminal Action"

    @classmethod
    def get_kinds(cls):
        Terminal = Pool().get('mes.terminal')
        return [(None, "")] + Terminal.action_kinds()

    action_id = fields.Char("Action ID", required=True, readonly=True)
    terminal = fields.Many2One(
        'mes.terminal', "Terminal", required=True, ondelete='RESTRICT',
        readonly=True)
    employee = fields.Many2One(
        'company.employee', "Employee", ondelete='RESTRICT', readonly=True)
    work = fields.Many2One(
        'production.work', "Work", ondelete='SET NULL', readonly=True)
    kind = fields.Selection('get_kinds', "Kind", readonly=True)
    payload = fields.Text("Payload", readonly=True)
    client_time = fields.DateTime("Client Time", readonly=True,
        help="When the operator tapped, which may be well before it "
        "reached the server after a network outage.")
    state = fields.Selection([
            ('accepted', "Accepted"),
            ('refused', "Refused"),
            ], "State", required=True, readonly=True)
    message = fields.Text("Message", readonly=True)
    result = fields.Text("Result", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('action_id_unique', Unique(t, t.action_id),
                'mes_production.msg_terminal_action_unique'),
            ]
        cls._order.insert(0, ('create_date', 'DESC'))

    def outcome(self, replayed=False):
        outcome = {
            'action_id': self.action_id,
            'accepted': self.state == 'accepted',
            'replayed': replayed,
            }
        if self.state == 'accepted':
            outcome['result'] = json.loads(self.result or '{}')
        else:
            outcome['error'] = self.message
        return outcome

