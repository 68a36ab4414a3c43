/*
 * The hrm serve web app: a puzzle editor (a Sudoku grid editor, a maze as text, an ARC task as JSON), a Solve button
 * that POSTs to /v1/solve/stream and reads its server-sent events (start, entry..., result | error), and the trace view
 * of viz.js fed entry by entry as the model makes them.
 */
(function () {
  'use strict';
  const info = JSON.parse(document.getElementById('hrm-model').textContent);
  const task = info.task;
  const root = document.getElementById('app-root');
  const el = (tag, attrs, children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'text') e.textContent = v; else e.setAttribute(k, v);
    }
    for (const c of children || []) e.appendChild(c);
    return e;
  };
  const sudokuN = task === 'sudoku' ? Math.round(Math.sqrt(info.config.seq_len)) : 0;
  const BOXES = { 4: [2, 2], 6: [2, 3], 9: [3, 3] };

  root.appendChild(el('h1', { text: 'hrm serve' }));
  root.appendChild(el('p', { class: 'hrm-sub', id: 'model-line', text: `${info.architecture} model, ${info.describe}, ${info.parameters.toLocaleString('en')} parameters · ${info.checkpoint}` }));

  const text = el('textarea', { id: 'puzzle-text', spellcheck: 'false', 'aria-label': 'puzzle' });
  text.placeholder = {
    sudoku: `A ${sudokuN}x${sudokuN} Sudoku: ${sudokuN} lines of ${sudokuN} digits, '.' or 0 for blanks (or use the grid)`,
    maze: 'A maze: N lines of N characters, # wall, space open, S start, G goal',
    arc: 'An ARC task JSON {"train": [...], "test": [{"input": [[...]], "output": [[...]]}]}, or one test input grid as lines of digits',
  }[task] || '';
  const editorHolder = el('div', {});
  const halt = el('select', { id: 'halt', 'aria-label': 'halting rule' });
  for (const [v, label] of [['full', 'full budget'], ['q', 'the model\'s ACT decision (q)'], ['confident', 'confident (sigmoid q_halt >= 0.9)'], ['stable', 'answer unchanged']])
    halt.appendChild(el('option', { value: v, text: label }));
  const maxSteps = el('input', { id: 'max-steps', type: 'number', min: 1, max: info.max_steps_limit, placeholder: String(info.halt_max_steps), 'aria-label': 'segments at most' });
  const perStep = el('input', { id: 'per-step', type: 'checkbox' });
  const solve = el('button', { id: 'btn-solve', type: 'button', text: 'Solve' });
  const status = el('span', { id: 'solve-status', class: 'hrm-status', 'data-state': 'idle', 'data-entries': '0' });
  const opts = el('div', { class: 'opts' }, [
    el('label', {}, [document.createTextNode('halting rule '), halt]),
    el('label', {}, [document.createTextNode(`segments at most (1..${info.max_steps_limit}) `), maxSteps]),
    el('label', {}, [perStep, document.createTextNode(' low-level steps too')]),
    el('div', {}, [solve, document.createTextNode(' '), status]),
  ]);
  root.appendChild(el('div', { class: 'hrm-form' }, [editorHolder, el('div', { style: 'flex: 1 1 320px' }, [text]), opts]));
  const view = el('div', { id: 'trace-view' });
  root.appendChild(view);
  const answerJson = el('pre', { id: 'answer-json' });
  root.appendChild(el('details', {}, [el('summary', { text: 'response JSON' }), answerJson]));

  // The Sudoku editor and the text box show the same puzzle; editing either updates the other.
  const cells = [];
  if (sudokuN) {
    const [br, bc] = BOXES[sudokuN] || [1, 1];
    const grid = el('div', { id: 'sudoku-editor', style: `grid-template-columns: repeat(${sudokuN}, auto)` });
    for (let r = 0; r < sudokuN; r++)
      for (let c = 0; c < sudokuN; c++) {
        const cls = [(c + 1) % bc === 0 && c + 1 < sudokuN ? 'box-r' : '', (r + 1) % br === 0 && r + 1 < sudokuN ? 'box-b' : ''].join(' ');
        const input = el('input', { class: 'sudoku-cell ' + cls, 'data-row': r, 'data-col': c, maxlength: 1, inputmode: 'numeric', 'aria-label': `row ${r + 1} column ${c + 1}` });
        input.addEventListener('input', () => {
          const v = input.value.replace(/[^1-9]/g, '').slice(-1);
          input.value = v && +v <= sudokuN ? v : '';
          text.value = editorText();
        });
        cells.push(input);
        grid.appendChild(input);
      }
    editorHolder.appendChild(grid);
    text.addEventListener('input', () => {
      const chars = text.value.replace(/\s/g, '');
      cells.forEach((input, i) => { const ch = chars[i] || '.'; input.value = /[1-9]/.test(ch) ? ch : ''; });
    });
    text.value = editorText();
  }
  function editorText() {
    const rows = [];
    for (let r = 0; r < sudokuN; r++) rows.push(cells.slice(r * sudokuN, (r + 1) * sudokuN).map(i => i.value || '.').join(''));
    return rows.join('\n');
  }

  const app = { view: null, arrivals: [], events: [] };
  window.hrmApp = app;
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
    solve.disabled = true;
    app.arrivals = []; app.events = [];
    status.setAttribute('data-entries', '0');
    setStatus('running', 'solving…');
    try {
      const res = await fetch('/v1/solve/stream', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      if (!res.ok) {
        let msg = res.status + ' ' + res.statusText;
        try { msg = (await res.json()).error || msg; } catch (_) { /* not JSON */ }
        setStatus('error', `${res.status}: ${msg}`);
        return;
      }
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
      setStatus('done', `${data.valid ? 'valid' : 'not valid'} after ${data.segments} segment(s)${data.problem ? ': ' + data.problem : ''}`);
    } else if (name === 'error') {
      setStatus('error', data.error);
    }
  }

  solve.addEventListener('click', run);
})();
