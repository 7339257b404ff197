# This file is part of Tryton MES.  See README.md for license terms.
import datetime as dt

from trytond.model import fields
from trytond.pool import PoolMeta
from trytond.pyson import TimeDelta


class Operation(metaclass=PoolMeta):
    __name__ = 'production.routing.operation'
    setup_time = fields.TimeDelta(
        "Setup Time", required=True,
        domain=[('setup_time', '>=', TimeDelta())],
        help="Time to set the work center up once per work.")
    run_time = fields.TimeDelta(
        "Run Time per Unit", required=True,
        domain=[('run_time', '>=', TimeDelta())],
        help="Time to make one unit of the production's product.")
    instructions = fields.One2Many(
        'mes.work.instruction', 'operation', "Work Instructions")
    mes_skills = fields.Many2Many(
        'production.routing.operation-mes.skill', 'operation', 'skill',
        "Required Skills",
        help="Only operators holding a valid qualification for each of "
        "these skills may run the operation.")

    @classmethod
    def default_setup_time(cls):
        return dt.timedelta()

    @classmethod
    def default_run_time(cls):
        return dt.timedelta()
