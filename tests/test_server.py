"""The five MES modules run in a real trytond reached over XML-RPC."""
import xmlrpc.client

from .server import ADMIN_PASSWORD, MES_MODULES


def rpc(server):
    return xmlrpc.client.ServerProxy(
        f'http://admin:{ADMIN_PASSWORD}@127.0.0.1:{server.port}'
        f'/{server.database}/rpc/', allow_none=True)


def test_mes_modules_activated_over_xmlrpc(server):
    proxy = rpc(server)
    ids = proxy.model.ir.module.search(
        [('name', 'in', MES_MODULES)], 0, None, None, {})
    modules = proxy.model.ir.module.read(ids, ['name', 'state'], {})
    assert {m['name']: m['state'] for m in modules} == {
        name: 'activated' for name in MES_MODULES}


def test_demo_plant_loaded(server):
    proxy = rpc(server)
    context = proxy.model.res.user.get_preferences(True, {})
    centers = proxy.model.production.work.center.search_read(
        [('parent', '!=', None)], 0, None, [('name', 'ASC')], ['name'],
        context)
    assert [c['name'] for c in centers] == ['Assembly Bench 1', 'Lathe 1']
    productions = proxy.model.production.search_read(
        [], 0, None, [('quantity', 'ASC')], ['quantity', 'state'], context)
    # Components are reserved: the productions are ready to run.
    assert [(p['quantity'], p['state']) for p in productions] == [
        (10, 'assigned'), (25, 'assigned'), (40, 'assigned')]


def test_wrong_password_refused(server):
    proxy = xmlrpc.client.ServerProxy(
        f'http://admin:wrong@127.0.0.1:{server.port}/{server.database}/rpc/',
        allow_none=True)
    try:
        proxy.model.ir.module.search([], 0, None, None, {})
    except xmlrpc.client.ProtocolError as error:
        assert error.errcode in (401, 403)
    else:
        raise AssertionError("a wrong password was accepted")
