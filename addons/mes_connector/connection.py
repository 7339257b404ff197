# This file is part of Tryton MES.  See README.md for license terms.
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, fields)
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .exceptions import TagValidationError

MODBUS_TABLES = {'coil', 'discrete_input', 'holding_register',
    'input_register'}
# Coils and discrete inputs hold one bit: any wider type is a mistake.
BIT_TABLES = {'coil', 'discrete_input'}


class Connection(DeactivableMixin, ModelSQL, ModelView):
    __name__ = 'mes.connector.connection'
    name = fields.Char("Name", required=True)
    company = fields.Many2One('company.company', "Company", required=True)
    protocol = fields.Selection([
            ('modbus_tcp', "Modbus TCP"),
            ('opcua', "OPC UA"),
            ], "Protocol", required=True, sort=False)
    host = fields.Char(
        "Host", states={
            'required': Eval('protocol') == 'modbus_tcp',
            'invisible': Eval('protocol') != 'modbus_tcp',
            })
    port = fields.Integer(
        "Port", domain=['OR',
            ('port', '=', None),
            [('port', '>', 0), ('port', '<', 65536)],
            ],
        states={'invisible': Eval('protocol') != 'modbus_tcp'})
    unit_id = fields.Integer(
        "Unit ID", domain=['OR',
            ('unit_id', '=', None),
            [('unit_id', '>=', 0), ('unit_id', '<=', 255)],
            ],
        states={'invisible': Eval('protocol') != 'modbus_tcp'})
    endpoint = fields.Char(
        "Endpoint URL", states={
            'required': Eval('protocol') == 'opcua',
            'invisible': Eval('protocol') != 'opcua',
            })
    timeout = fields.Float(
        "Timeout", required=True, domain=[('timeout', '>', 0)],
        help="Seconds to wait for one reply before the device is offline.")
    poll_interval = fields.Float(
        "Poll Interval", required=True, domain=[('poll_interval', '>', 0)],
        help="Seconds between two polls (or the OPC UA publishing interval).")
    tags = fields.One2Many('mes.connector.tag', 'connection', "Tags")

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_protocol(cls):
        return 'modbus_tcp'

    @classmethod
    def default_port(cls):
        return 502

    @classmethod
    def default_unit_id(cls):
        return 1

    @classmethod
    def default_timeout(cls):
        # pymodbus' default (3 s × 4 tries) blocks 12 s on a silent PLC.
        return 1.0

    @classmethod
    def default_poll_interval(cls):
        return 1.0


class Tag(DeactivableMixin, ModelSQL, ModelView):
    __name__ = 'mes.connector.tag'
    connection = fields.Many2One(
        'mes.connector.connection', "Connection", required=True,
        ondelete='CASCADE')
    name = fields.Char("Name", required=True)
    table = fields.Selection([
            (None, ""),
            ('coil', "Coil"),
            ('discrete_input', "Discrete Input"),
            ('holding_register', "Holding Register"),
            ('input_register', "Input Register"),
            ], "Table", sort=False)
    address = fields.Integer(
        "Address", domain=['OR',
            ('address', '=', None),
            [('address', '>=', 0), ('address', '<=', 65535)],
            ])
    node_id = fields.Char("Node ID", help="OPC UA node, e.g. ns=2;s=Press1.")
    data_type = fields.Selection([
            ('bool', "Boolean"),
            ('int16', "Int16"),
            ('uint16', "UInt16"),
            ('int32', "Int32"),
            ('uint32', "UInt32"),
            ('float32', "Float32"),
            ('float64', "Float64"),
            ('string', "String"),
            ], "Data Type", required=True, sort=False)
    role = fields.Selection([
            ('state', "Machine State"),
            ('counter', "Part Counter"),
            ('process_value', "Process Value"),
            ('alarm', "Alarm"),
            ('machine_counter', "Machine Counter"),
            ], "Role", required=True, sort=False)
    writable = fields.Boolean(
        "Writable",
        help="Connections are read-only: only a tag marked writable may "
        "ever be written to the device.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('name_unique', Unique(t, t.connection, t.name),
                'mes_connector.msg_tag_name_unique'),
            ]

    @classmethod
    def default_writable(cls):
        return False

    @classmethod
    def default_data_type(cls):
        return 'uint16'

    @classmethod
    def validate_fields(cls, tags, field_names):
        super().validate_fields(tags, field_names)
        for tag in tags:
            tag.check_address()

    def check_address(self):
        if self.connection.protocol == 'modbus_tcp':
            if self.table not in MODBUS_TABLES or self.address is None:
                raise TagValidationError(
                    gettext('mes_connector.msg_tag_modbus_address',
                        tag=self.name))
            if self.table in BIT_TABLES and self.data_type != 'bool':
                raise TagValidationError(
                    gettext('mes_connector.msg_tag_bit_type',
                        tag=self.name))
        elif not self.node_id:
            raise TagValidationError(
                gettext('mes_connector.msg_tag_opcua_node', tag=self.name))
