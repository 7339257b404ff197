# This file is part of Tryton MES.  See README.md for license terms.
"""Web routes of the operator terminal.

GET  /<database>/mes/terminal/<code>             the terminal page
GET  /<database>/mes/terminal/static/<file>      its script and style
POST /<database>/mes/terminal/<code>/api/<call>  JSON calls, with the
     header "Authorization: Bearer <terminal key>"

Every JSON answer is an object; a refusal has "error" with the reason.
See doc/terminal.rst for each call.
"""
import datetime as dt
import json
import logging
import mimetypes
import time
import urllib.parse
from http import HTTPStatus
from pathlib import Path

from trytond import backend
from trytond.exceptions import UserError, UserWarning
from trytond.pool import Pool
from trytond.protocols.wrappers import Response, with_pool
from trytond.transaction import Transaction, TransactionError, check_access
from trytond.wsgi import app

logger = logging.getLogger(__name__)
STATIC = Path(__file__).parent / 'static'
STATIC_TYPES = {
    '.js': 'text/javascript; charset=utf-8',
    '.css': 'text/css; charset=utf-8',
    '.svg': 'image/svg+xml',
    }
RETRIES = 10


def _json_default(value):
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value)


def json_response(data, status=HTTPStatus.OK):
    return Response(
        json.dumps(data, default=_json_default), status=status,
        content_type='application/json')


def error_response(message, status):
    return json_response({'error': message}, status=status)


@app.route('/<database_name>/mes/terminal/static/<name>', methods=['GET'])
def terminal_static(request, database_name, name):
    path = STATIC / name
    if (path.suffix not in STATIC_TYPES or path.parent != STATIC
            or not path.is_file()):
        return Response('Not Found', status=HTTPStatus.NOT_FOUND)
    return Response(path.read_bytes(), content_type=STATIC_TYPES[path.suffix],
        headers={'Cache-Control': 'no-cache'})


@app.route('/<database_name>/mes/terminal/<code>', methods=['GET'])
def terminal_page(request, database_name, code):
    html = (STATIC / 'terminal.html').read_text()
    return Response(html, content_type='text/html; charset=utf-8')


def _bearer(request):
    header = request.headers.get('Authorization', '')
    scheme, _, token = header.partition(' ')
    if scheme.lower() == 'bearer':
        return token.strip()


def _terminal_context(pool, code, key):
    """Authenticate the terminal: its id, user and company, or None."""
    with Transaction().start(pool.database_name, 0, readonly=True):
        Terminal = pool.get('mes.terminal')
        terminal = Terminal.authenticate(code, key)
        if terminal:
            return terminal.id, terminal.user.id, terminal.company.id


def _in_transaction(pool, user, company, func, readonly=False, lock=None):
    """Run func() in a transaction as the terminal's user with its access
    rights. Like trytond's own routes, restart it when it asks for row locks
    (they are taken at its start) or the database reports a conflict.

    lock: {table: [ids]} to lock from the start, saving that restart."""
    extras = {'_lock_records': dict(lock)} if lock else {}
    for attempt in range(RETRIES):
        try:
            with Transaction().start(
                    pool.database_name, user, readonly=readonly,
                    context={'company': company, 'companies': [company]},
                    **extras) as transaction:
                try:
                    with check_access():
                        result = func()
                except TransactionError as error:
                    transaction.rollback()
                    error.fix(extras)
                    continue
                transaction.commit()
                return result
        except backend.DatabaseOperationalError:
            # A row lock held by a concurrent action on the same work (at
            # the transaction's start or later), or a serialization
            # failure: wait for it to finish, then run again.
            if attempt == RETRIES - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise RuntimeError("the transaction could not be completed")


@app.route('/<database_name>/mes/terminal/<code>/api/<call>',
    methods=['POST'])
