# This file is part of Tryton MES.  See README.md for license terms.
from trytond.i18n import gettext
from trytond.modules.mes_production.exceptions import TerminalError
from trytond.pool import Pool, PoolMeta


class Terminal(metaclass=PoolMeta):
    __name__ = 'mes.terminal'

    def state_extra(self):
        return {**super().state_extra(), 'unit_scan': True}

    def _do_scan(self, work, employee, data):
        """Record the work at which the lot was consumed and, with a unit
        (a serial number or output lot of the production), consume one
        unit's share of the input for that unit only."""
        pool = Pool()
        Move = pool.get('stock.move')
        unit_code = data.get('unit')
        unit = None
        if unit_code not in (None, ''):
            unit = self._scan_unit(work, unit_code)
            data = dict(data, quantity=self._unit_share(work, data, unit))
        result = super()._do_scan(work, employee, data)
        values = {'work': work.id}
        if unit:
            values['unit_lot'] = unit.id
            result['unit'] = unit.number
        Move.write([Move(result['move'])], values)
        return result

    @staticmethod
    def _scan_unit(work, code):
        "The output lot of the work's production the code names."
        pool = Pool()
        Production = pool.get('production')
        if not isinstance(code, str):
            code = str(code)
        unit = Production.find_scanned_lot(code)
        units = {m.lot for m in work.production.outputs
            if m.lot and m.state != 'cancelled'}
        if not unit or unit not in units:
            raise TerminalError(gettext(
                    'mes_traceability.msg_scan_unit_unknown',
                    code=code, production=work.production.rec_name))
        return unit

    @staticmethod
    def _unit_share(work, data, unit):
        """The quantity of the scanned lot's product one unit of the
        production takes."""
        pool = Pool()
        Production = pool.get('production')
        production = work.production
        lot = Production.find_scanned_lot(str(data.get('code') or ''))
        if not lot:
            # consume_lot refuses the unknown code with its own message.
            return None
        moves = [m for m in production.inputs
            if m.product == lot.product and m.state != 'cancelled']
        if not moves or not production.quantity:
            return None
        unit_outputs = sum(m.quantity for m in production.outputs
            if m.product == unit.product and m.state != 'cancelled')
        share = (sum(m.quantity for m in moves)
            * _unit_quantity(production, unit) / (unit_outputs or 1))
        return moves[0].unit.round(share)


def _unit_quantity(production, unit):
    "The quantity of the unit's output move."
    return sum(m.quantity for m in production.outputs
        if m.lot == unit and m.state != 'cancelled')
