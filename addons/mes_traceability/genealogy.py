# This file is part of Tryton MES.  See README.md for license terms.
from sql import Literal, Null
from sql.aggregate import Sum
from sql.conditionals import Case, NullIf
from sql.functions import CurrentTimestamp
from sql.operators import Exists

from trytond import backend
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.rpc import RPC
from trytond.tools import grouped_slice, reduce_ids
from trytond.transaction import Transaction

from .exceptions import GenealogyValidationError


class GenealogyEdge(ModelSQL, ModelView):
    "One input lot consumed into one output lot by a production."
    __name__ = 'mes.genealogy.edge'
    __string__ = "Genealogy Link"
    input_lot = fields.Many2One(
        'stock.lot', "Input Lot", required=True, ondelete='RESTRICT')
    output_lot = fields.Many2One(
        'stock.lot', "Output Lot", required=True, ondelete='RESTRICT')
    input_product = fields.Function(fields.Many2One(
            'product.product', "Input Product",
            context={'company': Eval('company', -1)}, depends=['company']),
        'get_lot_product')
    output_product = fields.Function(fields.Many2One(
            'product.product', "Output Product",
            context={'company': Eval('company', -1)}, depends=['company']),
        'get_lot_product')
    quantity = fields.Float(
        "Quantity", required=True, domain=[('quantity', '>=', 0)],
        help="Quantity of the input lot, in its product's unit.")
    unit = fields.Function(fields.Many2One(
            'product.uom', "Unit"), 'get_unit')
    production = fields.Many2One(
        'production', "Production", ondelete='RESTRICT')
    work = fields.Many2One(
        'production.work', "Work", ondelete='RESTRICT',
        help="The operation at which the input lot was consumed.")
    operation = fields.Function(fields.Many2One(
            'production.routing.operation', "Operation"), 'get_work_info')
    work_center = fields.Function(fields.Many2One(
            'production.work.center', "Work Center"), 'get_work_info')
    input_move = fields.Many2One(
        'stock.move', "Input Move", ondelete='CASCADE')
    output_move = fields.Many2One(
        'stock.move', "Output Move", ondelete='CASCADE')
    date = fields.Function(fields.Date("Date"), 'get_date')
    company = fields.Many2One('company.company', "Company", required=True)
    # The two directions of the tree views: each expands one level on
    # demand, so a cycle in the data never makes the client loop.
    inputs = fields.Function(fields.Many2Many(
            'mes.genealogy.edge', None, None, "Made From"), 'get_tree')
    outputs = fields.Function(fields.Many2Many(
            'mes.genealogy.edge', None, None, "Used In"), 'get_tree')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        # Both directions of a trace start from one side of the edge.
        cls._sql_indexes.update({
                Index(t, (t.input_lot, Index.Equality())),
                Index(t, (t.output_lot, Index.Equality())),
                Index(t, (t.production, Index.Equality())),
                })
        cls._order = [('production', 'DESC'), ('id', 'ASC')]
        cls.__rpc__.update({
                'rebuild': RPC(readonly=False),
                })

    def get_rec_name(self, name):
        return f'{self.input_lot.rec_name} → {self.output_lot.rec_name}'

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    def get_lot_product(self, name):
        lot = self.input_lot if name == 'input_product' else self.output_lot
        return lot.product.id

    def get_unit(self, name):
        return self.input_lot.product.default_uom.id

    @classmethod
    def get_work_info(cls, edges, names):
        result = {n: {} for n in names}
        for edge in edges:
            work = edge.work
            if 'operation' in result:
                result['operation'][edge.id] = (
                    work.operation.id if work and work.operation else None)
            if 'work_center' in result:
                result['work_center'][edge.id] = (
                    work.work_center.id
                    if work and work.work_center else None)
        return result

    def get_date(self, name):
        move = self.output_move or self.input_move
        return move.effective_date if move else None

    @classmethod
    def get_tree(cls, edges, names):
        "The edges one level up (inputs) or down (outputs) of each edge."
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        result = {n: {e.id: [] for e in edges} for n in names}
        for name in names:
            if name == 'inputs':
                by_lot, column = 'input_lot', table.output_lot
            else:
                by_lot, column = 'output_lot', table.input_lot
            edges_of = {}
            for edge in edges:
                edges_of.setdefault(
                    getattr(edge, by_lot).id, []).append(edge.id)
            for sub in grouped_slice(
                    list(edges_of), backend.MAX_QUERY_PARAMS):
                cursor.execute(*table.select(
                        column, table.id,
                        where=reduce_ids(column, list(sub)),
                        order_by=[table.id.asc]))
                for lot_id, edge_id in cursor:
                    for origin in edges_of[lot_id]:
                        result[name][origin].append(edge_id)
        return result

    @classmethod
    def validate_fields(cls, edges, field_names):
        super().validate_fields(edges, field_names)
        for edge in edges:
            if edge.input_lot == edge.output_lot:
                raise GenealogyValidationError(
                    gettext('mes_traceability.msg_edge_same_lot',
                        lot=edge.input_lot.rec_name))

    @classmethod
    def update_productions(cls, production_ids):
        """Make the links of the productions those of their done moves
        with lots, in two statements per slice of productions."""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        for sub in grouped_slice(production_ids, backend.MAX_QUERY_PARAMS):
            sub = list(sub)
            cursor.execute(*table.delete(
                    where=reduce_ids(table.production, sub)))
            cls._insert_links(sub)

    @classmethod
    def rebuild(cls):
        """Compute every link again from the done moves of all productions
        (RPC): for a database that had productions before the module."""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.delete(where=table.production != Null))
        cls._insert_links(None)

    @classmethod
    def _insert_links(cls, production_ids):
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        query = cls._links_query(production_ids)
        cursor.execute(*table.insert([
                    table.input_lot, table.output_lot, table.quantity,
                    table.production, table.work, table.input_move,
                    table.output_move, table.company, table.create_uid,
                    table.create_date], query))

    @classmethod
    def _links_query(cls, production_ids=None):
        """The links of the productions (all when None) from their done
        moves: each input lot goes into the output lot it was consumed for
        (its unit lot) when that lot came out, or else into every output
        lot, shared in proportion to the output quantities."""
        pool = Pool()
        Move = pool.get('stock.move')
        input_ = Move.__table__()
        output = Move.__table__()
        all_outputs = Move.__table__()
        unit_output = Move.__table__()

        def done_with_lot(move):
            return (move.state == 'done') & (move.lot != Null)

        where_totals = done_with_lot(all_outputs) & (
            all_outputs.production_output != Null)
        where = (done_with_lot(input_) & done_with_lot(output)
            & (input_.production_input != Null)
            & (input_.lot != output.lot))
        if production_ids is not None:
            where_totals &= reduce_ids(
                all_outputs.production_output, production_ids)
            where &= reduce_ids(input_.production_input, production_ids)
        totals = all_outputs.select(
            all_outputs.production_output.as_('production'),
            Sum(all_outputs.internal_quantity).as_('quantity'),
            where=where_totals,
            group_by=[all_outputs.production_output])
        unit_came_out = Exists(unit_output.select(
                Literal(1),
                where=done_with_lot(unit_output)
                & (unit_output.production_output == input_.production_input)
                & (unit_output.lot == input_.unit_lot)))
        where &= ((input_.unit_lot == Null)
            | (input_.unit_lot == output.lot)
            | ~unit_came_out)
        quantity = Case(
            (input_.unit_lot == output.lot, input_.internal_quantity),
            else_=(input_.internal_quantity * output.internal_quantity
                / NullIf(totals.quantity, 0)))
        return input_.join(output,
            condition=output.production_output == input_.production_input
            ).join(totals,
            condition=totals.production == input_.production_input
            ).select(
            input_.lot, output.lot, quantity,
            input_.production_input, input_.work, input_.id, output.id,
            input_.company, Literal(Transaction().user), CurrentTimestamp(),
            where=where)
