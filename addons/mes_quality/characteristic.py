# This file is part of Tryton MES.  See README.md for license terms.
from trytond.i18n import gettext
from trytond.model import DeactivableMixin, ModelSQL, ModelView, fields
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .exceptions import CharacteristicValidationError

VARIABLE_CHARTS = {'xbar_r', 'xbar_s', 'i_mr'}
ATTRIBUTE_CHARTS = {'p', 'np', 'c', 'u'}


class Characteristic(DeactivableMixin, ModelSQL, ModelView):
    __name__ = 'mes.quality.characteristic'
    name = fields.Char("Name", required=True, translate=True)
    company = fields.Many2One('company.company', "Company", required=True)
    product = fields.Many2One(
        'product.product', "Product", ondelete='CASCADE',
        context={'company': Eval('company', -1)}, depends={'company'},
        help="Leave empty to measure every product at the operation.")
    operation = fields.Many2One(
        'production.routing.operation', "Operation", ondelete='RESTRICT')
    type_ = fields.Selection([
            ('variable', "Variable"),
            ('attribute', "Attribute"),
            ], "Type", required=True, sort=False)
    nominal = fields.Float(
        "Nominal", states={'invisible': Eval('type_') != 'variable'})
    lower_limit = fields.Float(
        "Lower Specification Limit",
        states={'invisible': Eval('type_') != 'variable'})
    upper_limit = fields.Float(
        "Upper Specification Limit",
        states={'invisible': Eval('type_') != 'variable'})
    unit = fields.Many2One('product.uom', "Unit", ondelete='RESTRICT')
    decimals = fields.Integer(
        "Decimals", required=True,
        domain=[('decimals', '>=', 0), ('decimals', '<=', 10)])
    chart_type = fields.Selection([
            ('xbar_r', "X̄-R"),
            ('xbar_s', "X̄-S"),
            ('i_mr', "I-MR"),
            ('p', "p"),
            ('np', "np"),
            ('c', "c"),
            ('u', "u"),
            ], "Chart", required=True, sort=False)
    subgroup_size = fields.Integer(
        "Subgroup Size", required=True,
        domain=[('subgroup_size', '>=', 1), ('subgroup_size', '<=', 25)])

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_type_(cls):
        return 'variable'

    @classmethod
    def default_chart_type(cls):
        return 'xbar_r'

    @classmethod
    def default_subgroup_size(cls):
        return 5

    @classmethod
    def default_decimals(cls):
        return 3

    @classmethod
    def validate_fields(cls, characteristics, field_names):
        super().validate_fields(characteristics, field_names)
        for characteristic in characteristics:
            characteristic.check_chart_type()
            characteristic.check_specification_limits()

    def check_chart_type(self):
        allowed = (
            VARIABLE_CHARTS if self.type_ == 'variable' else ATTRIBUTE_CHARTS)
        if self.chart_type not in allowed:
            raise CharacteristicValidationError(
                gettext('mes_quality.msg_characteristic_chart_type',
                    characteristic=self.rec_name))

    def check_specification_limits(self):
        if (self.lower_limit is not None and self.upper_limit is not None
                and self.lower_limit >= self.upper_limit):
            raise CharacteristicValidationError(
                gettext('mes_quality.msg_characteristic_limits',
                    characteristic=self.rec_name))