@with_pool
def terminal_api(request, pool, code, call):
    try:
        pool.get('mes.terminal')
    except KeyError:
        return error_response(
            "MES is not activated on this database.", HTTPStatus.NOT_FOUND)
    try:
        data = json.loads(request.get_data() or b'{}')
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return error_response(
            "The request must be a JSON object.", HTTPStatus.BAD_REQUEST)
    context = _terminal_context(pool, code, _bearer(request))
    if context is None:
        return error_response(
            "Unknown terminal or key.", HTTPStatus.UNAUTHORIZED)
    handler = CALLS.get(call)
    if handler is None:
        return error_response(
            f"Unknown call {call!r}.", HTTPStatus.NOT_FOUND)
    try:
        return handler(pool, context, data)
    except (UserError, UserWarning) as error:
        # with_pool would turn it into a misleading HTML 400.
        return error_response(
            error.message, HTTPStatus.UNPROCESSABLE_ENTITY)
    except Exception:
        logger.exception("terminal %s: %s failed", code, call)
        return error_response(
            "The server failed to process the request; it was not applied.",
            HTTPStatus.INTERNAL_SERVER_ERROR)


def _call_state(pool, context, data):
    terminal_id, user, company = context

    def state():
        Terminal = Pool().get('mes.terminal')
        Work = Pool().get('production.work')
        ScrapReason = Pool().get('mes.scrap.reason')
        PauseReason = Pool().get('mes.pause.reason')
        Problem = Pool().get('mes.problem')
        terminal = Terminal(terminal_id)
        return {
            'terminal': {'name': terminal.name, 'code': terminal.code,
                'idle_timeout': terminal.idle_timeout},
            'operators': [{
                    'id': s.employee.id, 'name': s.employee.rec_name,
                    'since': s.signed_in_at,
                    } for s in terminal.signed_in()],
            'work_centers': [{
                    'id': wc.id, 'name': wc.rec_name,
                    'works': Work.dispatch_list(wc.id, limit=data.get(
                            'limit') or 50),
                    } for wc in terminal.work_centers],
            'scrap_reasons': [{'code': r.code, 'name': r.name}
                for r in ScrapReason.search([])],
            'pause_reasons': [{'code': r.code, 'name': r.name}
                for r in PauseReason.search([])],
            'problem_kinds': [{'code': k, 'name': n}
                for k, n in Problem.get_kinds()],
            'server_time': dt.datetime.now(),
            **terminal.state_extra(),
            }
    # Reading the state closes idle sessions: it writes.
    return json_response(_in_transaction(pool, user, company, state))


def _call_sign_in(pool, context, data):
    terminal_id, user, company = context

    def sign_in():
        Terminal = Pool().get('mes.terminal')
        session = Terminal(terminal_id).sign_in(
            str(data.get('badge') or ''), str(data.get('pin') or ''))
        return {'employee': {
                'id': session.employee.id,
                'name': session.employee.rec_name}}
    try:
        return json_response(_in_transaction(pool, user, company, sign_in))
    except (UserError, UserWarning) as error:
        return error_response(error.message, HTTPStatus.FORBIDDEN)


def _call_sign_out(pool, context, data):
    terminal_id, user, company = context

    def sign_out():
        Terminal = Pool().get('mes.terminal')
        Terminal(terminal_id).sign_out(data.get('employee'))
        return {'signed_out': data.get('employee')}
    return json_response(_in_transaction(pool, user, company, sign_out))


