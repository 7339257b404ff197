"""A small HTTP client of the terminal API, as a terminal would call it."""
import json
import urllib.error
import urllib.request
import uuid
import xmlrpc.client

from .server import ADMIN_PASSWORD


class TerminalClient:

    def __init__(self, server, code='PUMP1', key=None):
        self.server = server
        self.code = code
        self.key = key if key is not None else terminal_key(server, code)
        self.base = f'{server.url}/{server.database}/mes/terminal/{code}'

    def call(self, name, data=None, raw=None):
        body = raw if raw is not None else json.dumps(data or {}).encode()
        request = urllib.request.Request(
            f'{self.base}/api/{name}', data=body, method='POST',
            headers={'Content-Type': 'application/json',
                'Authorization': f'Bearer {self.key}'})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b'{}')

    def act(self, kind, employee, work, action_id=None, **values):
        data = dict(action_id=action_id or str(uuid.uuid4()), kind=kind,
            employee=employee, work=work, **values)
        return self.call('action', data)

    def sign_in(self, badge, pin):
        return self.call('sign_in', {'badge': badge, 'pin': pin})

    def works(self, operation=None, quantity=None):
        status, state = self.call('state', {'limit': 100})
        assert status == 200, state
        return [w for center in state['work_centers'] for w in center['works']
            if (operation is None or w['operation'] == operation)
            and (quantity is None or w['quantity'] == quantity)]


def admin_rpc(server):
    return xmlrpc.client.ServerProxy(
        f'http://admin:{ADMIN_PASSWORD}@127.0.0.1:{server.port}'
        f'/{server.database}/rpc/', allow_none=True)


def terminal_key(server, code):
    proxy = admin_rpc(server)
    context = proxy.model.res.user.get_preferences(True, {})
    terminal, = proxy.model.mes.terminal.search_read(
        [('code', '=', code)], 0, None, None, ['key'], context)
    return terminal['key']


def new_production(server, quantity):
    """Create a production of pumps with its components reserved, as a
    planner does in the client (proteus over XML-RPC runs the same
    on_change calls); return {operation name: work id}."""
    from proteus import Model
    from proteus import config as pconfig
    # One login, then the session: Basic auth would check the password
    # (a deliberately slow hash) on every call.
    with pconfig.set_xmlrpc_session(
            f'http://127.0.0.1:{server.port}/{server.database}/rpc/',
            'admin', ADMIN_PASSWORD) as config:
        Production = Model.get('production', config=config)
        Product = Model.get('product.product', config=config)
        WorkCenter = Model.get('production.work.center', config=config)
        BOM = Model.get('production.bom', config=config)
        Routing = Model.get('production.routing', config=config)
        pump, = Product.find([('name', '=', 'Pump P-100')])
        plant, = WorkCenter.find([('name', '=', 'Plant')])
        bom, = BOM.find([('name', '=', 'Pump P-100')])
        routing, = Routing.find([('name', '=', 'Pump P-100')])
        production = Production(
            product=pump, bom=bom, routing=routing, work_center=plant)
        production.quantity = quantity
        production.click('wait')
        production.click('assign_try')
        return {w.operation.name: w.id for w in production.works}
