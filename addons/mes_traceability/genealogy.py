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
    def record_productions(cls, productions):
        """Link the lots each production consumed to the lots it made.
        An input lot is shared over the output lots in proportion to their
        quantities."""
        to_create = []
        for production in productions:
            inputs = [m for m in production.inputs
                if m.state == 'done' and m.lot]
            outputs = [m for m in production.outputs
                if m.state == 'done' and m.lot]
            total = sum(m.quantity for m in outputs)
            for output in outputs:
                share = output.quantity / total if total else 0
                for input_ in inputs:
                    if input_.lot == output.lot:
                        continue
                    to_create.append({
                            'input_lot': input_.lot.id,
                            'output_lot': output.lot.id,
                            'quantity': input_.quantity * share,
                            'production': production.id,
                            'company': production.company.id,
                            })
        if to_create:
            cls.create(to_create)

    @classmethod
    def validate_fields(cls, edges, field_names):
        super().validate_fields(edges, field_names)
        for edge in edges:
            if edge.input_lot == edge.output_lot:
                raise GenealogyValidationError(
                    gettext('mes_traceability.msg_edge_same_lot',
                        lot=edge.input_lot.rec_name))
