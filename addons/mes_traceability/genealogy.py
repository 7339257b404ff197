# This file is part of Tryton MES.  See README.md for license terms.
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.transaction import Transaction

from .exceptions import GenealogyValidationError


class GenealogyEdge(ModelSQL, ModelView):
    "One input lot consumed into one output lot by a production."
    __name__ = 'mes.genealogy.edge'
    input_lot = fields.Many2One(
        'stock.lot', "Input Lot", required=True, ondelete='RESTRICT')
    output_lot = fields.Many2One(
        'stock.lot', "Output Lot", required=True, ondelete='RESTRICT')
    quantity = fields.Float(
        "Quantity", required=True, domain=[('quantity', '>=', 0)],
        help="Quantity of the input lot, in its product's unit.")
    production = fields.Many2One(
        'production', "Production", ondelete='RESTRICT')
    company = fields.Many2One('company.company', "Company", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        # Both directions of a trace start from one side of the edge.
        cls._sql_indexes.update({
                Index(t, (t.input_lot, Index.Equality())),
                Index(t, (t.output_lot, Index.Equality())),
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def validate_fields(cls, edges, field_names):
        super().validate_fields(edges, field_names)
        for edge in edges:
            if edge.input_lot == edge.output_lot:
                raise GenealogyValidationError(
                    gettext('mes_traceability.msg_edge_same_lot',
                        lot=edge.input_lot.rec_name))