def _call_action(pool, context, data):
    terminal_id, user, company = context
    action_id = data.get('action_id')
    if not isinstance(action_id, str) or not action_id.strip():
        return error_response(
            "Each action needs an action_id.", HTTPStatus.BAD_REQUEST)

    def replayed():
        Terminal = Pool().get('mes.terminal')
        action = Terminal(terminal_id).replayed(action_id)
        return action.outcome(replayed=True) if action else None

    def execute():
        Terminal = Pool().get('mes.terminal')
        if (outcome := replayed()) is not None:
            return outcome
        result = Terminal(terminal_id).execute(data)
        return {'action_id': action_id, 'accepted': True,
            'replayed': False, 'result': result}

    def refuse(message):
        Terminal = Pool().get('mes.terminal')
        if (outcome := replayed()) is not None:
            return outcome
        Terminal(terminal_id).refuse(data, message)
        return {'action_id': action_id, 'accepted': False,
            'replayed': False, 'error': message}

    work_id = data.get('work')
    lock = ({'production_work': [work_id]}
        if isinstance(work_id, int) and not isinstance(work_id, bool)
        else None)
    try:
        try:
            outcome = _in_transaction(
                pool, user, company, execute, lock=lock)
        except (UserError, UserWarning) as error:
            message = error.message
            outcome = _in_transaction(
                pool, user, company, lambda: refuse(message))
    except backend.DatabaseIntegrityError:
        # The same action id committed by a concurrent request first.
        outcome = _in_transaction(pool, user, company, replayed,
            readonly=True)
    except (UserError, UserWarning) as error:
        return error_response(error.message, HTTPStatus.UNPROCESSABLE_ENTITY)
    status = (HTTPStatus.OK if outcome.get('accepted')
        else HTTPStatus.UNPROCESSABLE_ENTITY)
    return json_response(outcome, status=status)


def _current_instruction(terminal_id, work_id):
    """The work (of one of the terminal's work centers) and the approved
    instruction shown for it, or None when the work is not the terminal's.
    """
    pool = Pool()
    Work = pool.get('production.work')
    Instruction = pool.get('mes.work.instruction')
    Terminal = pool.get('mes.terminal')
    terminal = Terminal(terminal_id)
    works = Work.search([
            ('id', '=', work_id if isinstance(work_id, int)
                and not isinstance(work_id, bool) else -1),
            ('work_center', 'in', terminal.work_centers_query()),
            ])
    if not works:
        return None
    work, = works
    return work, Instruction.current(work.operation, work.production.product)


def _call_instructions(pool, context, data):
    terminal_id, user, company = context

    def instructions():
        found = _current_instruction(terminal_id, data.get('work'))
        if found is None:
            return None
        work, instruction = found
        if not instruction:
            return {'work': work.id, 'instruction': None}
        return {'work': work.id, 'instruction': {
                'title': instruction.title,
                'version': instruction.version,
                'content': instruction.content or '',
                'approved_at': instruction.approved_at,
                'attachments': [{
                        'id': a.id, 'name': a.name, 'type': a.type,
                        'link': a.link if a.type == 'link' else None,
                        } for a in instruction.attachments()],
                }}
    result = _in_transaction(pool, user, company, instructions,
        readonly=True)
    if result is None:
        return error_response("Unknown work.", HTTPStatus.NOT_FOUND)
    return json_response(result)


def _call_attachment(pool, context, data):
    """A document attached to the approved instruction of a work, as a
    file: only what the terminal would show can be fetched."""
    terminal_id, user, company = context

    def attachment():
        found = _current_instruction(terminal_id, data.get('work'))
        if found is None or found[1] is None:
            return None
        _, instruction = found
        for attachment in instruction.attachments():
            if (attachment.id == data.get('attachment')
                    and attachment.type == 'data'):
                return attachment.name, bytes(attachment.data or b'')
    result = _in_transaction(pool, user, company, attachment, readonly=True)
    if result is None:
        return error_response("Unknown document.", HTTPStatus.NOT_FOUND)
    name, content = result
    content_type = mimetypes.guess_type(name)[0] or 'application/octet-stream'
    quoted = urllib.parse.quote(name)
    return Response(content, content_type=content_type, headers={
            'Content-Disposition': f"inline; filename*=UTF-8''{quoted}",
            'X-Content-Type-Options': 'nosniff',
            # A document (an SVG drawing, say) runs no script in the
            # terminal's origin.
            'Content-Security-Policy': 'sandbox',
            'Cache-Control': 'no-store',
            })


CALLS = {
    'state': _call_state,
    'sign_in': _call_sign_in,
    'sign_out': _call_sign_out,
    'action': _call_action,
    'instructions': _call_instructions,
    'attachment': _call_attachment,
    }
