# This file is part of Tryton MES.  See README.md for license terms.
from trytond.i18n import gettext
from trytond.pool import Pool, PoolMeta

from .exceptions import HoldError


class Move(metaclass=PoolMeta):
    __name__ = 'stock.move'

    @classmethod
    def assign(cls, moves):
        cls.check_lots_on_hold(moves)
        super().assign(moves)

    @classmethod
    def do(cls, moves):
        cls.check_lots_on_hold(moves)
        super().do(moves)

    @classmethod
    def check_lots_on_hold(cls, moves):
        """A lot on hold is not reserved, moved, consumed nor shipped
        until quality dispositions it."""
        pool = Pool()
        Hold = pool.get('mes.quality.hold')
        lots = {m.lot.id for m in moves if getattr(m, 'lot', None)}
        if not lots:
            return
        holds = Hold.search([
                ('lot', 'in', list(lots)),
                ('state', '=', 'open'),
                ], order=[('id', 'ASC')], limit=1)
        if holds:
            hold, = holds
            raise HoldError(gettext(
                    'mes_quality.msg_move_lot_on_hold',
                    lot=hold.lot.rec_name, reason=hold.reason))
