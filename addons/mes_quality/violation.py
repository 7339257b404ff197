# This file is part of Tryton MES.  See README.md for license terms.
import json

from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import PoolMeta

from .spc import RULES


class Violation(ModelSQL, ModelView):
    "A run rule broken by a characteristic's chart."
    __name__ = 'mes.quality.violation'
    __string__ = "SPC Violation"
    characteristic = fields.Many2One(
        'mes.quality.characteristic', "Characteristic", required=True,
        ondelete='RESTRICT', readonly=True)
    rule = fields.Selection(
        [(code, rule.name) for code, rule in RULES.items()], "Rule",
        required=True, readonly=True)
    rule_string = rule.translated('rule')
    measurement = fields.Many2One(
        'mes.quality.measurement', "Measurement", required=True,
        ondelete='RESTRICT', readonly=True,
        help="The measurement that completed the pattern.")
    points = fields.Text(
        "Points", readonly=True,
        help="The ids of the measurements in the rule's window.")
    limit = fields.Many2One(
        'mes.quality.limit', "Limits", ondelete='RESTRICT', readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('create_date', 'DESC'), ('id', 'DESC')]

    def get_rec_name(self, name):
        return f'{self.characteristic.rec_name}: {self.rule_string}'


class Alert(metaclass=PoolMeta):
    __name__ = 'quality.alert'
    chart = fields.Function(fields.Binary(
            "Control Chart",
            help="The chart at the violation, the points of the rule's "
            "window in red."), 'get_chart')

    def get_chart(self, name):
        origin = self.origin
        if not origin or getattr(origin, '__name__', None) != (
                'mes.quality.violation') or origin.id < 0:
            return None
        window = set(json.loads(origin.points or '[]'))
        window.add(origin.measurement.id)
        return origin.characteristic.render_chart(
            highlight=window).encode('utf-8')

    @classmethod
    def _get_origins(cls):
        return super()._get_origins() + ['mes.quality.violation']
