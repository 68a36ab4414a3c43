/*
 * The hrm serve web app: a puzzle editor (a Sudoku grid, a maze grid where clicks toggle walls and set S and G, an ARC
 * task as JSON), an example button (GET /v1/example), a Solve button that POSTs to /v1/solve/stream and reads its
 * server-sent events (start, entry..., result | error), and the trace view of viz.js fed entry by entry as the model
 * makes them. Grid sizes come from the server (/v1/model's grid and grid_sizes), never from a constant here.
 * With an API key on the server the page carries no model facts: it asks for the key, keeps it in localStorage and
 * sends it as Authorization: Bearer KEY with every request.
 */
(function () {
  'use strict';
  const embedded = JSON.parse(document.getElementById('hrm-model').textContent);
  const root = document.getElementById('app-root');
  const el = (tag, attrs, children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'text') e.textContent = v; else e.setAttribute(k, v);
    }
    for (const c of children || []) e.appendChild(c);
    return e;
  };
  const KEY_STORE = 'hrm-serve-api-key';
  let apiKey = '';
  try { apiKey = localStorage.getItem(KEY_STORE) || ''; } catch (_) { /* storage off: ask each time */ }
  const headers = extra => Object.assign({}, extra || {}, apiKey ? { Authorization: 'Bearer ' + apiKey } : {});
  async function errorOf(res) {
    let msg = res.status + ' ' + res.statusText;
    try { msg = (await res.json()).error || msg; } catch (_) { /* not JSON */ }
    return `${res.status}: ${msg}`;
  }

  const app = { view: null, arrivals: [], events: [], info: null };
  window.hrmApp = app;
  root.appendChild(el('h1', { text: 'hrm serve' }));
  if (embedded.task) build(embedded); else connect();

  /** The key form: shown when the server needs an API key; the model's facts come once the key is accepted. */
  function connect() {
    const key = el('input', { id: 'api-key', type: 'password', autocomplete: 'off', 'aria-label': 'API key', size: 40 });
    key.value = apiKey;
    const go = el('button', { id: 'btn-key', type: 'button', text: 'Use key' });
    const note = el('span', { id: 'key-status', class: 'hrm-status', 'data-state': 'idle' });
    const form = el('div', { id: 'key-form' }, [
      el('p', { class: 'hrm-sub', text: 'This server needs an API key (its operator has it). It is kept in this browser (localStorage) and sent as Authorization: Bearer KEY.' }),
      el('label', {}, [document.createTextNode('API key '), key]), document.createTextNode(' '), go, document.createTextNode(' '), note]);
    root.appendChild(form);
    async function tryKey() {
      apiKey = key.value.trim();
      note.setAttribute('data-state', 'running'); note.textContent = 'checking…';
      try {
        const res = await fetch('/v1/model', { headers: headers() });
        if (!res.ok) { note.setAttribute('data-state', 'error'); note.textContent = await errorOf(res); return; }
        try { localStorage.setItem(KEY_STORE, apiKey); } catch (_) { /* not kept */ }
        form.remove();
        build(await res.json());
      } catch (e) { note.setAttribute('data-state', 'error'); note.textContent = String(e && e.message || e); }
    }
    go.addEventListener('click', tryKey);
    key.addEventListener('keydown', ev => { if (ev.key === 'Enter') tryKey(); });
    if (apiKey) tryKey();
  }

  function build(info) {
    app.info = info;
    const task = info.task;
    const sizes = (info.grid_sizes || []).map(([r, c]) => ({ rows: r, cols: c }));
    let size = info.grid ? { rows: info.grid.rows, cols: info.grid.cols } : null;
    const BOXES = { 4: [2, 2], 6: [2, 3], 9: [3, 3] };

    root.appendChild(el('p', { class: 'hrm-sub', id: 'model-line', text: `${info.architecture} model, ${info.describe}, ${info.parameters.toLocaleString('en')} parameters · ${info.checkpoint}` }));
    const text = el('textarea', { id: 'puzzle-text', spellcheck: 'false', 'aria-label': 'puzzle' });
    const placeholder = () => ({
      sudoku: `A ${size.rows}x${size.cols} Sudoku: ${size.rows} lines of ${size.cols} digits, '.' or 0 for blanks (or use the grid, or press "example")`,
      maze: `A ${size.rows}x${size.cols} maze: ${size.rows} lines of ${size.cols} characters, # wall, space open, S start, G goal (or draw it in the grid, or press "example")`,
      arc: 'An ARC task JSON {"train": [{"input": [[...]], "output": [[...]]}, ...], "test": [{"input": [[...]], "output": [[...]]}]} (its first test input is solved and compared with its output), or one test input grid as lines of digits',
    }[task] || '');
    text.placeholder = placeholder();
    const editorHolder = el('div', { id: 'editor-holder' });
    const halt = el('select', { id: 'halt', 'aria-label': 'halting rule' });
    for (const [v, label] of [['full', 'full budget'], ['q', 'the model\'s ACT decision (q)'], ['confident', 'confident (sigmoid q_halt >= 0.9)'], ['stable', 'answer unchanged']])
      halt.appendChild(el('option', { value: v, text: label }));
    const maxSteps = el('input', { id: 'max-steps', type: 'number', min: 1, max: info.max_steps_limit, placeholder: String(info.halt_max_steps), 'aria-label': 'segments at most' });
    const perStep = el('input', { id: 'per-step', type: 'checkbox' });
    // Test-time search: K trajectories, the answer picked by the rule; the server's default comes from the model.
    const defaultSearch = info.search || { samples: 1, select: 'halt' };
    const samples = el('input', { id: 'samples', type: 'number', min: 1, max: info.max_samples || 64, value: String(defaultSearch.samples), 'aria-label': 'trajectories (samples)' });
    const select = el('select', { id: 'select', 'aria-label': 'selection rule' });
    for (const [v, label] of [['halt', 'highest q_halt (the model)'], ['vote', 'most frequent answer'], ['check', 'passes the task check']])
      select.appendChild(el('option', { value: v, text: label }));
    select.value = defaultSearch.select;
    const solve = el('button', { id: 'btn-solve', type: 'button', text: 'Solve' });
    const exampleBtn = el('button', { id: 'btn-example', type: 'button', text: 'example', title: 'load a puzzle of this model\'s task (held out from its dataset when the server has it)' });
    const exampleNote = el('div', { id: 'example-source', class: 'hrm-status', 'data-state': 'idle' });
    const status = el('span', { id: 'solve-status', class: 'hrm-status', 'data-state': 'idle', 'data-entries': '0' });
    const optsChildren = [];
    let sizeSel = null;
    if (sizes.length > 1) {
      sizeSel = el('select', { id: 'grid-size', 'aria-label': 'grid size' });
      sizes.forEach((s, i) => sizeSel.appendChild(el('option', { value: i, text: `${s.rows}x${s.cols}` })));
      optsChildren.push(el('label', {}, [document.createTextNode('grid size '), sizeSel]));
    }
    optsChildren.push(
      el('label', {}, [document.createTextNode('halting rule '), halt]),
      el('label', {}, [document.createTextNode(`segments at most (1..${info.max_steps_limit}) `), maxSteps]),
      el('label', {}, [perStep, document.createTextNode(' low-level steps too')]),
      el('label', {}, [document.createTextNode(`trajectories (1..${info.max_samples || 64}) `), samples]),
      el('label', {}, [document.createTextNode('pick by '), select]),
      el('div', {}, [exampleBtn, document.createTextNode(' '), solve, document.createTextNode(' '), status]),
      exampleNote);
    const opts = el('div', { class: 'opts' }, optsChildren);
    root.appendChild(el('div', { class: 'hrm-form' }, [editorHolder, el('div', { style: 'flex: 1 1 320px' }, [text]), opts]));
    const view = el('div', { id: 'trace-view' });
    root.appendChild(view);
    const answerJson = el('pre', { id: 'answer-json' });
    root.appendChild(el('details', {}, [el('summary', { text: 'response JSON' }), answerJson]));

    // ---- the grid editors: they and the text box show the same puzzle; editing either updates the other ----
    let editor = null;
    function buildEditor() {
      editorHolder.innerHTML = '';
      editor = task === 'sudoku' ? sudokuEditor() : task === 'maze' ? mazeEditor() : null;
      text.placeholder = placeholder();
      if (editor) { if (text.value.trim()) editor.fromText(text.value); else text.value = editor.toText(); }
    }
    text.addEventListener('input', () => { if (editor) editor.fromText(text.value); });
    if (sizeSel) sizeSel.addEventListener('change', () => { size = sizes[+sizeSel.value]; text.value = ''; buildEditor(); });

    function sudokuEditor() {
      const n = size.rows, cells = [];
      const [br, bc] = BOXES[n] || [1, 1];
      const grid = el('div', { id: 'sudoku-editor', style: `grid-template-columns: repeat(${n}, auto)` });
      for (let r = 0; r < n; r++)
        for (let c = 0; c < n; c++) {
          const cls = [(c + 1) % bc === 0 && c + 1 < n ? 'box-r' : '', (r + 1) % br === 0 && r + 1 < n ? 'box-b' : ''].join(' ');
          const input = el('input', { class: 'sudoku-cell ' + cls, 'data-row': r, 'data-col': c, maxlength: 1, inputmode: 'numeric', 'aria-label': `row ${r + 1} column ${c + 1}` });
          input.addEventListener('input', () => {
            const v = input.value.replace(/[^1-9]/g, '').slice(-1);
            input.value = v && +v <= n ? v : '';
            text.value = toText();
          });
          cells.push(input);
          grid.appendChild(input);
        }
      editorHolder.appendChild(grid);
      function toText() {
        const rows = [];
        for (let r = 0; r < n; r++) rows.push(cells.slice(r * n, (r + 1) * n).map(i => i.value || '.').join(''));
        return rows.join('\n');
      }
      function fromText(t) {
        const chars = t.replace(/\s/g, '');
        cells.forEach((input, i) => { const ch = chars[i] || '.'; input.value = /[1-9]/.test(ch) && +ch <= n ? ch : ''; });
      }
      return { toText, fromText };
    }

    // The maze editor draws with HrmViz.drawGrid (as the trace does). Tools: wall (click or drag toggles walls), S, G.
    function mazeEditor() {
      const R = size.rows, C = size.cols;
      let cells = Array.from({ length: R }, () => Array(C).fill(' '));
      let tool = 'wall', paint = null;
      const toolSel = el('select', { id: 'maze-tool', 'aria-label': 'maze tool' });
      for (const [v, label] of [['wall', 'wall: click or drag toggles walls'], ['start', 'S: set the start'], ['goal', 'G: set the goal']])
        toolSel.appendChild(el('option', { value: v, text: label }));
      toolSel.addEventListener('change', () => { tool = toolSel.value; });
      const clear = el('button', { id: 'maze-clear', type: 'button', text: 'clear' });
      const border = el('button', { id: 'maze-border', type: 'button', text: 'walls round the edge' });
      const note = el('div', { id: 'maze-note', class: 'hrm-status' });
      const holder = el('div', { id: 'maze-editor-holder' });
      editorHolder.appendChild(el('div', {}, [el('div', { class: 'maze-tools' }, [toolSel, document.createTextNode(' '), clear, document.createTextNode(' '), border]), holder, note]));
      const cellPx = Math.max(10, Math.min(28, Math.floor(480 / Math.max(R, C))));
      function draw() {
        holder.innerHTML = '';
        holder.appendChild(HrmViz.drawGrid('maze', cells.map(r => r.join('')), { id: 'maze-editor', cell: cellPx }));
        const s = cells.flat().filter(ch => ch === 'S').length, g = cells.flat().filter(ch => ch === 'G').length;
        note.textContent = `${R}x${C} · ${s ? 'S set' : 'no S yet'} · ${g ? 'G set' : 'no G yet'}`;
      }
      function set(r, c, ch) {
        if (ch === 'S' || ch === 'G') for (const row of cells) for (let j = 0; j < C; j++) if (row[j] === ch) row[j] = ' ';
        cells[r][c] = ch;
      }
      function cellAt(ev) {
        const t = ev.target && ev.target.closest ? ev.target.closest('#maze-editor .cell') : null;
        return t ? [+t.dataset.row, +t.dataset.col] : null;
      }
      holder.addEventListener('mousedown', ev => {
        const at = cellAt(ev);
        if (!at) return;
        ev.preventDefault();
        const [r, c] = at;
        if (tool === 'wall') { paint = cells[r][c] === '#' ? ' ' : '#'; set(r, c, paint); }
        else set(r, c, tool === 'start' ? 'S' : 'G');
        draw(); text.value = toText();
      });
      holder.addEventListener('mouseover', ev => {
        if (paint === null || !(ev.buttons & 1)) return;
        const at = cellAt(ev);
        if (!at || cells[at[0]][at[1]] === paint || 'SG'.includes(cells[at[0]][at[1]])) return;
        set(at[0], at[1], paint); draw(); text.value = toText();
      });
      document.addEventListener('mouseup', () => { paint = null; });
      clear.addEventListener('click', () => { cells = Array.from({ length: R }, () => Array(C).fill(' ')); draw(); text.value = toText(); });
      border.addEventListener('click', () => {
        for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) if ((r === 0 || c === 0 || r === R - 1 || c === C - 1) && !'SG'.includes(cells[r][c])) cells[r][c] = '#';
        draw(); text.value = toText();
      });
      function toText() { return cells.map(r => r.join('')).join('\n'); }
      function fromText(t) {
        const lines = t.replace(/\r/g, '').split('\n');
        while (lines.length && lines[lines.length - 1] === '') lines.pop();
        if (lines.length !== R || lines.some(l => l.length !== C)) { note.textContent = `the text is not ${R} lines of ${C} characters: the grid shows the last maze that was`; return; }
        cells = lines.map(l => [...l].map(ch => '# SG'.includes(ch) ? ch : ' '));
        draw();
      }
      draw();
      return { toText, fromText };
    }
    buildEditor();

    // ---- examples: the server picks them (held-out puzzles of the run's dataset, or generated ones) ----
    let exampleIndex = 0, example = null;
    async function loadExample() {
      exampleBtn.disabled = true;
      exampleNote.setAttribute('data-state', 'running'); exampleNote.textContent = 'loading an example…';
      try {
        const res = await fetch('/v1/example?index=' + exampleIndex, { headers: headers() });
        if (!res.ok) { exampleNote.setAttribute('data-state', 'error'); exampleNote.textContent = await errorOf(res); return; }
        const data = await res.json();
        exampleIndex++;
        example = data;
        text.value = data.puzzle;
        if (editor) editor.fromText(data.puzzle);
        exampleNote.setAttribute('data-index', String(data.index));
        exampleNote.setAttribute('data-state', 'done');
        exampleNote.textContent = 'example: ' + data.source + (data.expected ? ' (its expected answer is shown beside the model\'s)' : '');
      } catch (e) {
        exampleNote.setAttribute('data-state', 'error'); exampleNote.textContent = String(e && e.message || e);
      } finally { exampleBtn.disabled = false; }
    }
    exampleBtn.addEventListener('click', loadExample);
    if (task === 'arc') loadExample();   // the ARC text box starts with an example task in its format

    // One keyboard handler for whichever trace is showing (each solve draws a new one).
    document.addEventListener('keydown', ev => {
      if (!app.view || (ev.target && /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(ev.target.tagName))) return;
      if (ev.key === 'ArrowRight') { app.view.pause(); app.view.next(); ev.preventDefault(); }
      else if (ev.key === 'ArrowLeft') { app.view.pause(); app.view.prev(); ev.preventDefault(); }
      else if (ev.key === 'Home') { app.view.pause(); app.view.show(0); ev.preventDefault(); }
      else if (ev.key === 'End') { app.view.pause(); app.view.show(app.view.count - 1); ev.preventDefault(); }
    });

    function setStatus(state, message) {
      status.setAttribute('data-state', state);
      status.textContent = message;
    }

    async function run() {
      const body = { puzzle: text.value, halt: halt.value, per_step: perStep.checked };
      if (maxSteps.value) body.max_steps = +maxSteps.value;
      if (samples.value) { body.samples = +samples.value; if (body.samples > 1) body.select = select.value; }
      // The example's expected answer and puzzle identifier go along while the text is still the example's.
      if (example && text.value === example.puzzle) {
        if (example.puzzle_id) body.puzzle_id = example.puzzle_id;
        if (example.expected && !text.value.trim().startsWith('{')) body.expected = example.expected;
      }
      solve.disabled = true;
      app.arrivals = []; app.events = [];
      status.setAttribute('data-entries', '0');
      setStatus('running', 'solving…');
      try {
        const res = await fetch('/v1/solve/stream', { method: 'POST', headers: headers({ 'Content-Type': 'application/json' }), body: JSON.stringify(body) });
        if (!res.ok) { setStatus('error', await errorOf(res)); return; }
        const reader = res.body.getReader(), decoder = new TextDecoder();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let k;
          while ((k = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, k); buffer = buffer.slice(k + 2);
            let name = 'message', data = '';
            for (const line of block.split('\n')) {
              if (line.startsWith('event: ')) name = line.slice(7);
              else if (line.startsWith('data: ')) data += line.slice(6);
            }
            onEvent(name, JSON.parse(data));
          }
        }
        if (status.getAttribute('data-state') === 'running') setStatus('error', 'the stream ended without a result');
      } catch (e) {
        setStatus('error', String(e && e.message || e));
      } finally {
        solve.disabled = false;
      }
    }

    function onEvent(name, data) {
      app.events.push(name);
      if (name === 'start') {
        app.view = HrmViz.renderTrace(view, { puzzle: data.puzzle, entries: [], decoding: data.decoding },
          { totalSegments: data.total_segments, keyboard: false, hash: false, title: `${data.puzzle.rows}x${data.puzzle.cols} ${task}: ${data.halt_rule}` });
      } else if (name === 'entry') {
        app.arrivals.push(performance.now());
        app.view.append(data);
        status.setAttribute('data-entries', String(app.arrivals.length));
        setStatus('running', `segment ${data.segment}${data.step ? ', step ' + data.step : ''}…`);
      } else if (name === 'result') {
        app.view.finish({ valid: data.valid, correct: data.expected === undefined ? null : data.expected === data.answer, problem: data.problem });
        answerJson.textContent = JSON.stringify(data, null, 2);
        const vs = data.expected === undefined ? '' : data.expected === data.answer ? ', equal to the expected answer' : ', not the expected answer';
        const ss = data.search ? `; trajectory ${data.search.chosen} of ${data.search.candidates.length} (${data.search.agreeing} agree), by ${data.search.select}` : '';
        setStatus('done', `${data.valid ? 'valid' : 'not valid'}${vs} after ${data.segments} segment(s)${ss}${data.problem ? ': ' + data.problem : ''}`);
      } else if (name === 'error') {
        setStatus('error', data.error);
      }
    }

    solve.addEventListener('click', run);
  }
})();
