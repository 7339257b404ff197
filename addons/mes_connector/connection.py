# This file is part of Tryton MES.  See README.md for license terms.
import datetime as dt
from collections import defaultdict

from sql import Column, Literal
from sql.conditionals import Coalesce

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, fields)
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.rpc import RPC
from trytond.tools import grouped_slice, reduce_ids
from trytond.transaction import Transaction

from . import codec
from .exceptions import TagValidationError

MODBUS_TABLES = {'coil', 'discrete_input', 'holding_register',
    'input_register'}
# Coils and discrete inputs hold one bit: any wider type is a mistake.
BIT_TABLES = {'coil', 'discrete_input'}

# What a worker reads of connections and tags (see _worker_configuration):
# a change of any of them is a new configuration revision.
WORKER_CONNECTION_FIELDS = (
    'name', 'protocol', 'host', 'port', 'unit_id', 'endpoint', 'timeout',
    'poll_interval', 'byte_order', 'word_order', 'security_mode',
    'certificate', 'private_key', 'server_certificate', 'username',
    'password')
WORKER_TAG_FIELDS = (
    'name', 'table', 'address', 'node_id', 'data_type', 'length', 'role',
    'scale_factor', 'scale_offset', 'deadband')


class Connection(DeactivableMixin, ModelSQL, ModelView):
    __name__ = 'mes.connector.connection'
    __string__ = "Machine Connection"
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
    byte_order = fields.Selection([
            ('big', "Big Endian"),
            ('little', "Little Endian"),
            ], "Byte Order", required=True,
        states={'invisible': Eval('protocol') != 'modbus_tcp'})
    word_order = fields.Selection([
            ('big', "Big Endian (high word first)"),
            ('little', "Little Endian (low word first)"),
            ], "Word Order", required=True,
        states={'invisible': Eval('protocol') != 'modbus_tcp'})
    security_mode = fields.Selection([
            ('none', "None"),
            ('sign', "Basic256Sha256 - Sign"),
            ('sign_encrypt', "Basic256Sha256 - Sign and Encrypt"),
            ], "Security", required=True,
        states={'invisible': Eval('protocol') != 'opcua'})
    certificate = fields.Char(
        "Client Certificate", states={
            'invisible': Eval('security_mode', 'none') == 'none',
            'required': Eval('security_mode', 'none') != 'none',
            }, help="Path of the worker's certificate file (DER or PEM).")
    private_key = fields.Char(
        "Client Private Key", states={
            'invisible': Eval('security_mode', 'none') == 'none',
            'required': Eval('security_mode', 'none') != 'none',
            })
    server_certificate = fields.Char(
        "Server Certificate", states={
            'invisible': Eval('security_mode', 'none') == 'none',
            }, help="Path of the server's certificate the worker trusts.")
    username = fields.Char(
        "User Name", states={'invisible': Eval('protocol') != 'opcua'})
    password = fields.Char(
        "Password", strip=False,
        states={'invisible': Eval('protocol') != 'opcua'})
    tags = fields.One2Many('mes.connector.tag', 'connection', "Tags")
    status = fields.Selection([
            (None, "Not Started"),
            ('online', "Online"),
            ('offline', "Offline"),
            ], "Status", readonly=True)
    last_value_at = fields.DateTime("Last Value At", readonly=True)
    last_error = fields.Text("Last Error", readonly=True)
    events_per_second = fields.Float(
        "Events per Second", digits=(16, 1), readonly=True)
    status_at = fields.DateTime(
        "Status At", readonly=True,
        help="When the worker last reported on this connection.")
    config_revision = fields.Integer(
        "Configuration Revision", readonly=True,
        help="Counts the changes of what the worker reads: it reads the "
        "whole configuration again only when this changed.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__rpc__.update({
                'worker_configuration': RPC(),
                'worker_configuration_revision': RPC(),
                'report_status': RPC(readonly=False),
                })

    @classmethod
    def default_byte_order(cls):
        return 'big'

    @classmethod
    def default_word_order(cls):
        return 'big'

    @classmethod
    def default_security_mode(cls):
        return 'none'

    @classmethod
    def default_config_revision(cls):
        return 0

    @classmethod
    def on_modification(cls, mode, connections, field_names=None):
        super().on_modification(mode, connections, field_names=field_names)
        if mode == 'write' and field_names & {
                *WORKER_CONNECTION_FIELDS, 'active'}:
            cls.new_revision(connections)

    @classmethod
    def new_revision(cls, connections):
        """Count a change of the connections' configuration. Written in
        SQL: a revision is no edit of the record, and the worker's status
        reports, which do edit it, must not look like one."""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        for sub_ids in grouped_slice({int(c) for c in connections}):
            cursor.execute(*table.update(
                    [table.config_revision],
                    [Coalesce(table.config_revision, 0) + 1],
                    where=reduce_ids(table.id, sub_ids)))

    @classmethod
    def _worker_domain(cls, connection_ids=None):
        domain = [('active', '=', True)]
        if connection_ids:
            domain.append(('id', 'in', connection_ids))
        return domain

    @classmethod
    def worker_configuration_revision(cls, connection_ids=None):
        """The [id, revision] pairs of the connections a worker reads:
        while they are the same, so is worker_configuration."""
        return [[r['id'], r['config_revision'] or 0]
            for r in cls.search_read(cls._worker_domain(connection_ids),
                order=[('id', 'ASC')], fields_names=['config_revision'])]

    @classmethod
    def worker_configuration(cls, connection_ids=None):
        """What a worker needs to talk to its devices, as plain data.

        The mapping of values to MES facts stays in the MES: the worker
        only reads, converts and buffers."""
        result = []
        for connection in cls.search(
                cls._worker_domain(connection_ids), order=[('id', 'ASC')]):
            result.append(connection._worker_configuration())
        return result

    def _worker_configuration(self):
        return {
            'id': self.id,
            **{name: getattr(self, name)
                for name in WORKER_CONNECTION_FIELDS},
            'tags': [{
                    'id': t.id,
                    **{name: getattr(t, name) for name in WORKER_TAG_FIELDS},
                    } for t in self.tags if t.active],
            }

    @classmethod
    def report_status(cls, statuses):
        """Record what a worker saw: statuses is a list of
        {'connection', 'status', 'last_value_at', 'last_error',
        'events_per_second', 'tags': {tag id: {'last_value', 'last_error',
        'last_read_at'}}}."""
        pool = Pool()
        Tag = pool.get('mes.connector.tag')
        now = dt.datetime.now()
        tag_rows = defaultdict(list)
        for status in statuses:
            connection = cls(status['connection'])
            values = {'status_at': now}
            for name in ['status', 'last_error', 'events_per_second']:
                if name in status:
                    values[name] = status[name]
            if status.get('last_value_at'):
                values['last_value_at'] = codec.naive_utc(
                    status['last_value_at'])
            cls.write([connection], values)
            for tag_id, tag_status in (status.get('tags') or {}).items():
                tag_values = {}
                if 'last_value' in tag_status:
                    tag_values['last_value'] = str(tag_status['last_value'])
                if 'last_error' in tag_status:
                    tag_values['last_error'] = tag_status['last_error']
                if tag_status.get('last_read_at'):
                    tag_values['last_read_at'] = codec.naive_utc(
                        tag_status['last_read_at'])
                if tag_values:
                    tag_rows[tuple(sorted(tag_values))].append(
                        (int(tag_id), tag_values))
        Tag.record_status(tag_rows)

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
    __string__ = "Tag"
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
    length = fields.Integer(
        "Length", domain=['OR',
            ('length', '=', None),
            [('length', '>', 0), ('length', '<=', 125)],
            ],
        states={
            'invisible': Eval('data_type') != 'string',
            'required': ((Eval('data_type') == 'string')
                & (Eval('_parent_connection', {}).get('protocol')
                    == 'modbus_tcp')),
            }, help="Registers the string takes.")
    scale_factor = fields.Float(
        "Scale Factor", help="The MES value is raw value × factor + offset.")
    scale_offset = fields.Float("Scale Offset")
    deadband = fields.Float(
        "Deadband", domain=['OR',
            ('deadband', '=', None), ('deadband', '>=', 0)],
        help="A process value is kept only when it moved more than this.")
    equipment = fields.Many2One(
        'mes.equipment', "Equipment", ondelete='RESTRICT',
        states={
            'required': Eval('role') != 'process_value',
            }, help="The machine the tag belongs to.")
    counter_kind = fields.Selection([
            (None, ""),
            ('total', "Total Parts"),
            ('good', "Good Parts"),
            ('reject', "Rejected Parts"),
            ], "Counter Kind", states={
            'invisible': Eval('role') != 'counter',
            'required': Eval('role') == 'counter',
            })
    characteristic = fields.Many2One(
        'mes.quality.characteristic', "Characteristic", ondelete='RESTRICT',
        states={
            'invisible': Eval('role') != 'process_value',
            'required': Eval('role') == 'process_value',
            })
    sample_interval = fields.Integer(
        "Sample Interval", domain=['OR',
            ('sample_interval', '=', None), ('sample_interval', '>=', 0)],
        states={'invisible': Eval('role') != 'process_value'},
        help="Seconds between two measurements kept from this value; "
        "empty keeps every value outside the deadband.")
    raise_maintenance = fields.Boolean(
        "Raise Maintenance Request",
        states={'invisible': Eval('role') != 'alarm'},
        help="An alarm going on opens a corrective machine-down maintenance "
        "request, one per machine and alarm while it is open.")
    mappings = fields.One2Many(
        'mes.connector.tag.mapping', 'tag', "Value Mapping", states={
            'invisible': ~Eval('role').in_(['state', 'alarm']),
            })
    last_value = fields.Char("Last Value", readonly=True)
    last_read_at = fields.DateTime("Last Read At", readonly=True)
    last_error = fields.Text("Last Error", readonly=True)

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
    def default_raise_maintenance(cls):
        return False

    @classmethod
    def default_data_type(cls):
        return 'uint16'

    @classmethod
    def record_status(cls, rows):
        """Store what a worker read of its tags: rows is {field names:
        [(tag id, {field: value})]}. One statement per set of fields, run
        for all its tags: a worker reports thousands of tags every few
        seconds, and these read-only fields are not an edit of the tag (its
        write date, which clients check before saving, is left alone)."""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        for names, group in rows.items():
            # One statement with placeholders (the backend's own style) for
            # the values, then the id, run with each tag's row.
            query = table.update(
                [Column(table, n) for n in names],
                [Literal(None) for _ in names],
                where=table.id == Literal(0))
            sql = str(query)
            cursor.executemany(sql, [
                    [values[n] for n in names] + [tag_id]
                    for tag_id, values in group])

    @classmethod
    def on_write(cls, tags, values):
        callbacks = super().on_write(tags, values)
        if 'connection' in values:
            # The connections the tags leave change too.
            left = {t.connection for t in tags}
            callbacks.append(
                lambda: Pool().get('mes.connector.connection').new_revision(
                    left))
        return callbacks

    @classmethod
    def on_modification(cls, mode, tags, field_names=None):
        pool = Pool()
        Connection = pool.get('mes.connector.connection')
        super().on_modification(mode, tags, field_names=field_names)
        if mode != 'write' or field_names & {
                *WORKER_TAG_FIELDS, 'active', 'connection'}:
            Connection.new_revision({t.connection for t in tags})

    @classmethod
    def validate_fields(cls, tags, field_names):
        super().validate_fields(tags, field_names)
        for tag in tags:
            tag.check_address()

    def check_address(self):
        if self.connection.protocol == 'modbus_tcp':
            if self.data_type == 'string' and not self.length:
                raise TagValidationError(
                    gettext('mes_connector.msg_tag_string_length',
                        tag=self.name))
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


class TagMapping(ModelSQL, ModelView):
    "What a value of a state or alarm tag means to the MES."
    __name__ = 'mes.connector.tag.mapping'
    __string__ = "Tag Mapping"
    tag = fields.Many2One(
        'mes.connector.tag', "Tag", required=True, ondelete='CASCADE')
    value = fields.Integer("Value", required=True)
    state = fields.Selection([
            (None, ""),
            ('running', "Running"),
            ('idle', "Idle"),
            ('down', "Down"),
            ('setup', "Setup / Changeover"),
            ('planned_stop', "Planned Stop"),
            ('blocked', "Blocked"),
            ('starved', "Starved"),
            ('offline', "Offline"),
            ], "State", help="Empty for an alarm: it means down.")
    reason = fields.Many2One(
        'mes.downtime.reason', "Reason", ondelete='RESTRICT',
        domain=[('children', '=', None), ('loss_class', '!=', None)])

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('value_unique', Unique(t, t.tag, t.value),
                'mes_connector.msg_mapping_value_unique'),
            ]
        cls._order = [('tag', 'ASC'), ('value', 'ASC'), ('id', 'ASC')]
