# This file is part of Tryton MES.  See README.md for license terms.
from sql import Null

from trytond.model import Index, ModelView, Workflow, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval


class Move(metaclass=PoolMeta):
    __name__ = 'stock.move'
    work = fields.Many2One(
        'production.work', "Work", ondelete='RESTRICT',
        domain=[
            ('production', '=', Eval('production_input', -1)),
            ],
        states={
            'invisible': ~Eval('production_input'),
            'readonly': Eval('state').in_(['done', 'cancelled']),
            },
        help="The operation at which the lot was consumed.")
    unit_lot = fields.Many2One(
        'stock.lot', "For Unit", ondelete='RESTRICT',
        domain=[
            ('id', '!=', Eval('lot', -1)),
            ],
        states={
            'invisible': ~Eval('production_input'),
            'readonly': (Eval('state').in_(['done', 'cancelled'])
                | ~Bool(Eval('production_input'))),
            },
        help="The output lot or serial number this input went into only; "
        "without it, the input goes into every output of the production.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        # Recalls and whereabouts look moves up by lot.
        cls._sql_indexes.add(
            Index(t, (t.lot, Index.Equality()), where=t.lot != Null))

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def do(cls, moves):
        super().do(moves)
        cls._update_genealogy(moves)

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, moves):
        super().cancel(moves)
        cls._update_genealogy(moves)

    @classmethod
    def _update_genealogy(cls, moves):
        """Keep the genealogy links of the productions the moves feed or
        come out of in step with their done moves."""
        Edge = Pool().get('mes.genealogy.edge')
        production_ids = set()
        for move in moves:
            for production in [move.production_input, move.production_output]:
                if production:
                    production_ids.add(production.id)
        if production_ids:
            Edge.update_productions(sorted(production_ids))

    @classmethod
    def copy(cls, moves, default=None):
        default = {} if default is None else default.copy()
        default.setdefault('unit_lot')
        return super().copy(moves, default=default)
