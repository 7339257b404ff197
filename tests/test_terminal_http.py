"""Every terminal endpoint over HTTP against a running trytond, with the
bad input a shop floor produces."""
import json
import threading
import urllib.error
import urllib.request
import uuid

import pytest

from .terminal_client import TerminalClient, admin_rpc, new_production


@pytest.fixture(scope='module')
def client(server):
    return TerminalClient(server)


@pytest.fixture(scope='module')
def olga(client):
    status, body = client.sign_in('B-1001', '1234')
    assert status == 200, body
    return body['employee']['id']


@pytest.fixture(scope='module')
def piotr(client):
    status, body = client.sign_in('B-1002', '5678')
    assert status == 200, body
    return body['employee']['id']


def test_page_and_static_files(server):
    base = f'{server.url}/{server.database}/mes/terminal'
    with urllib.request.urlopen(f'{base}/PUMP1') as response:
        assert response.status == 200
        assert b'Sign in' in response.read()
    with urllib.request.urlopen(f'{base}/static/terminal.js') as response:
        assert response.headers['Content-Type'].startswith('text/javascript')
    # No way out of the static folder, nor to other file types.
    for name in ['..%2Froutes.py', 'terminal.html%00.js', 'missing.js']:
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(f'{base}/static/{name}')
        assert error.value.code in (404, 405)


def test_unknown_key_and_terminal_refused(server):
    assert TerminalClient(server, key='not-the-key').call('state')[0] == 401
    assert TerminalClient(server, code='NOPE', key='x').call('state')[0] == 401
    assert TerminalClient(server, key='').call('state')[0] == 401


def test_malformed_request(client):
    status, body = client.call('state', raw=b'{not json')
    assert status == 400 and 'JSON' in body['error']
    status, body = client.call('action', raw=b'[1, 2]')
    assert status == 400
    status, body = client.call('action', {'kind': 'start'})
    assert status == 400 and 'action_id' in body['error']
    assert client.call('teleport')[0] == 404


def test_state_lists_dispatch_with_readiness(server, client):
    works = new_production(server, 7)
    listed = {w['id']: w for w in client.works()}
    turning = listed[works['Turn shaft']]
    assembly = listed[works['Assemble pump']]
    assert turning['ready'] and turning['quantity'] == 7
    assert not assembly['ready']
    assert assembly['blocking_reasons'] == [
        'waiting for "Turn shaft" to hand off parts']


def test_sign_in_wrong_pin_and_unknown_badge(client):
    status, body = client.sign_in('B-1001', '0000')
    assert status == 403
    assert body['error'].startswith('To sign in')
    assert client.sign_in('B-9999', '1234')[0] == 403
    assert client.sign_in('', '')[0] == 403


def work_of(client, work_id):
    work, = [w for w in client.works() if w['id'] == work_id]
    return work


def test_work_cycle_over_http(server, client, olga, piotr):
    work = work_of(client, new_production(server, 40)['Turn shaft'])
    status, body = client.act('start', olga, work['id'])
    assert status == 200 and body['accepted'], body
    status, body = client.act('join', piotr, work['id'])
    assert status == 200, body
    status, body = client.act('report', olga, work['id'], good=3,
        scraps=[{'reason': 'CHT', 'quantity': 1}])
    assert body['result'] == {'good': 3.0, 'scrap': 1.0, 'remaining': 36.0}
    status, body = client.act('pause', piotr, work['id'], reason='TOOL')
    assert status == 200, body
    status, body = client.act('resume', piotr, work['id'])
    assert status == 200, body
    status, body = client.act('scan', olga, work['id'], code='H-0001')
    assert body['result']['lot'] == 'H-0001'
    status, body = client.act(
        'problem', olga, work['id'], description="Coolant leak")
    assert status == 200 and body['result']['problem']
    status, body = client.call('instructions', {'work': work['id']})
    assert body['instruction']['title'] == "Turn the drive shaft"
    status, body = client.act('finish', olga, work['id'])
    assert body['result']['state'] == 'finished'


def test_instruction_documents(server, client):
    works = new_production(server, 2)
    status, body = client.call('instructions', {'work': works['Turn shaft']})
    drawing, = body['instruction']['attachments']
    assert drawing['name'] == 'shaft-drawing.svg'

    request = urllib.request.Request(
        f'{client.base}/api/attachment', method='POST',
        data=json.dumps({'work': works['Turn shaft'],
                'attachment': drawing['id']}).encode(),
        headers={'Authorization': f'Bearer {client.key}'})
    with urllib.request.urlopen(request) as response:
        assert response.headers['Content-Type'] == 'image/svg+xml'
        assert response.headers['Content-Security-Policy'] == 'sandbox'
        assert b'drawing 4711 rev. B' in response.read()

    # Only a document of the instruction shown for the work is served.
    assert client.call('attachment', {'work': works['Assemble pump'],
            'attachment': drawing['id']})[0] == 404
    assert client.call('attachment', {'work': works['Turn shaft'],
            'attachment': drawing['id'] + 1000})[0] == 404
    assert client.call('attachment', {'work': 'x', 'attachment': 1})[0] == 404
    assert TerminalClient(server, key='not-the-key').call('attachment', {
            'work': works['Turn shaft'],
            'attachment': drawing['id']})[0] == 401


