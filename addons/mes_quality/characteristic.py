# This file is part of Tryton MES.  See README.md for license terms.
import datetime as dt
import json
import math

import numpy as np
from sql import Null
from sql.aggregate import Count

from trytond.i18n import gettext
from trytond.model import DeactivableMixin, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.rpc import RPC
from trytond.transaction import Transaction, without_check_access

from . import chart as svg_chart
from . import sampling, spc
from .exceptions import CharacteristicValidationError, LimitError

VARIABLE_CHARTS = {'xbar_r', 'xbar_s', 'i_mr'}
ATTRIBUTE_CHARTS = {'p', 'np', 'c', 'u'}
# How many of the last points a chart picture shows.
CHART_POINTS = 50
# How many of the last values capability is computed from.
CAPABILITY_VALUES = 1000


class Characteristic(DeactivableMixin, ModelSQL, ModelView):
    __name__ = 'mes.quality.characteristic'
    __string__ = "Characteristic"
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
        domain=[
            ('subgroup_size', '>=', 1),
            # The chart constants are tabled for n = 2..25; an attribute
            # sample (np chart) may be any size.
            If(Eval('type_') == 'variable',
                ('subgroup_size', '<=', 25), ()),
            ],
        help="Pieces in one subgroup; for an np chart, the units inspected "
        "in each sample.")
    rules = fields.MultiSelection(
        [(code, rule.name) for code, rule in spc.RULES.items()], "Run Rules",
        help="The rules that raise a violation on this chart.")
    defect_categories = fields.Many2Many(
        'mes.quality.characteristic-defect.category', 'characteristic',
        'category', "Defect Categories",
        states={'invisible': Eval('type_') != 'attribute'},
        help="The categories an attribute sample's count is broken down "
        "by.")
    sampling = fields.Selection([
            (None, "No Plan"),
            ('first_piece', "First Piece of Each Work"),
            ('first_piece_lot', "First Piece of Each Lot"),
            ('every_units', "Every N Units"),
            ('every_minutes', "Every N Minutes"),
            ('percentage', "Percentage of Units"),
            ], "Sampling", sort=False,
        help="When the terminal asks the operator for a sample.")
    sample_every_units = fields.Integer(
        "Every (Units)", domain=['OR',
            ('sample_every_units', '=', None),
            ('sample_every_units', '>', 0)],
        states={
            'invisible': Eval('sampling') != 'every_units',
            'required': Eval('sampling') == 'every_units',
            })
    sample_every_minutes = fields.Integer(
        "Every (Minutes)", domain=['OR',
            ('sample_every_minutes', '=', None),
            ('sample_every_minutes', '>', 0)],
        states={
            'invisible': Eval('sampling') != 'every_minutes',
            'required': Eval('sampling') == 'every_minutes',
            })
    sample_percentage = fields.Float(
        "Sample %", domain=['OR',
            ('sample_percentage', '=', None),
            [('sample_percentage', '>', 0),
                ('sample_percentage', '<=', 100)]],
        states={
            'invisible': Eval('sampling') != 'percentage',
            'required': Eval('sampling') == 'percentage',
            })
    gating = fields.Boolean(
        "Gating",
        help="A work cannot be finished while samples of this "
        "characteristic are due.")
    hold_on_violation = fields.Boolean(
        "Hold on Violation",
        help="A violation puts the measured lot and the work center on "
        "hold until quality dispositions them.")
    limits = fields.One2Many(
        'mes.quality.limit', 'characteristic', "Control Limits",
        readonly=True)
    capability_points = fields.Function(fields.Integer(
            "Capability Values",
            help="The measurements the capability indices are computed "
            "from (the last ones, at most 1,000)."), 'get_capability')
    capability_mean = fields.Function(
        fields.Float("Mean", digits=(16, 4)), 'get_capability')
    sigma_within = fields.Function(
        fields.Float("σ Within", digits=(16, 5)), 'get_capability')
    sigma_within_method = fields.Function(
        fields.Char("σ Within Estimate"), 'get_capability')
    sigma_overall = fields.Function(
        fields.Float("σ Overall", digits=(16, 5),
            help="The sample standard deviation of the values."),
        'get_capability')
    cp = fields.Function(fields.Float("Cp", digits=(16, 2)), 'get_capability')
    cpk = fields.Function(
        fields.Float("Cpk", digits=(16, 2)), 'get_capability')
    pp = fields.Function(fields.Float("Pp", digits=(16, 2)), 'get_capability')
    ppk = fields.Function(
        fields.Float("Ppk", digits=(16, 2)), 'get_capability')
    histogram = fields.Function(fields.Binary(
            "Histogram",
            help="The values against the specification limits."),
        'get_capability')
    chart = fields.Function(fields.Binary(
            "Control Chart",
            help="The last points against the current limits, violations "
            "in red."), 'get_chart')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__rpc__.update({
                'compute_limits': RPC(readonly=False),
                'samples_due_of': RPC(),
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_rules(cls):
        return ['nelson_1', 'nelson_2', 'nelson_3', 'nelson_5']

    @classmethod
    def default_hold_on_violation(cls):
        return False

    def current_limit(self):
        pool = Pool()
        Limit = pool.get('mes.quality.limit')
        limits = Limit.search([
                ('characteristic', '=', self.id),
                ('state', '=', 'current'),
                ], limit=1)
        return limits[0] if limits else None

    def chart_points(self, limit=None):
        """The chart's points in time order: (value, [measurement ids]) of
        each individual, or of each complete subgroup for X̄ charts."""
        pool = Pool()
        Measurement = pool.get('mes.quality.measurement')
        table = Measurement.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(
                table.id, table.value, table.subgroup,
                where=table.characteristic == self.id,
                order_by=[table.measured_at.asc, table.id.asc]))
        rows = cursor.fetchall()
        if self.chart_type == 'i_mr' or self.subgroup_size == 1:
            points = [(v, [i]) for i, v, _ in rows]
        else:
            groups = {}
            order = []
            for id_, value, subgroup in rows:
                if subgroup not in groups:
                    groups[subgroup] = []
                    order.append(subgroup)
                groups[subgroup].append((id_, value))
            points = []
            for subgroup in order:
                members = groups[subgroup]
                if subgroup is not None and len(members) == self.subgroup_size:
                    points.append(
                        ([v for _, v in members], [i for i, _ in members]))
        return points[-limit:] if limit else points

    def attribute_points(self, limit=None):
        """The points of an attribute chart in time order: (count, size,
        measurement id) with the size inspected (p, u), the subgroup size
        (np) or one unit (c)."""
        pool = Pool()
        Measurement = pool.get('mes.quality.measurement')
        table = Measurement.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(
                table.id, table.value, table.inspected,
                where=table.characteristic == self.id,
                order_by=[table.measured_at.asc, table.id.asc]))
        points = []
        for id_, value, inspected in cursor:
            if self.chart_type == 'np':
                size = self.subgroup_size or 1
            elif self.chart_type == 'c':
                size = 1
            else:
                size = inspected
            if size:
                points.append((value, size, id_))
        return points[-limit:] if limit else points

    def plot_points(self, limit=None):
        """What the chart plots, in time order: (values, [measurement ids]
        of each point, sizes or None). Attribute charts plot the fraction
        (p), the count (np, c) or the count per unit (u)."""
        if self.type_ == 'attribute':
            points = self.attribute_points(limit)
            per_unit = self.chart_type in {'p', 'u'}
            return ([c / n if per_unit else c for c, n, _ in points],
                [[i] for _, _, i in points], [n for _, n, _ in points])
        points = self.chart_points(limit)
        return ([float(np.mean(p)) if isinstance(p, list) else p
                for p, _ in points], [ids for _, ids in points], None)

    def attribute_limits(self, points):
        "spc.Limits of an attribute chart from (count, size, id) points."
        counts = [c for c, _, _ in points]
        sizes = [n for _, n, _ in points]
        if self.chart_type == 'p':
            return spc.p_chart(counts, sizes)
        if self.chart_type == 'np':
            return spc.np_chart(counts, self.subgroup_size or 1)
        if self.chart_type == 'c':
            return spc.c_chart(counts)
        return spc.u_chart(counts, sizes)

    def standardize(self, limit, values, sizes):
        """z of each plotted value against the frozen limits; p and u
        charts have a σ per point from its size."""
        if self.type_ == 'attribute' and self.chart_type in {'p', 'u'}:
            centre = limit.centre
            if self.chart_type == 'p':
                frozen = spc.p_limits(centre, sizes)
            else:
                frozen = spc.u_limits(centre, sizes)
            return frozen.standardize(values)
        return limit.standardize(values)

    @classmethod
    def compute_limits(cls, characteristic_ids, reason, baseline=None):
        """Phase I: compute the control limits from the last `baseline`
        points (all by default) and freeze them; the limits before are kept
        as history."""
        pool = Pool()
        Limit = pool.get('mes.quality.limit')
        if not reason:
            raise LimitError(gettext('mes_quality.msg_limit_reason'))
        created = []
        for characteristic in cls.browse(characteristic_ids):
            if characteristic.type_ == 'attribute':
                points = characteristic.attribute_points(baseline)
            else:
                points = characteristic.chart_points(baseline)
            if len(points) < 2:
                raise LimitError(gettext(
                        'mes_quality.msg_limit_baseline',
                        characteristic=characteristic.rec_name))
            Limit.write(Limit.search([
                        ('characteristic', '=', characteristic.id),
                        ('state', '=', 'current'),
                        ]), {'state': 'superseded'})
            if characteristic.type_ == 'attribute':
                limits = characteristic.attribute_limits(points)
                # Where the limits vary with the size, show them at the
                # mean size; points are judged at their own.
                mean_size = float(np.mean([n for _, n, _ in points]))
                shown = (spc.p_limits(limits.centre, [mean_size])
                    if characteristic.chart_type == 'p'
                    else spc.u_limits(limits.centre, [mean_size])
                    if characteristic.chart_type == 'u' else limits)
                created.extend(Limit.create([{
                                'characteristic': characteristic.id,
                                'centre': limits.centre,
                                'lower': float(np.ravel(shown.lower)[0]),
                                'upper': float(np.ravel(shown.upper)[0]),
                                'point_sigma': float(
                                    np.ravel(shown.sigma)[0]),
                                'sigma_method': (
                                    'binomial' if characteristic.chart_type
                                    in {'p', 'np'} else 'Poisson'),
                                'baseline_points': len(points),
                                'reason': reason,
                                'state': 'current',
                                }]))
                continue
            values = [p for p, _ in points]
            if characteristic.chart_type == 'xbar_s':
                limits = spc.xbar_s(values)
            elif characteristic.chart_type == 'xbar_r':
                limits = spc.xbar_r(values)
            else:
                limits = spc.i_mr(values)
            created.extend(Limit.create([{
                            'characteristic': characteristic.id,
                            'centre': limits.location.centre,
                            'lower': float(limits.location.lower),
                            'upper': float(limits.location.upper),
                            'point_sigma': float(limits.location.sigma),
                            'dispersion_centre': limits.dispersion.centre,
                            'dispersion_lower': float(limits.dispersion.lower),
                            'dispersion_upper': float(limits.dispersion.upper),
                            'sigma': limits.sigma,
                            'sigma_method': limits.sigma_method,
                            'baseline_points': len(points),
                            'reason': reason,
                            'state': 'current',
                            }]))
        return [l.id for l in created]

    @classmethod
    def monitor(cls, measurements):
        """Phase II: judge the points the new measurements complete
        against the frozen limits; record violations, raise alerts and put
        holds where the characteristic says so."""
        # The reaction is the system's: the operator who entered the value
        # may not create alerts or holds.
        with without_check_access():
            cls._monitor(measurements)

    @classmethod
    def _monitor(cls, measurements):
        pool = Pool()
        Violation = pool.get('mes.quality.violation')
        Alert = pool.get('quality.alert')
        Hold = pool.get('mes.quality.hold')
        by_characteristic = {}
        for measurement in measurements:
            by_characteristic.setdefault(
                measurement.characteristic, []).append(measurement)
        for characteristic, news in by_characteristic.items():
            limit = characteristic.current_limit()
            if not limit or not characteristic.rules:
                continue
            window = max(spc.RULES[c].window for c in characteristic.rules)
            values, point_ids, sizes = characteristic.plot_points(window + 1)
            new_ids = {m.id for m in news}
            if not values or not new_ids & set(point_ids[-1]):
                continue
            z = characteristic.standardize(limit, values, sizes)
            last = len(values) - 1
            for violation in spc.evaluate_rules(z, characteristic.rules):
                if violation.index != last:
                    continue
                ids = [i for index in violation.points
                    for i in point_ids[index]]
                measurement = max(
                    (m for m in news if m.id in point_ids[last]),
                    key=lambda m: m.id)
                record, = Violation.create([{
                            'characteristic': characteristic.id,
                            'rule': violation.rule,
                            'measurement': measurement.id,
                            'points': json.dumps(ids),
                            'limit': limit.id,
                            }])
                alert = Alert(
                    origin=record, company=characteristic.company,
                    title=record.rec_name,
                    description=gettext(
                        'mes_quality.msg_violation_alert',
                        characteristic=characteristic.rec_name,
                        rule=record.rule_string,
                        value=values[last]))
                alert.save()
                cls._notify_quality(alert)
                if characteristic.hold_on_violation:
                    Hold.create([{
                                'lot': (measurement.lot.id
                                    if measurement.lot else None),
                                'work_center': (measurement.work_center.id
                                    if measurement.work_center else None),
                                'violation': record.id,
                                'reason': record.rec_name,
                                'company': characteristic.company.id,
                                }])

    @classmethod
    def default_gating(cls):
        return False

    @classmethod
    def samples_due(cls, works):
        """{work id: [(characteristic, samples due)]} of the works, for
        the characteristics of their operation (and product, where the
        characteristic names one) that have a sampling plan."""
        pool = Pool()
        Work = pool.get('production.work')
        Measurement = pool.get('mes.quality.measurement')
        result = {w.id: [] for w in works}
        works = [w for w in works if w.operation]
        if not works:
            return result
        characteristics = cls.search([
                ('operation', 'in', list({w.operation.id for w in works})),
                ('sampling', '!=', None),
                ])
        if not characteristics:
            return result
        table = Measurement.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(
                table.work, table.characteristic, Count(table.id),
                where=table.work.in_([w.id for w in works])
                & table.characteristic.in_([c.id for c in characteristics]),
                group_by=[table.work, table.characteristic]))
        taken = {(w, c): n for w, c, n in cursor}
        cursor.execute(*table.select(
                table.work, table.characteristic, table.lot,
                where=table.work.in_([w.id for w in works])
                & table.characteristic.in_([c.id for c in characteristics])
                & (table.lot != Null),
                group_by=[table.work, table.characteristic, table.lot]))
        sampled_lots = {}
        for work_id, characteristic_id, lot_id in cursor:
            sampled_lots.setdefault(
                (work_id, characteristic_id), set()).add(lot_id)
        quantities = Work.reported_quantities([w.id for w in works])
        now = dt.datetime.now()
        for work in works:
            good, scrap = quantities.get(work.id, (0.0, 0.0))
            minutes = sum(
                ((c.ended_at or now) - c.started_at).total_seconds()
                for c in work.cycles
                if c.started_at and c.state != 'cancelled') / 60
            product = work.production.product if work.production else None
            for characteristic in characteristics:
                if characteristic.operation != work.operation:
                    continue
                if (characteristic.product and product
                        and characteristic.product != product
                        and characteristic.product not in {
                            i.product for i in work.production.inputs}):
                    continue
                if characteristic.sampling == 'first_piece_lot':
                    # One sample from each lot of the characteristic's
                    # product that went into the production.
                    lots = {m.lot.id for m in work.production.inputs
                        if m.lot and m.product == characteristic.product}
                    due = len(lots - sampled_lots.get(
                            (work.id, characteristic.id), set()))
                    result[work.id].append((characteristic, due))
                    continue
                due = characteristic._samples_due_of_work(work, now)
                if due is not None:
                    result[work.id].append((characteristic, due))
                    continue
                expected = sampling.expected_samples(
                    characteristic.sampling, good + scrap, minutes,
                    every_units=characteristic.sample_every_units,
                    every_minutes=characteristic.sample_every_minutes,
                    percentage=characteristic.sample_percentage)
                due = sampling.samples_due(
                    expected, taken.get((work.id, characteristic.id), 0),
                    characteristic.sample_size)
                result[work.id].append((characteristic, due))
        return result

    def _samples_due_of_work(self, work, now):
        """The samples due of a plan that other modules compute (the first
        piece of each shift, with mes_equipment), else None."""
        return None

    def sample_description(self, due):
        "What a terminal shows of a sample due."
        return {
            'characteristic': self.id,
            'name': self.rec_name,
            'due': due,
            'size': self.sample_size,
            'gating': bool(self.gating),
            'nominal': self.nominal,
            'lower': self.lower_limit,
            'upper': self.upper_limit,
            'decimals': self.decimals,
            }

    def measured_lot(self, work):
        """The lot a sample of the work is taken from: the one lot of the
        characteristic's product among the production's inputs."""
        pool = Pool()
        Measurement = pool.get('mes.quality.measurement')
        if not work.production:
            return None
        lots = {m.lot for m in work.production.inputs
            if m.lot and m.product == self.product}
        if len(lots) > 1:
            # Several lots: the one not sampled yet, if there is one.
            lots -= {m.lot for m in Measurement.search([
                        ('work', '=', work.id),
                        ('characteristic', '=', self.id),
                        ('lot', 'in', [lot.id for lot in lots]),
                        ])}
        return lots.pop() if len(lots) == 1 else None

    @classmethod
    def samples_due_of(cls, work_ids):
        "RPC: {work id: [sample due, ...]} as the terminal shows them."
        Work = Pool().get('production.work')
        return {
            work_id: [c.sample_description(due) for c, due in dues]
            for work_id, dues in cls.samples_due(
                Work.browse(work_ids)).items()}

    @property
    def sample_size(self):
        "Measurements in one sample: one subgroup, one count for attributes."
        if self.chart_type == 'i_mr' or self.type_ == 'attribute':
            return 1
        return self.subgroup_size or 1

    @classmethod
    def get_capability(cls, characteristics, names):
        pool = Pool()
        Measurement = pool.get('mes.quality.measurement')
        table = Measurement.__table__()
        cursor = Transaction().connection.cursor()
        result = {name: {} for name in names}
        for characteristic in characteristics:
            values = []
            if characteristic.type_ == 'variable':
                cursor.execute(*table.select(
                        table.value,
                        where=table.characteristic == characteristic.id,
                        order_by=[table.measured_at.desc, table.id.desc],
                        limit=CAPABILITY_VALUES))
                values = [v for v, in cursor][::-1]
            figures = characteristic._capability_figures(values)
            for name in names:
                result[name][characteristic.id] = figures.get(name)
        return result

    def _capability_figures(self, values):
        figures = {'capability_points': len(values)}
        if len(values) < 2:
            return figures
        limit = self.current_limit()
        capability = spc.capability(
            values, self.lower_limit, self.upper_limit,
            sigma_within=limit.sigma if limit else None,
            sigma_within_method=limit.sigma_method if limit else None)
        counts, edges = spc.histogram(
            values, self.lower_limit, self.upper_limit)
        decimals = self.decimals if self.decimals is not None else 3
        def shown(value, digits):
            # As many decimals as the field shows.
            return round(value, digits) if value is not None else None
        figures.update({
                'capability_mean': shown(capability.mean, 4),
                'sigma_within': shown(capability.sigma_within, 5),
                'sigma_within_method': capability.sigma_within_method,
                'sigma_overall': shown(capability.sigma_overall, 5),
                'cp': shown(capability.cp, 2),
                'cpk': shown(capability.cpk, 2),
                'pp': shown(capability.pp, 2),
                'ppk': shown(capability.ppk, 2),
                'histogram': svg_chart.histogram(
                    counts.tolist(), edges.tolist(), self.lower_limit,
                    self.upper_limit, capability.mean, title=self.rec_name,
                    decimals=decimals).encode('utf-8'),
                })
        return figures

    def get_chart(self, name):
        return self.render_chart().encode('utf-8')

    def render_chart(self, points=CHART_POINTS, highlight=None):
        """The SVG of the chart's last points against the current limits;
        the points holding a violation's measurement are marked, or those
        holding one of the `highlight` measurement ids."""
        pool = Pool()
        Violation = pool.get('mes.quality.violation')
        values, point_ids, _ = self.plot_points(points)
        if highlight is None:
            highlight = {v.measurement.id for v in Violation.search([
                        ('characteristic', '=', self.id)])}
        marked = [i for i, ids in enumerate(point_ids)
            if highlight & set(ids)]
        limit = self.current_limit()
        individual = self.chart_type == 'i_mr' or self.subgroup_size == 1
        return svg_chart.control_chart(
            values,
            centre=limit.centre if limit else None,
            lower=limit.lower if limit else None,
            upper=limit.upper if limit else None,
            lower_spec=self.lower_limit if individual else None,
            upper_spec=self.upper_limit if individual else None,
            violations=marked,
            title=self.rec_name,
            decimals=self.decimals if self.decimals is not None else 3)

    @classmethod
    def _notify_quality(cls, alert):
        "Tell the MES Quality users of the alert, in their client."
        pool = Pool()
        Notification = pool.get('res.notification')
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        group = ModelData.get_id('mes_quality', 'group_mes_quality')
        users = User.search([
                ('groups', '=', group),
                ('companies', '=', alert.company.id),
                ])
        Notification.save([Notification(
                    user=user,
                    label=gettext('mes_quality.msg_violation_notification'),
                    description=alert.title,
                    icon='tryton-warning',
                    model='quality.alert',
                    records=json.dumps([alert.id]),
                    ) for user in users])

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


