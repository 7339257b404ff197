# This file is part of Tryton MES.  See README.md for license terms.
"""Printed and exported documents: labels, traces, recalls and as-built
records.

Labels, CSV and JSON are made here from the module's data, not from a
template: they override the report's `_execute`. The recall and as-built
records are HTML templates, printable from any browser.
"""
import io
import json

from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.report import Report
from trytond.wizard import Button, StateReport, StateView, Wizard

from . import export, labels


def _ids(records):
    return [int(r) for r in records]


class LabelReport(Report):
    "Labels of the records, one PNG, or a PDF of one page per label."
    __slots__ = ()
    model = None

    @classmethod
    def _execute(cls, records, header, data, action):
        Model = Pool().get(cls.model)
        size = data.get('size') or '50x25'
        format_ = data.get('format') or 'pdf'
        images = [r.label_image(size) for r in Model.browse(_ids(records))]
        if format_ == 'png' and len(images) == 1:
            buffer = io.BytesIO()
            images[0].save(buffer, format='PNG', dpi=(300, 300))
            return 'png', buffer.getvalue()
        return 'pdf', labels.labels_pdf(images)


class LotLabelReport(LabelReport):
    __name__ = 'mes.traceability.lot.label'
    model = 'stock.lot'


class WorkLabelReport(LabelReport):
    __name__ = 'mes.traceability.work.label'
    model = 'production.work'


class TraceExportReport(Report):
    "The trace from the lots as CSV or JSON."
    __name__ = 'mes.traceability.trace.export'

    @classmethod
    def _execute(cls, records, header, data, action):
        Lot = Pool().get('stock.lot')
        format_ = data.get('format') or 'json'
        return format_, Lot.trace_export(
            _ids(records), direction=data.get('direction') or 'backward',
            format=format_, depth=data.get('depth'))


class RecallReport(Report):
    "The recall report of the suspect lots, as a printable page."
    __name__ = 'mes.traceability.recall'

    @classmethod
    def get_context(cls, records, header, data):
        Lot = Pool().get('stock.lot')
        context = super().get_context(records, header, data)
        context['recall'] = Lot.recall(_ids(records))
        return context


class AsBuiltReport(Report):
    "The as-built record as a printable page, from its frozen content."
    __name__ = 'mes.traceability.as_built'

    @classmethod
    def get_context(cls, records, header, data):
        AsBuilt = Pool().get('mes.as_built')
        context = super().get_context(records, header, data)
        context['documents'] = [
            (r, r.data) for r in AsBuilt.browse(_ids(records))]
        return context


class AsBuiltJSONReport(Report):
    "The as-built records as JSON, with their digests."
    __name__ = 'mes.traceability.as_built.json'

    @classmethod
    def _execute(cls, records, header, data, action):
        AsBuilt = Pool().get('mes.as_built')
        documents = [{
                'lot': r.lot.number,
                'production': r.production.rec_name,
                'recorded_at': r.recorded_at,
                'sha256': r.digest,
                'content': json.loads(r.content),
                } for r in AsBuilt.browse(_ids(records))]
        return 'json', export.to_json(documents)


class PrintLabelStart(ModelView):
    "Print Labels"
    __name__ = 'mes.traceability.label.print.start'
    __string__ = "Print Labels"
    size = fields.Selection(
        [(s, f"{w} × {h} mm") for s, (w, h) in labels.SIZES.items()],
        "Label Size", required=True, sort=False)
    format = fields.Selection([
            ('pdf', "PDF, a page per label"),
            ('png', "PNG, for one label"),
            ], "Format", required=True)

    @classmethod
    def default_size(cls):
        return '50x25'

    @classmethod
    def default_format(cls):
        return 'pdf'


class PrintLabel(Wizard):
    "Print lot or work-order labels in a size of label stock."
    __name__ = 'mes.traceability.label.print'
    start = StateView(
        'mes.traceability.label.print.start',
        'mes_traceability.label_print_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Print", 'print_', 'tryton-print', default=True),
            ])
    print_ = StateReport('mes.traceability.lot.label')

    def do_print_(self, action):
        pool = Pool()
        ActionReport = pool.get('ir.action.report')
        if self.model.__name__ == 'production.work':
            action, = ActionReport.search([
                    ('report_name', '=', 'mes.traceability.work.label'),
                    ])
            action = action.get_action_value()
        return action, {
            'ids': [r.id for r in self.records],
            'model': self.model.__name__,
            'size': self.start.size,
            'format': self.start.format,
            }


class TraceExportStart(ModelView):
    "Export Trace"
    __name__ = 'mes.traceability.trace.export.start'
    __string__ = "Export Trace"
    direction = fields.Selection([
            ('backward', "Backward: where did it come from"),
            ('forward', "Forward: where did it go"),
            ], "Direction", required=True)
    depth = fields.Integer(
        "Depth", required=True,
        domain=[('depth', '>=', 1), ('depth', '<=', 50)])
    format = fields.Selection([
            ('csv', "CSV"),
            ('json', "JSON"),
            ], "Format", required=True)

    @classmethod
    def default_direction(cls):
        return 'backward'

    @classmethod
    def default_depth(cls):
        return 50

    @classmethod
    def default_format(cls):
        return 'csv'


class TraceExport(Wizard):
    "Export the trace of lots as CSV or JSON."
    __name__ = 'mes.traceability.trace.export'
    start = StateView(
        'mes.traceability.trace.export.start',
        'mes_traceability.trace_export_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Export", 'export', 'tryton-save', default=True),
            ])
    export = StateReport('mes.traceability.trace.export')

    def do_export(self, action):
        return action, {
            'ids': [r.id for r in self.records],
            'model': 'stock.lot',
            'direction': self.start.direction,
            'depth': self.start.depth,
            'format': self.start.format,
            }
