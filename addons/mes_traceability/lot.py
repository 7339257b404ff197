# This file is part of Tryton MES.  See README.md for license terms.
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.rpc import RPC
from trytond.transaction import Transaction

from . import labels
from .trace import trace_query

MAX_DEPTH = 50


class Lot(metaclass=PoolMeta):
    __name__ = 'stock.lot'
    genealogy_inputs = fields.One2Many(
        'mes.genealogy.edge', 'output_lot', "Made From", readonly=True)
    genealogy_outputs = fields.One2Many(
        'mes.genealogy.edge', 'input_lot', "Used In", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__rpc__.update({
                'trace_backward': RPC(),
                'trace_forward': RPC(),
                'recall': RPC(),
                'label': RPC(),
                })

    @classmethod
    def label(cls, lot_ids, size='50x25'):
        "PNG labels with a QR code the terminal scans, per lot (RPC)."
        return {lot.id: labels.label_png(
                    lot.number, lot.product.rec_name, size=size)
            for lot in cls.browse(lot_ids)}

    @classmethod
    def _trace(cls, lot_ids, depth, direction):
        pool = Pool()
        Edge = pool.get('mes.genealogy.edge')
        ModelAccess = pool.get('ir.model.access')
        context = Transaction().context
        if context.get('_check_access'):
            ModelAccess.check(Edge.__name__, 'read')
        edge = Edge.__table__()
        cursor = Transaction().connection.cursor()
        depth = max(1, min(int(depth or MAX_DEPTH), MAX_DEPTH))
        # The walk is raw SQL: apply the company rule of the edges here.
        companies = context.get('companies')
        cursor.execute(*trace_query(
                edge, lot_ids, depth, direction,
                company_ids=companies if companies is not None else None))
        reached = dict(cursor)
        lots = cls.browse(list(reached))
        return sorted(({
                    'lot': lot.id, 'number': lot.number,
                    'product': lot.product.rec_name,
                    'depth': reached[lot.id],
                    } for lot in lots),
            key=lambda r: (r['depth'], r['number']))

    @classmethod
    def trace_backward(cls, lot_ids, depth=None):
        "The lots the lots were made from, at any depth (RPC)."
        return cls._trace(lot_ids, depth, 'backward')

    @classmethod
    def trace_forward(cls, lot_ids, depth=None):
        "The lots the lots went into, at any depth (RPC)."
        return cls._trace(lot_ids, depth, 'forward')

    @classmethod
    def recall(cls, lot_ids):
        """From suspect lots, every affected lot, the quantity of each in
        stock per location and the customer deliveries (RPC)."""
        pool = Pool()
        Move = pool.get('stock.move')
        reached = cls.trace_forward(lot_ids)
        affected = list(lot_ids) + [r['lot'] for r in reached]
        deliveries = Move.search([
                ('lot', 'in', affected),
                ('state', '=', 'done'),
                ('to_location.type', '=', 'customer'),
                ])
        stock = []
        with Transaction().set_context(with_childs=True):
            for lot in cls.browse(affected):
                for location, quantity in _lot_stock(lot):
                    stock.append({
                            'lot': lot.number, 'location': location,
                            'quantity': quantity})
        return {
            'lots': [cls(i).number for i in affected],
            'stock': stock,
            'deliveries': [{
                    'lot': m.lot.number,
                    'product': m.product.rec_name,
                    'quantity': m.quantity,
                    'unit': m.unit.rec_name,
                    'date': m.effective_date,
                    'customer': (m.shipment.customer.rec_name
                        if m.shipment and getattr(m.shipment, 'customer', None)
                        else None),
                    'shipment': m.shipment.rec_name if m.shipment else None,
                    } for m in deliveries],
            }


def _lot_stock(lot):
    "(location name, quantity) of the lot in storage locations."
    pool = Pool()
    Product = pool.get('product.product')
    Location = pool.get('stock.location')
    locations = Location.search([('type', '=', 'storage')])
    with Transaction().set_context(
            locations=[l.id for l in locations], with_childs=False):
        quantities = Product.products_by_location(
            [l.id for l in locations], with_childs=False,
            grouping=('product', 'lot'),
            grouping_filter=([lot.product.id], [lot.id]))
    for (location_id, _, _), quantity in quantities.items():
        if quantity:
            yield Location(location_id).rec_name, quantity
