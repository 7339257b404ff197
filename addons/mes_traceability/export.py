# This file is part of Tryton MES.  See README.md for license terms.
"""Traces and recalls as CSV and JSON text, without the ORM."""
import csv
import io
import json

LINK_COLUMNS = [
    'depth', 'from_lot', 'from_product', 'lot', 'product', 'quantity',
    'unit', 'production', 'operation', 'work_center', 'date']
LOT_COLUMNS = ['lot', 'product', 'depth', 'finished', 'location',
    'quantity', 'customer', 'shipment', 'date']


def to_csv(rows, columns):
    "Rows of dicts as CSV text with a header line, in the given columns."
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=columns, extrasaction='ignore',
        lineterminator='\n')
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in columns})
    return buffer.getvalue()


def _cell(value):
    if value is None:
        return ''
    if isinstance(value, bool):
        return 'yes' if value else 'no'
    if isinstance(value, float):
        return f'{value:.6g}'
    return value


def trace_csv(trace):
    """The links of a trace, one per line, then the lots it reached with
    where they are now: each lot once per location or delivery."""
    links = to_csv(trace['links'], LINK_COLUMNS)
    whereabouts = []
    for lot in trace['lots']:
        base = {k: lot[k] for k in ('lot', 'product', 'depth', 'finished')}
        places = ([dict(base, location=s['location'], quantity=s['quantity'])
                for s in lot.get('stock', [])]
            + [dict(base, customer=d['customer'], shipment=d['shipment'],
                    quantity=d['quantity'], date=d['date'])
                for d in lot.get('deliveries', [])])
        whereabouts.extend(places or [base])
    return links + '\n' + to_csv(whereabouts, LOT_COLUMNS)


def to_json(document):
    return json.dumps(document, indent=2, sort_keys=True, default=str,
        ensure_ascii=False) + '\n'