def test_refusals_are_recorded_and_change_nothing(server, client, olga):
    work = work_of(client, new_production(server, 25)['Turn shaft'])
    negative = str(uuid.uuid4())
    status, body = client.act('start', olga, work['id'])
    assert status == 200
    status, body = client.act(
        'report', olga, work['id'], action_id=negative, good=-5)
    assert status == 422
    assert body['error'] == 'Quantities cannot be negative.'
    status, body = client.act('report', olga, 999999, good=1)
    assert status == 422 and 'not open' in body['error']
    status, body = client.act('report', 12345678, work['id'], good=1)
    assert status == 422 and 'sign in first' in body['error']
    status, body = client.act('report', olga, work['id'], good='ten')
    assert status == 422 and 'not a quantity' in body['error']
    # The refusal is stored: replaying the id says why again.
    status, body = client.act(
        'report', olga, work['id'], action_id=negative, good=-5)
    assert status == 422 and body['replayed']
    proxy = admin_rpc(server)
    context = proxy.model.res.user.get_preferences(True, {})
    actions = proxy.model.mes.terminal.action.search_read(
        [('action_id', '=', negative)], 0, None, None,
        ['state', 'message'], context)
    assert [(a['state'], a['message']) for a in actions] == [
        ('refused', 'Quantities cannot be negative.')]
    assert work_of(client, work['id'])['good'] == 0


def test_replayed_action_applied_once(server, client, olga):
    work = work_of(client, new_production(server, 25)['Turn shaft'])
    assert client.act('start', olga, work['id'])[0] == 200
    action_id = str(uuid.uuid4())
    first = client.act('report', olga, work['id'], action_id=action_id,
        good=2)
    again = client.act('report', olga, work['id'], action_id=action_id,
        good=2)
    assert first[0] == again[0] == 200
    assert not first[1]['replayed'] and again[1]['replayed']
    assert work_of(client, work['id'])['good'] == 2


def test_concurrent_start_one_wins(server, client, olga, piotr):
    work = work_of(client, new_production(server, 10)['Turn shaft'])
    results = []
    barrier = threading.Barrier(2)

    def start(employee):
        barrier.wait()
        results.append(client.act('start', employee, work['id']))

    threads = [threading.Thread(target=start, args=(e,))
        for e in (olga, piotr)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    statuses = sorted(status for status, _ in results)
    assert statuses == [200, 422], results
    refusal = next(body for status, body in results if status == 422)
    assert 'Join it instead' in refusal['error']


def test_double_tap_same_id_concurrently(server, client, olga):
    work = work_of(client, new_production(server, 25)['Turn shaft'])
    assert client.act('start', olga, work['id'])[0] == 200
    action_id = str(uuid.uuid4())
    barrier = threading.Barrier(2)
    results = []

    def tap():
        barrier.wait()
        results.append(client.act(
            'report', olga, work['id'], action_id=action_id, good=1))

    threads = [threading.Thread(target=tap) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [status for status, _ in results] == [200, 200], results
    assert work_of(client, work['id'])['good'] == 1


def at_once(*calls):
    "Run the calls in threads released together; return their results."
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=(i, call))
        for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_concurrent_actions_across_worker_processes(
        server, client, olga, piotr):
    """In production several processes serve the terminals (see README):
    whichever takes each request, one of two simultaneous starts wins and
    a double tap is applied once."""
    with server.sibling(workers=2) as production_server:
        terminal = TerminalClient(production_server, key=client.key)
        for _ in range(3):
            work = work_of(client, new_production(server, 12)['Turn shaft'])
            results = at_once(
                lambda: terminal.act('start', olga, work['id']),
                lambda: terminal.act('start', piotr, work['id']))
            assert sorted(s for s, _ in results) == [200, 422], results
            winner = olga if results[0][0] == 200 else piotr
            action_id = str(uuid.uuid4())
            results = at_once(*[lambda: terminal.act(
                        'report', winner, work['id'], action_id=action_id,
                        good=2)] * 2)
            assert [s for s, _ in results] == [200, 200], results
            assert sorted(b['replayed'] for _, b in results) == [
                False, True]
            work = work_of(client, work['id'])
            assert (work['good'], work['remaining']) == (2, 10)
            assert work['state'] == 'running'


def test_sign_out(client, piotr):
    status, body = client.call('sign_out', {'employee': piotr})
    assert status == 200
    status, state = client.call('state')
    assert piotr not in [o['id'] for o in state['operators']]
