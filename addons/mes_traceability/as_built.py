# This file is part of Tryton MES.  See README.md for license terms.
"""As-built records: what a lot is, how, from what and by whom it was made.

The record is written once, when the production that made the lot is done,
from the facts of that moment; it is never changed after. Its content is
JSON (what the JSON export and the printed record show) with a SHA-256
digest of that text, so a copy can be checked against the database.
"""
import datetime as dt
import hashlib
import json

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.rpc import RPC
from trytond.transaction import Transaction

from .exceptions import AsBuiltError


def iso(value):
    "A time or date as ISO 8601 text (times are UTC), None kept."
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0).isoformat()
    return value.isoformat()


def hours(delta):
    return round(delta.total_seconds() / 3600, 4) if delta else 0.0


class AsBuilt(ModelSQL, ModelView):
    "The device history record of a lot, frozen when its production is done."
    __name__ = 'mes.as_built'
    __string__ = "As-Built Record"
    lot = fields.Many2One(
        'stock.lot', "Lot", required=True, ondelete='RESTRICT', readonly=True)
    product = fields.Many2One(
        'product.product', "Product", required=True, ondelete='RESTRICT',
        readonly=True,
        context={'company': Eval('company', -1)}, depends=['company'])
    quantity = fields.Float("Quantity", readonly=True)
    unit = fields.Many2One(
        'product.uom', "Unit", ondelete='RESTRICT', readonly=True)
    production = fields.Many2One(
        'production', "Production", required=True, ondelete='RESTRICT',
        readonly=True)
    recorded_at = fields.DateTime("Recorded At", readonly=True)
    content = fields.Text("Content", readonly=True)
    digest = fields.Char(
        "SHA-256", readonly=True,
        help="The SHA-256 digest of the content, to check a copy against.")
    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.lot, Index.Equality())),
                Index(t, (t.production, Index.Equality())),
                })
        cls._order = [('recorded_at', 'DESC'), ('id', 'DESC')]
        cls.__rpc__.update({
                'as_json': RPC(),
                })

    def get_rec_name(self, name):
        return f'{self.lot.rec_name} @ {self.production.rec_name}'

    @classmethod
    def check_modification(cls, mode, records, values=None, external=False):
        super().check_modification(
            mode, records, values=values, external=external)
        if mode in {'write', 'delete'}:
            for record in records:
                raise AsBuiltError(gettext(
                        'mes_traceability.msg_as_built_frozen',
                        record=record.rec_name))

    @classmethod
    def as_json(cls, ids):
        "The content of each record, as sent by the JSON export (RPC)."
        return {r.id: json.loads(r.content) for r in cls.browse(ids)}

    @property
    def data(self):
        return json.loads(self.content)

    @classmethod
    def record_productions(cls, productions):
        "Write the as-built record of each lot the productions made."
        to_create = []
        now = dt.datetime.now()
        for production in productions:
            outputs = [m for m in production.outputs
                if m.state == 'done' and m.lot]
            for move in outputs:
                content = cls._get_content(production, move)
                text = json.dumps(content, sort_keys=True, ensure_ascii=False)
                to_create.append({
                        'lot': move.lot.id,
                        'product': move.product.id,
                        'quantity': move.quantity,
                        'unit': move.unit.id,
                        'production': production.id,
                        'recorded_at': now,
                        'content': text,
                        'digest': hashlib.sha256(
                            text.encode('utf-8')).hexdigest(),
                        'company': production.company.id,
                        })
        if to_create:
            cls.create(to_create)

    @classmethod
    def _get_content(cls, production, output):
        """The record of the lot of the output move as a dict of JSON
        values; other modules add their sections."""
        works = sorted(production.works, key=lambda w: (w.sequence or 0, w.id))
        return {
            'lot': output.lot.number,
            'product': output.product.rec_name,
            'quantity': output.quantity,
            'unit': output.unit.rec_name,
            'production': {
                'number': production.number,
                'bom': production.bom.rec_name if production.bom else None,
                'routing': (production.routing.rec_name
                    if production.routing else None),
                'quantity': production.quantity,
                'started': iso(production.effective_start_date),
                'done': iso(production.effective_date),
                'company': production.company.rec_name,
                },
            'works': [cls._get_work(w) for w in works],
            'consumed': cls._get_consumed(production, output),
            'deviations': cls._get_deviations(production),
            }

    @classmethod
    def _get_work(cls, work):
        cycles = sorted(
            (c for c in work.cycles if c.state != 'cancelled'),
            key=lambda c: (c.started_at or dt.datetime.min, c.id))
        starts = [c.started_at for c in cycles if c.started_at]
        ends = [c.ended_at for c in cycles if c.ended_at]
        return {
            'id': work.id,
            'operation': work.operation.rec_name if work.operation else None,
            'work_center': (work.work_center.rec_name
                if work.work_center else None),
            'state': work.state,
            'started': iso(min(starts)) if starts else None,
            'ended': iso(max(ends)) if ends else None,
            'good': sum(c.good_quantity or 0 for c in cycles),
            'scrap': sum(c.scrap_quantity or 0 for c in cycles),
            'operators': sorted({c.run_by.rec_name for c in cycles
                    if c.run_by}),
            'cycles': [{
                    'operator': c.run_by.rec_name if c.run_by else None,
                    'started': iso(c.started_at),
                    'ended': iso(c.ended_at),
                    'hours': hours(c.duration),
                    'good': c.good_quantity or 0,
                    'scrap': [{'reason': s.reason.rec_name,
                            'quantity': s.quantity} for s in c.scraps],
                    'pause_reason': (c.pause_reason.rec_name
                        if c.pause_reason else None),
                    } for c in cycles],
            }

    @classmethod
    def _get_consumed(cls, production, output):
        "The lots that went into the output's lot, with where they went in."
        Edge = Pool().get('mes.genealogy.edge')
        edges = Edge.search([
                ('production', '=', production.id),
                ('output_lot', '=', output.lot.id),
                ])
        # In the order of the operations that consumed them.
        edges.sort(key=lambda e: (
                (e.work.sequence or 0, e.work.id) if e.work else (1e9, 0),
                e.input_lot.number))
        return [{
                'lot': e.input_lot.number,
                'product': e.input_lot.product.rec_name,
                'quantity': round(e.quantity, 6),
                'unit': e.unit.rec_name,
                'operation': e.operation.rec_name if e.operation else None,
                'work_center': (e.work_center.rec_name
                    if e.work_center else None),
                } for e in edges]

    @classmethod
    def _get_deviations(cls, production):
        "The problems operators raised on the production's works."
        Problem = Pool().get('mes.problem')
        problems = Problem.search([
                ('work', 'in', [w.id for w in production.works]),
                ], order=[('create_date', 'ASC'), ('id', 'ASC')])
        return [{
                'kind': p.kind,
                'description': p.description,
                'work': p.work.rec_name if p.work else None,
                'raised_by': p.employee.rec_name if p.employee else None,
                'at': iso(p.create_date),
                'state': p.state,
                } for p in problems]

    @classmethod
    def _work_window(cls, work):
        "The first start and the last end of the work's cycles."
        cycles = [c for c in work.cycles if c.state != 'cancelled']
        starts = [c.started_at for c in cycles if c.started_at]
        if not starts:
            return None
        ends = [c.ended_at or dt.datetime.now() for c in cycles
            if c.started_at]
        return min(starts), max(ends)

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')
