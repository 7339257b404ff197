// Operator terminal of the Tryton MES.
// Actions are queued in the browser with their tap time and an id, then
// sent in order; the server applies each id once, so a replay after a
// network outage or a double tap never counts twice.
(function () {
  'use strict';

  const parts = window.location.pathname.split('/').filter(Boolean);
  const database = decodeURIComponent(parts[0]);
  const code = decodeURIComponent(parts[3]);
  const api = `/${parts[0]}/mes/terminal/${parts[3]}/api/`;
  const keyName = `mes-terminal-key:${database}:${code}`;
  const queueName = `mes-terminal-queue:${database}:${code}`;
  const currentName = `mes-terminal-operator:${database}:${code}`;

  const hashKey = new URLSearchParams(window.location.hash.slice(1)).get('key');
  if (hashKey) {
    localStorage.setItem(keyName, hashKey);
    history.replaceState(null, '', window.location.pathname);
  }
  const key = localStorage.getItem(keyName);

  const $ = (id) => document.getElementById(id);
  let state = null;
  let currentWork = null;
  let flushing = false;
  let lastTouch = Date.now();

  function newId() {
    if (window.crypto && crypto.randomUUID) {
      return crypto.randomUUID();
    }
    return `${Date.now()}-${Math.random().toString(16).slice(2)}`;
  }

  function queue() {
    return JSON.parse(localStorage.getItem(queueName) || '[]');
  }

  function saveQueue(items) {
    localStorage.setItem(queueName, JSON.stringify(items));
    $('queued').textContent = items.length ? `(${items.length} waiting)` : '';
  }

  function setOnline(online) {
    const badge = $('connection');
    badge.className = online ? 'online' : 'offline';
    badge.textContent = online ? 'Online' :
      'Offline: actions are kept and sent when the server is back';
  }

  async function call(name, data) {
    const response = await fetch(api + name, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'Authorization': `Bearer ${key}`,
      },
      body: JSON.stringify(data || {}),
    });
    let body = {};
    try {
      body = await response.json();
    } catch (error) {
      body = {error: `HTTP ${response.status}`};
    }
    return {status: response.status, body};
  }

  function log(text, cls) {
    const item = document.createElement('li');
    item.className = cls;
    item.textContent = `${new Date().toLocaleTimeString()} ${text}`;
    $('outcomes').prepend(item);
  }

  function describe(action) {
    if (action.kind === 'explain_stop') {
      return `explain stop ${action.interval} as ${action.reason}`;
    }
    const work = findWork(action.work);
    const label = work ? `${work.operation} / ${work.production}` :
      `work ${action.work}`;
    return `${action.kind} ${label}`;
  }

  async function flush() {
    if (flushing) {
      return;
    }
    flushing = true;
    try {
      let items = queue();
      while (items.length) {
        const action = items[0];
        let result;
        try {
          result = await call('action', action);
        } catch (error) {
          setOnline(false);
          setTimeout(flush, 3000);
          return;
        }
        if (result.status >= 500 || result.status === 401) {
          setOnline(result.status !== 401 ? false : true);
          if (result.status === 401) {
            log('This terminal was revoked: ask an administrator.', 'refused');
          } else {
            setTimeout(flush, 3000);
          }
          return;
        }
        setOnline(true);
        items = queue().slice(1);
        saveQueue(items);
        const outcome = result.body;
        const replay = outcome.replayed ? ' (already received)' : '';
        if (outcome.accepted) {
          log(`✓ ${describe(action)} accepted${replay}`, 'accepted');
        } else {
          log(`✗ ${describe(action)} refused: ${outcome.error}${replay}`,
            'refused');
        }
      }
      await refresh();
    } finally {
      flushing = false;
    }
    // An action tapped during the refresh above is still waiting.
    if (queue().length && navigator.onLine !== false) {
      setTimeout(flush, 0);
    }
  }

  function act(kind, extra) {
    const operator = currentOperator();
    if (!operator) {
      log('Sign in first.', 'refused');
      return;
    }
    const action = Object.assign({
      action_id: newId(),
      kind: kind,
      work: currentWork,
      employee: operator,
      client_time: new Date().toISOString(),
    }, extra || {});
    const items = queue();
    items.push(action);
    saveQueue(items);
    log(`… ${describe(action)} sent`, 'queued');
    flush();
  }

  function currentOperator() {
    const id = parseInt(localStorage.getItem(currentName), 10);
    if (state && state.operators.some((o) => o.id === id)) {
      return id;
    }
    return state && state.operators.length ? state.operators[0].id : null;
  }

  function findWork(id) {
    if (!state) {
      return null;
    }
    for (const center of state.work_centers) {
      for (const work of center.works) {
        if (work.id === id) {
          return work;
        }
      }
    }
    return null;
  }

  function option(select, value, text) {
    const element = document.createElement('option');
    element.value = value;
    element.textContent = text;
    select.append(element);
  }

  function render() {
    $('terminal-name').textContent = state.terminal.name;
    $('unit-field').hidden = !state.unit_scan;
    const list = $('operator-list');
    list.replaceChildren();
    const current = currentOperator();
    for (const operator of state.operators) {
      const span = document.createElement('span');
      span.className = 'operator';
      const pick = document.createElement('button');
      pick.type = 'button';
      pick.textContent = operator.name;
      pick.className = operator.id === current ? 'current' : '';
      pick.addEventListener('click', () => {
        localStorage.setItem(currentName, operator.id);
        render();
      });
      const out = document.createElement('button');
      out.type = 'button';
      out.textContent = 'Sign out';
      out.addEventListener('click', async () => {
        await call('sign_out', {employee: operator.id});
        await refresh();
      });
      span.append(pick, out);
      list.append(span);
    }
    if (!state.operators.length) {
      list.textContent = 'Nobody is signed in.';
    }

    const centers = $('work-centers');
    centers.replaceChildren();
    for (const center of state.work_centers) {
      const title = document.createElement('h3');
      title.textContent = center.name;
      centers.append(title);
      for (const work of center.works) {
        const card = document.createElement('button');
        card.type = 'button';
        card.className = 'work-card' + (work.ready ? '' : ' blocked');
        card.dataset.work = work.id;
        card.textContent = `${work.operation} — ${work.production}: ` +
          `${work.good} good of ${work.quantity}, ${work.state}`;
        const reasons = document.createElement('span');
        reasons.className = 'reasons';
        reasons.textContent = work.ready ? 'Ready' :
          `Blocked: ${work.blocking_reasons.join('; ')}`;
        card.append(reasons);
        card.addEventListener('click', () => openWork(work.id));
        centers.append(card);
      }
      if (!center.works.length) {
        centers.append('No open work.');
      }
    }
    for (const [id, reasons] of [['pause-reason', state.pause_reasons],
      ['scrap-reason', state.scrap_reasons],
      ['problem-kind', state.problem_kinds]]) {
      const select = $(id);
      const value = select.value;
      select.replaceChildren();
      for (const reason of reasons) {
        option(select, reason.code, id === 'problem-kind'
          ? reason.name : `${reason.code} ${reason.name}`);
      }
      select.value = value || (reasons[0] && reasons[0].code) || '';
    }
    renderStops();
    if (currentWork) {
      renderWork();
    }
  }

  // A machine stop without a reason, shown until an operator gives one;
  // the reason picked survives the periodic refresh.
  const stopReasons = {};

  function renderStops() {
    const stops = state.unexplained_stops || [];
    $('stops').hidden = !stops.length;
    const list = $('stop-list');
    list.replaceChildren();
    for (const stop of stops) {
      const form = document.createElement('form');
      form.className = 'row stop';
      const label = document.createElement('span');
      const since = String(stop.start).slice(11, 16);
      label.textContent = stop.end
        ? `${stop.machine}: stopped at ${since} for ${stop.minutes} min`
        : `${stop.machine}: stopped since ${since} (${stop.minutes} min)`;
      const select = document.createElement('select');
      select.setAttribute('aria-label', `Reason for ${stop.machine}`);
      for (const reason of state.downtime_reasons || []) {
        option(select, reason.code, reason.name);
      }
      if (stopReasons[stop.id]) {
        select.value = stopReasons[stop.id];
      }
      select.addEventListener('change', () => {
        stopReasons[stop.id] = select.value;
      });
      const button = document.createElement('button');
      button.type = 'submit';
      button.textContent = 'Explain';
      form.append(label, select, button);
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        act('explain_stop', {work: null, interval: stop.id,
          reason: select.value});
      });
      list.append(form);
    }
  }

  // Samples a quality plan asks of the work (added by mes_quality). The
  // forms are rebuilt only when what is due changes, so a refresh never
  // wipes values being typed.
  let samplesKey = null;
  // The charts an operator opened stay open when the forms are rebuilt.
  const openCharts = new Map();

  function renderSamples() {
    const samples = (state.samples || {})[String(currentWork)] || [];
    const key = JSON.stringify([currentWork, samples]);
    if (key === samplesKey) {
      return;
    }
    samplesKey = key;
    $('samples-block').hidden = !samples.some((s) => s.due > 0);
    const box = $('samples');
    box.replaceChildren();
    for (const sample of samples) {
      if (sample.due <= 0) {
        continue;
      }
      const form = document.createElement('form');
      form.className = 'row sample';
      const label = document.createElement('span');
      const limits = sample.lower !== null && sample.upper !== null
        ? ` [${sample.lower} – ${sample.upper}]` : '';
      label.textContent = `${sample.name}${limits}: ${sample.due} due` +
        (sample.gating ? ', needed to finish' : '');
      form.append(label);
      const inputs = [];
      for (let i = 0; i < sample.size; i++) {
        const input = document.createElement('input');
        input.inputMode = 'decimal';
        input.required = true;
        input.autocomplete = 'off';
        input.size = 7;
        input.setAttribute('aria-label', `${sample.name} value ${i + 1}`);
        inputs.push(input);
        form.append(input);
      }
      const button = document.createElement('button');
      button.type = 'submit';
      button.textContent = 'Enter sample';
      const show = document.createElement('button');
      show.type = 'button';
      show.textContent = 'Chart';
      const picture = document.createElement('img');
      picture.className = 'chart';
      picture.alt = `Control chart of ${sample.name}`;
      picture.hidden = true;
      if (openCharts.has(sample.characteristic)) {
        picture.src = openCharts.get(sample.characteristic);
        picture.hidden = false;
      }
      show.addEventListener('click', async () => {
        if (!picture.hidden) {
          picture.hidden = true;
          openCharts.delete(sample.characteristic);
          return;
        }
        const result = await call('chart',
          {characteristic: sample.characteristic});
        if (result.status === 200) {
          const source = 'data:image/svg+xml;charset=utf-8,' +
            encodeURIComponent(result.body.svg);
          openCharts.set(sample.characteristic, source);
          picture.src = source;
          // Shown once decoded, so the operator never sees an empty frame.
          await picture.decode().catch(() => {});
          picture.hidden = false;
        } else {
          log(`Chart: ${result.body.error || result.status}`, 'refused');
        }
      });
      form.append(button, show, picture);
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        act('measure', {
          characteristic: sample.characteristic,
          values: inputs.map((input) => input.value),
        });
        samplesKey = null;
        for (const input of inputs) {
          input.value = '';
        }
      });
      box.append(form);
    }
  }

  function renderWork() {
    const work = findWork(currentWork);
    if (!work) {
      $('work-status').textContent = 'This work is no longer open.';
      return;
    }
    $('work-title').textContent = `${work.operation} — ${work.production}`;
    $('work-status').textContent =
      `${work.state}: ${work.good} good, ${work.scrap} scrap, ` +
      `${work.remaining} to make.` +
      (work.ready ? '' : ` Blocked: ${work.blocking_reasons.join('; ')}`);
    renderSamples();
  }

  async function openWork(id) {
    currentWork = id;
    $('work').hidden = false;
    $('dispatch').hidden = true;
    renderWork();
    const body = $('instruction-body');
    try {
      const result = await call('instructions', {work: id});
      const instruction = result.body.instruction;
      if (instruction) {
        body.replaceChildren();
        const head = document.createElement('strong');
        head.textContent = `${instruction.title} (version ${instruction.version})`;
        const text = document.createElement('pre');
        text.textContent = instruction.content;
        body.append(head, text);
      } else {
        body.textContent = 'No approved instructions.';
      }
      renderDocuments(id, instruction ? instruction.attachments : []);
    } catch (error) {
      body.textContent = 'Instructions are not available offline.';
      renderDocuments(id, []);
    }
  }

  function renderDocuments(work, attachments) {
    const documents = $('documents');
    documents.replaceChildren();
    $('document-view').replaceChildren();
    for (const attachment of attachments) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'document';
      button.textContent = attachment.name;
      button.addEventListener('click', () => openDocument(work, attachment));
      documents.append(button);
    }
  }

  // The key goes in a header, never in a URL: the document is fetched and
  // shown from memory.
  async function openDocument(work, attachment) {
    const view = $('document-view');
    if (attachment.type === 'link') {
      window.open(attachment.link, '_blank', 'noopener');
      return;
    }
    view.textContent = `Opening ${attachment.name}…`;
    let response;
    try {
      response = await fetch(api + 'attachment', {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'Authorization': `Bearer ${key}`,
        },
        body: JSON.stringify({work, attachment: attachment.id}),
      });
    } catch (error) {
      view.textContent = 'Documents are not available offline.';
      return;
    }
    if (!response.ok) {
      view.textContent = `${attachment.name} cannot be opened ` +
        `(HTTP ${response.status}).`;
      return;
    }
    const blob = await response.blob();
    const url = URL.createObjectURL(blob);
    let shown;
    if (blob.type.startsWith('image/')) {
      shown = document.createElement('img');
      shown.alt = attachment.name;
    } else if (blob.type === 'application/pdf') {
      shown = document.createElement('iframe');
      shown.title = attachment.name;
    } else {
      shown = document.createElement('a');
      shown.download = attachment.name;
      shown.textContent = `Download ${attachment.name}`;
    }
    shown.className = 'document-view';
    shown[shown.tagName === 'A' ? 'href' : 'src'] = url;
    view.replaceChildren(shown);
  }

  async function refresh() {
    try {
      const result = await call('state');
      if (result.status === 401) {
        $('pairing').hidden = false;
        return;
      }
      if (result.status !== 200) {
        return;
      }
      setOnline(true);
      state = result.body;
      render();
    } catch (error) {
      setOnline(false);
    }
  }

  $('sign-in-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    $('sign-in-error').textContent = '';
    try {
      const result = await call('sign_in', {
        badge: $('badge').value, pin: $('pin').value});
      if (result.status === 200) {
        localStorage.setItem(currentName, result.body.employee.id);
        $('badge').value = '';
        $('pin').value = '';
        log(`${result.body.employee.name} signed in`, 'accepted');
        await refresh();
      } else {
        $('sign-in-error').textContent = result.body.error;
        $('pin').value = '';
      }
    } catch (error) {
      $('sign-in-error').textContent = 'The server cannot be reached.';
    }
  });
  // A keyboard-wedge scanner types the badge and presses Enter.
  $('badge').addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      $('pin').focus();
    }
  });
  for (const button of document.querySelectorAll('[data-kind]')) {
    button.addEventListener('click', () => act(button.dataset.kind));
  }
  $('pause-form').addEventListener('submit', (event) => {
    event.preventDefault();
    act('pause', {reason: $('pause-reason').value});
  });
  $('report-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const scrap = Number($('scrap').value || 0);
    act('report', {
      good: Number($('good').value || 0),
      scraps: scrap ? [{reason: $('scrap-reason').value, quantity: scrap}] : [],
      confirm_over_production: $('over').checked,
    });
    $('good').value = 0;
    $('scrap').value = 0;
    $('over').checked = false;
  });
  // A work-order label (MES:WORK:<id>) opens its work, from the list or
  // from the scan field of another work.
  function openScannedWork(code) {
    const match = /^MES:WORK:(\d+)$/i.exec(code.trim());
    if (!match) {
      return false;
    }
    const id = Number(match[1]);
    if (findWork(id)) {
      openWork(id);
    } else {
      log(`Work order ${id} is not open at this terminal's work centers.`,
        'refused');
    }
    return true;
  }

  $('work-scan-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const code = $('work-scan').value;
    $('work-scan').value = '';
    if (!openScannedWork(code)) {
      log(`"${code}" is not a work-order label.`, 'refused');
    }
  });
  $('scan-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const code = $('scan').value;
    $('scan').value = '';
    if (openScannedWork(code)) {
      return;
    }
    const data = {code};
    if (state && state.unit_scan && $('unit').value.trim()) {
      data.unit = $('unit').value.trim();
    }
    act('scan', data);
  });
  $('problem-form').addEventListener('submit', (event) => {
    event.preventDefault();
    act('problem', {
      description: $('problem').value,
      problem_kind: $('problem-kind').value,
    });
    $('problem').value = '';
  });
  $('back').addEventListener('click', () => {
    currentWork = null;
    $('work').hidden = true;
    $('dispatch').hidden = false;
  });
  document.addEventListener('pointerdown', () => { lastTouch = Date.now(); });
  document.addEventListener('keydown', () => { lastTouch = Date.now(); });

  setInterval(() => {
    $('clock').textContent = new Date().toLocaleTimeString();
    if (state && Date.now() - lastTouch >
        state.terminal.idle_timeout * 60 * 1000 && currentWork) {
      $('back').click();
    }
  }, 1000);
  setInterval(() => {
    if (queue().length) {
      flush();
    } else if (!flushing) {
      refresh();
    }
  }, 15000);

  if (!key) {
    $('pairing').hidden = false;
  }
  saveQueue(queue());
  refresh().then(flush);
}());