class Limit(ModelSQL, ModelView):
    "Control limits of a characteristic, frozen from a baseline."
    __name__ = 'mes.quality.limit'
    __string__ = "Specification Limit"
    characteristic = fields.Many2One(
        'mes.quality.characteristic', "Characteristic", required=True,
        ondelete='CASCADE', readonly=True)
    centre = fields.Float("Centre Line", readonly=True)
    lower = fields.Float("Lower Control Limit", readonly=True)
    upper = fields.Float("Upper Control Limit", readonly=True)
    point_sigma = fields.Float("σ of a Point", readonly=True)
    dispersion_centre = fields.Float("Dispersion Centre", readonly=True)
    dispersion_lower = fields.Float("Dispersion Lower Limit", readonly=True)
    dispersion_upper = fields.Float("Dispersion Upper Limit", readonly=True)
    sigma = fields.Float("σ Within", readonly=True)
    sigma_method = fields.Char("σ Estimate", readonly=True)
    baseline_points = fields.Integer("Baseline Points", readonly=True)
    reason = fields.Char("Reason", required=True, readonly=True)
    state = fields.Selection([
            ('current', "Current"),
            ('superseded', "Superseded"),
            ], "State", required=True, readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('create_date', 'DESC'), ('id', 'DESC')]

    def standardize(self, values):
        values = np.asarray(values, dtype=float)
        if not self.point_sigma:
            return np.where(values == self.centre, 0.0,
                np.sign(values - self.centre) * math.inf)
        return (values - self.centre) / self.point_sigma

