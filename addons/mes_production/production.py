# This file is part of Tryton MES.  See README.md for license terms.
import datetime as dt

from trytond.i18n import gettext
from trytond.model import ModelView, Workflow
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from .exceptions import ScanError
from .scheduling import Step, schedule


class Production(metaclass=PoolMeta):
    __name__ = 'production'

    @classmethod
    @ModelView.button
    @Workflow.transition('waiting')
    def wait(cls, productions):
        pool = Pool()
        Work = pool.get('production.work')
        super().wait(productions)
        to_plan = [w for p in productions for w in p.works
            if w.state == 'request' and not w.planned_start]
        if to_plan:
            cls.plan_works(to_plan)
            Work.save(to_plan)

    @classmethod
    def assign(cls, productions):
        pool = Pool()
        Work = pool.get('production.work')
        super().assign(productions)
        # Reserved components make the works startable (draft), where Tryton
        # only refreshes them when the production runs.
        Work.set_state(
            Work.browse([w.id for p in productions for w in p.works]))

    @classmethod
    def plan_works(cls, works):
        "Plan the works of each production one after the other."
        by_production = {}
        for work in sorted(works, key=lambda w: (w.sequence or 0, w.id)):
            by_production.setdefault(work.production, []).append(work)
        for production, works in by_production.items():
            start = production.planned_work_start()
            steps = [Step(w.operation.setup_time or dt.timedelta(),
                    w.operation.run_time or dt.timedelta()) for w in works]
            for work, (begin, end, duration) in zip(
                    works, schedule(start, steps, production.quantity or 0)):
                work.planned_start = begin
                work.planned_end = end
                work.planned_duration = duration

    def planned_work_start(self):
        "The time the first work of the production is planned to start."
        date = self.planned_start_date or self.planned_date
        if date:
            return dt.datetime.combine(date, dt.time(6, 0))
        return dt.datetime.now().replace(microsecond=0)

    @classmethod
    def consume_lot(cls, production, code, quantity=None):
        """Put the lot of the scanned code on the production's input of its
        product, to be consumed with the production.

        With a quantity, that quantity is split off the open input into a
        move of its own for the lot, so that several lots can feed one
        input. Return the lot and the input move; refuse an unknown,
        foreign, exhausted or held lot with the reason."""
        pool = Pool()
        Lot = pool.get('stock.lot')
        Move = pool.get('stock.move')
        lot = cls.find_scanned_lot(code)
        if not lot:
            raise ScanError(gettext(
                    'mes_production.msg_scan_lot_unknown', code=code))
        inputs = [m for m in production.inputs if m.product == lot.product]
        if not inputs:
            raise ScanError(gettext(
                    'mes_production.msg_scan_lot_wrong_product',
                    lot=lot.rec_name, product=lot.product.rec_name,
                    production=production.rec_name))
        reason = cls._get_lot_refusal(production, lot)
        if reason:
            raise ScanError(reason)
        if quantity is None:
            for move in inputs:
                if move.lot == lot and move.state != 'cancelled':
                    return lot, move
        open_moves = [m for m in inputs
            if m.state in {'staging', 'draft', 'assigned'}]
        if not open_moves:
            raise ScanError(gettext(
                    'mes_production.msg_scan_inputs_done',
                    product=lot.product.rec_name,
                    production=production.rec_name))
        with Transaction().set_context(
                locations=[open_moves[0].from_location.id],
                stock_date_end=dt.date.max):
            available = Lot(lot.id).quantity
        if (available or 0) <= 0:
            raise ScanError(gettext(
                    'mes_production.msg_scan_lot_exhausted',
                    lot=lot.rec_name,
                    location=open_moves[0].from_location.rec_name))
        if quantity is None:
            move = next(
                (m for m in open_moves if not m.lot), open_moves[0])
        else:
            move = next((m for m in open_moves if not m.lot),
                max(open_moves, key=lambda m: (m.quantity, -m.id)))
            move = cls._split_input(move, quantity)
        if move.state == 'assigned':
            Move.draft([move])
        move.lot = lot
        move.save()
        return lot, move

    @classmethod
    def _split_input(cls, move, quantity):
        """Return a move of quantity taken off the open input move, which
        keeps the rest; the move itself when it has no more."""
        pool = Pool()
        Move = pool.get('stock.move')
        if quantity <= 0:
            raise ScanError(gettext(
                    'mes_production.msg_scan_quantity_positive'))
        if quantity > move.quantity:
            raise ScanError(gettext(
                    'mes_production.msg_scan_quantity_over',
                    quantity=quantity, move=move.rec_name,
                    remaining=move.quantity))
        if quantity == move.quantity:
            return move
        if move.state == 'assigned':
            Move.draft([move])
        split, = Move.copy([move], {
                'quantity': quantity,
                'lot': None,
                })
        move.quantity = move.unit.round(move.quantity - quantity)
        move.save()
        return split

    @classmethod
    def find_scanned_lot(cls, code):
        "The lot a scanned code names: its number, or an MES label payload."
        pool = Pool()
        Lot = pool.get('stock.lot')
        code = (code or '').strip()
        if code.upper().startswith('MES:LOT:'):
            code = code[len('MES:LOT:'):]
        lots = Lot.search([('number', '=', code)], limit=2)
        if len(lots) == 1:
            return lots[0]

    @classmethod
    def _get_lot_refusal(cls, production, lot):
        """Return why the lot may not be consumed by the production, or None.

        The hook other modules extend (a quality hold...)."""
        return None
