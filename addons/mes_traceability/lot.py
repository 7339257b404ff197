# This file is part of Tryton MES.  See README.md for license terms.
from trytond import backend
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.rpc import RPC
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from . import export, labels
from .exceptions import TraceError
from .trace import trace_edges_query, trace_query

MAX_DEPTH = 50
DIRECTIONS = {'backward', 'forward'}
FORMATS = {'json', 'csv'}


class Lot(metaclass=PoolMeta):
    __name__ = 'stock.lot'
    genealogy_inputs = fields.One2Many(
        'mes.genealogy.edge', 'output_lot', "Made From", readonly=True)
    genealogy_outputs = fields.One2Many(
        'mes.genealogy.edge', 'input_lot', "Used In", readonly=True)
    as_built_records = fields.One2Many(
        'mes.as_built', 'lot', "As-Built Records", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__rpc__.update({
                'trace_backward': RPC(),
                'trace_forward': RPC(),
                'trace': RPC(),
                'trace_export': RPC(),
                'recall': RPC(),
                'label': RPC(),
                })
        cls._buttons.update({
                'trace_backward_tree': {},
                'trace_forward_tree': {},
                })

    @classmethod
    @ModelView.button_action('mes_traceability.act_genealogy_backward')
    def trace_backward_tree(cls, lots):
        pass

    @classmethod
    @ModelView.button_action('mes_traceability.act_genealogy_forward')
    def trace_forward_tree(cls, lots):
        pass

    def label_image(self, size):
        return labels.label_image(
            labels.lot_payload(self.number), self.number,
            [self.product.rec_name], size=size)

    @classmethod
    def label(cls, lot_ids, size='50x25'):
        "PNG labels with a QR code the terminal scans, per lot (RPC)."
        check_label_size(size)
        return {lot.id: labels.label_png(
                    labels.lot_payload(lot.number), lot.number,
                    lot.product.rec_name, size=size)
            for lot in cls.browse(lot_ids)}

    @classmethod
    def _walk(cls, query_of, lot_ids, depth, direction):
        pool = Pool()
        Edge = pool.get('mes.genealogy.edge')
        ModelAccess = pool.get('ir.model.access')
        context = Transaction().context
        if direction not in DIRECTIONS:
            raise TraceError(gettext(
                    'mes_traceability.msg_trace_direction',
                    direction=direction))
        if context.get('_check_access'):
            ModelAccess.check(Edge.__name__, 'read')
        edge = Edge.__table__()
        cursor = Transaction().connection.cursor()
        depth = max(1, min(int(depth or MAX_DEPTH), MAX_DEPTH))
        # The walk is raw SQL: apply the company rule of the edges here.
        companies = context.get('companies')
        cursor.execute(*query_of(
                edge, [int(i) for i in lot_ids], depth, direction,
                company_ids=companies if companies is not None else None))
        return dict(cursor)

    @classmethod
    def _trace(cls, lot_ids, depth, direction):
        pool = Pool()
        Product = pool.get('product.product')
        reached = cls._walk(trace_query, lot_ids, depth, direction)
        # Read only what is returned: thousands of lots share few products.
        rows = cls.read(list(reached), ['number', 'product'])
        products = {p.id: p.rec_name for p in Product.browse(
                list({r['product'] for r in rows}))}
        return sorted(({
                    'lot': row['id'], 'number': row['number'],
                    'product': products[row['product']],
                    'depth': reached[row['id']],
                    } for row in rows),
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
    def trace(cls, lot_ids, direction='backward', depth=None):
        """The whole trace from the lots (RPC): every link crossed with its
        production and operation, and every lot reached with where it is
        now (storage and customer deliveries) or, backward, where it was
        received from."""
        pool = Pool()
        Edge = pool.get('mes.genealogy.edge')
        crossed = cls._walk(trace_edges_query, lot_ids, depth, direction)
        edges = Edge.browse(sorted(crossed))
        links = []
        depth_of = {}
        for edge in edges:
            if direction == 'backward':
                origin, reached = edge.output_lot, edge.input_lot
            else:
                origin, reached = edge.input_lot, edge.output_lot
            level = crossed[edge.id]
            depth_of[reached.id] = min(depth_of.get(reached.id, level), level)
            links.append({
                    'depth': level,
                    'from_lot': origin.number,
                    'from_product': origin.product.rec_name,
                    'lot': reached.number,
                    'product': reached.product.rec_name,
                    'quantity': round(edge.quantity, 6),
                    'unit': edge.unit.rec_name,
                    'production': (edge.production.rec_name
                        if edge.production else None),
                    'operation': (edge.operation.rec_name
                        if edge.operation else None),
                    'work_center': (edge.work_center.rec_name
                        if edge.work_center else None),
                    'date': edge.date,
                    })
        links.sort(key=lambda l: (l['depth'], l['from_lot'], l['lot']))
        start = cls.browse(lot_ids)
        for lot in start:
            depth_of.setdefault(lot.id, 0)
        lots = cls._whereabouts(depth_of, direction)
        return {
            'direction': direction,
            'start': [l.number for l in start],
            'links': links,
            'lots': lots,
            }

    @classmethod
    def trace_export(cls, lot_ids, direction='backward', format='json',
            depth=None):
        "The trace from the lots as CSV or JSON text (RPC)."
        if format not in FORMATS:
            raise TraceError(gettext(
                    'mes_traceability.msg_trace_format', format=format))
        document = cls.trace(lot_ids, direction=direction, depth=depth)
        if format == 'csv':
            return export.trace_csv(document)
        return export.to_json(document)

    @classmethod
    def _whereabouts(cls, depth_of, direction):
        """Each lot with its depth, whether it went into nothing else (a
        finished lot) and where it is: storage locations and customer
        deliveries, or suppliers it came from on a backward trace."""
        pool = Pool()
        Edge = pool.get('mes.genealogy.edge')
        lots = cls.browse(list(depth_of))
        edge = Edge.__table__()
        cursor = Transaction().connection.cursor()
        used = set()
        for sub in grouped_slice(list(depth_of), backend.MAX_QUERY_PARAMS):
            cursor.execute(*edge.select(
                    edge.input_lot, where=edge.input_lot.in_(list(sub)),
                    group_by=[edge.input_lot]))
            used.update(r for r, in cursor)
        stock = _stock_of(lots)
        moves = _moves_of(lots, 'customer' if direction == 'forward'
            else 'supplier')
        result = []
        for lot in sorted(lots, key=lambda l: (depth_of[l.id], l.number)):
            entry = {
                'lot': lot.number,
                'product': lot.product.rec_name,
                'depth': depth_of[lot.id],
                'finished': lot.id not in used,
                'stock': stock.get(lot.id, []),
                }
            key = 'deliveries' if direction == 'forward' else 'receipts'
            entry[key] = moves.get(lot.id, [])
            result.append(entry)
        return result

    @classmethod
    def recall(cls, lot_ids):
        """From suspect lots, every affected lot, the quantity of each in
        stock per location and the customer deliveries (RPC)."""
        trace = cls.trace(lot_ids, direction='forward')
        affected = trace['lots']
        return {
            'suspects': trace['start'],
            'lots': [l['lot'] for l in affected],
            'finished': [l for l in affected if l['finished']],
            'affected': affected,
            'stock': [dict(s, lot=l['lot'], product=l['product'])
                for l in affected for s in l['stock']],
            'deliveries': [dict(d, lot=l['lot'], product=l['product'])
                for l in affected for d in l['deliveries']],
            }


def check_label_size(size):
    if size not in labels.SIZES:
        raise TraceError(gettext(
                'mes_traceability.msg_label_size', size=size,
                sizes=', '.join(labels.SIZES)))


def _stock_of(lots):
    "{lot id: [{location, quantity, unit}]} in storage locations, today."
    pool = Pool()
    Product = pool.get('product.product')
    Location = pool.get('stock.location')
    if not lots:
        return {}
    locations = Location.search([('type', '=', 'storage')])
    location_ids = [l.id for l in locations]
    names = {l.id: l.rec_name for l in locations}
    lot_of = {l.id: l for l in lots}
    result = {}
    with Transaction().set_context(with_childs=False):
        for sub in grouped_slice(lots, backend.MAX_QUERY_PARAMS // 2):
            sub = list(sub)
            quantities = Product.products_by_location(
                location_ids, with_childs=False,
                grouping=('product', 'lot'),
                grouping_filter=(
                    list({l.product.id for l in sub}), [l.id for l in sub]))
            for (location_id, _, lot_id), quantity in sorted(
                    quantities.items(), key=lambda i: names[i[0][0]]):
                if quantity and lot_id in lot_of:
                    result.setdefault(lot_id, []).append({
                            'location': names[location_id],
                            'quantity': quantity,
                            'unit': lot_of[lot_id].product.default_uom
                            .rec_name,
                            })
    return result


def _moves_of(lots, party_location):
    """{lot id: [{customer or supplier, shipment, quantity, unit, date}]}
    of the done moves of the lots to customers or from suppliers."""
    Move = Pool().get('stock.move')
    if not lots:
        return {}
    side = ('to_location.type' if party_location == 'customer'
        else 'from_location.type')
    result = {}
    for sub in grouped_slice(lots, backend.MAX_QUERY_PARAMS):
        moves = Move.search([
                ('lot', 'in', [l.id for l in sub]),
                ('state', '=', 'done'),
                (side, '=', party_location),
                ], order=[('effective_date', 'ASC'), ('id', 'ASC')])
        for move in moves:
            shipment = move.shipment
            party = None
            if shipment is not None:
                party = getattr(shipment, party_location, None)
            result.setdefault(move.lot.id, []).append({
                    party_location: party.rec_name if party else None,
                    'shipment': shipment.rec_name if shipment else None,
                    'quantity': move.quantity,
                    'unit': move.unit.rec_name,
                    'date': move.effective_date,
                    })
    return result
