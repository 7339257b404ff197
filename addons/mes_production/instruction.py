# This file is part of Tryton MES.  See README.md for license terms.
import datetime as dt

from sql.aggregate import Max

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .exceptions import InstructionError


class WorkInstruction(Workflow, ModelSQL, ModelView):
    "How to perform a routing operation, in versions."
    __name__ = 'mes.work.instruction'
    __string__ = "Work Instruction"
    _rec_name = 'title'
    operation = fields.Many2One(
        'production.routing.operation', "Operation", required=True,
        ondelete='CASCADE',
        states={'readonly': Eval('state') != 'draft'})
    product = fields.Many2One(
        'product.product', "Product", ondelete='CASCADE',
        states={'readonly': Eval('state') != 'draft'},
        help="Leave empty for every product made at the operation.")
    version = fields.Integer("Version", readonly=True)
    title = fields.Char(
        "Title", required=True,
        states={'readonly': Eval('state') != 'draft'})
    content = fields.Text(
        "Content", states={'readonly': Eval('state') != 'draft'})
    state = fields.Selection([
            ('draft', "Draft"),
            ('approved', "Approved"),
            ('obsolete', "Obsolete"),
            ], "State", readonly=True, required=True, sort=False)
    approved_by = fields.Many2One(
        'res.user', "Approved By", readonly=True, ondelete='RESTRICT')
    approved_at = fields.DateTime("Approved At", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t,
                (t.operation, Index.Equality()),
                (t.state, Index.Equality(cardinality='low'))))
        cls._order = [
            ('operation', 'ASC'), ('version', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'approved'),
            ('approved', 'obsolete'),
            }
        cls._buttons.update({
                'approve': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    def get_rec_name(self, name):
        return f'{self.title} (v{self.version})'

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create' and values.get('operation'):
            values['version'] = cls._next_version(
                values['operation'], values.get('product'))
        return values

    @classmethod
    def _next_version(cls, operation_id, product_id):
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        where = table.operation == operation_id
        if product_id:
            where &= table.product == product_id
        else:
            where &= table.product == None  # noqa: E711
        cursor.execute(*table.select(Max(table.version), where=where))
        last, = cursor.fetchone()
        return (last or 0) + 1

    @classmethod
    def check_modification(cls, mode, instructions, values=None,
            external=False):
        super().check_modification(
            mode, instructions, values=values, external=external)
        if mode == 'write' and set(values) - {
                'state', 'approved_by', 'approved_at'}:
            for instruction in instructions:
                if instruction.state != 'draft':
                    raise InstructionError(gettext(
                            'mes_production.msg_instruction_modify',
                            instruction=instruction.rec_name))
        if mode == 'delete':
            for instruction in instructions:
                if instruction.state != 'draft':
                    raise InstructionError(gettext(
                            'mes_production.msg_instruction_delete',
                            instruction=instruction.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('approved')
    def approve(cls, instructions):
        previous = cls.search([
                ('state', '=', 'approved'),
                ['OR'] + [[
                        ('operation', '=', i.operation.id),
                        ('product', '=', i.product.id if i.product else None),
                        ] for i in instructions],
                ('id', 'not in', [i.id for i in instructions]),
                ])
        cls.obsolete(previous)
        cls.write(instructions, {
                'approved_by': Transaction().user,
                'approved_at': dt.datetime.now(),
                })

    @classmethod
    @Workflow.transition('obsolete')
    def obsolete(cls, instructions):
        pass

    @classmethod
    def current(cls, operation, product=None):
        """The approved instructions that apply to the product at the
        operation: the product's own one, else the operation's general one.
        """
        for product_id in ([product.id] if product else []) + [None]:
            instructions = cls.search([
                    ('operation', '=', operation.id),
                    ('product', '=', product_id),
                    ('state', '=', 'approved'),
                    ], limit=1)
            if instructions:
                return instructions[0]

    def attachments(self):
        pool = Pool()
        Attachment = pool.get('ir.attachment')
        return Attachment.search([('resource', '=', str(self))])
