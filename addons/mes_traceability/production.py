# This file is part of Tryton MES.  See README.md for license terms.
from trytond.i18n import gettext
from trytond.model import ModelView, Workflow
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval

from .exceptions import SerialNumberError

OPEN_MOVE_STATES = {'staging', 'draft', 'assigned'}


class Production(metaclass=PoolMeta):
    __name__ = 'production'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'assign_serial_numbers': {
                    'invisible': ~Eval('state').in_(
                        ['request', 'draft', 'waiting', 'assigned',
                            'running']),
                    'depends': ['state'],
                    },
                })

    @classmethod
    @ModelView.button
    def assign_serial_numbers(cls, productions):
        """Split each open output of a serial-numbered product into one
        move per unit, each with a lot of its own: its serial number."""
        pool = Pool()
        Lot = pool.get('stock.lot')
        Move = pool.get('stock.move')
        lots, moves = [], []
        for production in productions:
            outputs = [m for m in production.outputs
                if m.state in OPEN_MOVE_STATES and not m.lot
                and m.product.template.serial_numbers]
            numbered = sum(1 for m in production.outputs if m.lot)
            for move in outputs:
                units = round(move.internal_quantity)
                if units < 1 or units != move.internal_quantity:
                    raise SerialNumberError(gettext(
                            'mes_traceability.msg_serial_whole_units',
                            move=move.rec_name,
                            quantity=move.internal_quantity))
                unit_quantity = move.unit.round(move.quantity / units)
                copies = Move.copy([move] * (units - 1), {
                        'quantity': unit_quantity,
                        'lot': None,
                        }) if units > 1 else []
                move.quantity = unit_quantity
                for unit_move in [move] + copies:
                    numbered += 1
                    unit_move.add_lot()
                    if not unit_move.lot:
                        unit_move.lot = Lot(
                            product=unit_move.product,
                            number=f'{production.number}-{numbered:03d}')
                    lots.append(unit_move.lot)
                    moves.append(unit_move)
        Lot.save(lots)
        Move.save(moves)

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def do(cls, productions):
        pool = Pool()
        AsBuilt = pool.get('mes.as_built')
        # Units made without a number get theirs now, one lot each.
        cls.assign_serial_numbers(productions)
        productions = cls.browse([p.id for p in productions])
        cls.check_serial_numbers(productions)
        cls.check_unit_lots(productions)
        super().do(productions)
        AsBuilt.record_productions(cls.browse([p.id for p in productions]))

    @classmethod
    def check_serial_numbers(cls, productions):
        "A serial number is one unit, made once."
        for production in productions:
            seen = set()
            for move in production.outputs:
                if (move.state == 'cancelled' or not move.lot
                        or not move.product.template.serial_numbers):
                    continue
                if move.internal_quantity != 1 or move.lot in seen:
                    raise SerialNumberError(gettext(
                            'mes_traceability.msg_serial_one_unit',
                            production=production.rec_name,
                            lot=move.lot.rec_name))
                seen.add(move.lot)

    @classmethod
    def check_unit_lots(cls, productions):
        "An input consumed for a unit must go into one of the outputs."
        for production in productions:
            output_lots = {m.lot for m in production.outputs
                if m.lot and m.state != 'cancelled'}
            for move in production.inputs:
                if (move.state != 'cancelled' and move.unit_lot
                        and move.unit_lot not in output_lots):
                    raise SerialNumberError(gettext(
                            'mes_traceability.msg_unit_lot_not_output',
                            production=production.rec_name,
                            lot=move.lot.rec_name if move.lot else '',
                            unit=move.unit_lot.rec_name))
