# This file is part of Tryton MES.  See README.md for license terms.
"""The terminal's control chart call, added to mes_production's terminal
API: POST /<database>/mes/terminal/<code>/api/chart."""
from http import HTTPStatus

from trytond.modules.mes_production.routes import (
    CALLS, _in_transaction, error_response, json_response)
from trytond.pool import Pool


def _call_chart(pool, context, data):
    "The SVG control chart of a characteristic sampled at the terminal."
    terminal_id, user, company = context
    try:
        pool.get('mes.quality.characteristic')
    except KeyError:
        return error_response(
            "MES Quality is not activated on this database.",
            HTTPStatus.NOT_FOUND)

    def chart():
        Characteristic = Pool().get('mes.quality.characteristic')
        Terminal = Pool().get('mes.terminal')
        terminal = Terminal(terminal_id)
        characteristic_id = data.get('characteristic')
        if not isinstance(characteristic_id, int):
            return None
        found = Characteristic.search([
                ('id', '=', characteristic_id),
                ('company', '=', terminal.company.id),
                ])
        if not found:
            return None
        characteristic, = found
        return {'characteristic': characteristic.id,
            'svg': characteristic.render_chart()}
    result = _in_transaction(pool, user, company, chart, readonly=True)
    if result is None:
        return error_response("Unknown characteristic.", HTTPStatus.NOT_FOUND)
    return json_response(result)


CALLS['chart'] = _call_chart
