/*
 * HRM viz: draws puzzle grids and reasoning traces in the browser. One script for the `hrm viz` trace page, the
 * dataset browser and the `hrm serve` web app, so that all three draw a grid the same way:
 *   HrmViz.renderTrace(container, trace, options) -> controller { show(i), next(), prev(), play(), pause(),
 *                                                                 append(entry), finish(verdictFields), index, count }
 *   HrmViz.drawGrid(task, text, options)          -> an element (one div per cell, data-row / data-col)
 *   HrmViz.renderDataset(container, data)         -> the paged dataset browser
 * A trace is the JSON of Hrm.Tracing.Trace: {puzzle: {task, input, expected, rows, cols}, entries: [...],
 * decoding, valid, correct, problem}. Grids are text, rows separated by '\n', one character per cell.
 * No network, no dependencies: the pages open from file://.
 */
(function (global) {
  'use strict';

  const ARC_PALETTE = ['#000000', '#0074D9', '#FF4136', '#2ECC40', '#FFDC00', '#AAAAAA', '#F012BE', '#FF851B', '#7FDBFF', '#870C25'];
  const SUDOKU_BOXES = { 4: [2, 2], 6: [2, 3], 9: [3, 3] };

  function rowsOf(text) { return text ? text.split('\n') : []; }

  function el(tag, attrs, children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v);
    }
    for (const c of children || []) if (c) e.appendChild(c);
    return e;
  }

  function svgEl(tag, attrs) {
    const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    return e;
  }

  function defaultCellSize(task, rows, cols) {
    const n = Math.max(rows, cols, 1);
    if (task === 'sudoku') return n <= 4 ? 48 : n <= 6 ? 42 : 36;
    if (task === 'maze') return Math.max(10, Math.min(36, Math.floor(420 / n)));
    return Math.max(8, Math.min(28, Math.floor(300 / n)));
  }

  /** Cells "r,c" that break a Sudoku rule: a digit repeated in a row, column or box, or a given changed. */
  function sudokuViolations(rows, givens) {
    const bad = new Set();
    const n = rows.length, box = SUDOKU_BOXES[n];
    const units = [];
    for (let i = 0; i < n; i++) {
      const row = [], col = [];
      for (let j = 0; j < n; j++) { row.push([i, j]); col.push([j, i]); }
      units.push(row, col);
    }
    if (box) {
      const [br, bc] = box;
      for (let b = 0; b < n; b++) {
        const r0 = Math.floor(b / (n / bc)) * br, c0 = (b % (n / bc)) * bc, unit = [];
        for (let r = 0; r < br; r++) for (let c = 0; c < bc; c++) unit.push([r0 + r, c0 + c]);
        units.push(unit);
      }
    }
    for (const unit of units) {
      const seen = {};
      for (const [r, c] of unit) {
        const d = (rows[r] || '')[c];
        if (!d || d === '.' || d === '?') continue;
        (seen[d] = seen[d] || []).push(r + ',' + c);
      }
      for (const cells of Object.values(seen)) if (cells.length > 1) cells.forEach(x => bad.add(x));
    }
    if (givens) givens.forEach((line, r) => [...line].forEach((g, c) => {
      if (g !== '.' && rows[r] && rows[r][c] !== g) bad.add(r + ',' + c);
    }));
    return bad;
  }

  /** Maze cells "r,c" where the answer disagrees with the maze: a path over a wall, or S, G or a wall moved. */
  function mazeViolations(rows, base) {
    const bad = new Set();
    if (!base) return bad;
    rows.forEach((line, r) => [...line].forEach((ch, c) => {
      const b = (base[r] || '')[c];
      if (b === undefined) return;
      const ok = ch === b || (ch === 'o' && b === ' ');
      if (!ok) bad.add(r + ',' + c);
    }));
    return bad;
  }

  /**
   * One grid. options: base (the puzzle's rows: Sudoku givens, maze walls under the path), confidence (per cell,
   * row-major), changed (Set of "r,c"), violations (Set of "r,c", or true to compute them), cell (px), id, shade.
   */
  function drawGrid(task, text, options) {
    const o = options || {};
    const rows = Array.isArray(text) ? text : rowsOf(text);
    const nr = rows.length, nc = nr ? rows[0].length : 0;
    if (nr === 0 || nc === 0) return el('div', { class: 'hrm-empty', id: o.id, text: '(no grid)' });
    const size = o.cell || defaultCellSize(task, nr, nc);
    const base = o.base ? (Array.isArray(o.base) ? o.base : rowsOf(o.base)) : null;
    let bad = o.violations;
    if (bad === true) bad = task === 'sudoku' ? sudokuViolations(rows, base) : task === 'maze' ? mazeViolations(rows, base) : new Set();
    bad = bad || new Set();
    const grid = el('div', {
      class: 'hrm-grid' + (o.shade === false ? ' shade-off' : ''), id: o.id, 'data-task': task,
      'data-rows': nr, 'data-cols': nc, style: `--cell:${size}px;grid-template-columns:repeat(${nc}, var(--cell))`,
    });
    const box = task === 'sudoku' ? SUDOKU_BOXES[nr] : null;
    for (let r = 0; r < nr; r++) {
      for (let c = 0; c < nc; c++) {
        const ch = rows[r][c], key = r + ',' + c, cls = ['cell'];
        const cell = el('div', { 'data-row': r, 'data-col': c, 'data-value': ch });
        if (ch === '?') cls.push('unknown');
        if (task === 'sudoku') {
          if (base && base[r] && base[r][c] !== '.' && base[r][c] !== undefined) cls.push('given');
          if (box && (c + 1) % box[1] === 0) cls.push('box-r');
          if (box && (r + 1) % box[0] === 0) cls.push('box-b');
          if (c === nc - 1) cls.push('last-c');
          if (r === nr - 1) cls.push('last-r');
          if (ch !== '.' && ch !== '?') cell.appendChild(el('span', { class: 'v', text: ch }));
        } else if (task === 'maze') {
          const under = base && base[r] && base[r][c] !== undefined ? base[r][c] : (ch === 'o' ? ' ' : ch);
          cls.push(under === '#' ? 'wall' : under === 'S' ? 'start' : under === 'G' ? 'goal' : 'open');
          if (ch === 'o') { cls.push('path'); cell.appendChild(el('span', { class: 'dot' })); }
          else if (ch === 'S' || ch === 'G') cell.appendChild(el('span', { class: 'v', text: ch }));
        } else if (ch >= '0' && ch <= '9') {
          cls.push('arc-' + ch);
          cell.style.background = ARC_PALETTE[+ch];
        }
        if (o.changed && o.changed.has(key)) cls.push('changed');
        if (bad.has(key)) cls.push('violation');
        if (o.confidence) {
          const conf = o.confidence[r * nc + c];
          if (Number.isFinite(conf)) { cell.style.setProperty('--conf', conf.toFixed(3)); cell.setAttribute('data-confidence', conf.toFixed(3)); }
        }
        cell.className = cls.join(' ');
        grid.appendChild(cell);
      }
    }
    return grid;
  }

  function changedCells(prev, cur) {
    const out = new Set();
    if (!prev) return out;
    const sameShape = prev.length === cur.length && prev.every((l, i) => l.length === (cur[i] || '').length);
    cur.forEach((line, r) => [...line].forEach((ch, c) => { if (!sameShape || prev[r][c] !== ch) out.add(r + ',' + c); }));
    return out;
  }

  function entryLabel(e, segments) {
    return `segment ${e.segment} / ${segments}` + (e.step === null || e.step === undefined ? '' : `, step ${e.step}`);
  }

  function verdictOf(t) {
    if (t.valid === undefined || t.valid === null) return { key: 'pending', text: 'running…' };
    if (t.correct === true) return { key: 'solved', text: 'solved' + (t.problem ? '' : '') };
    if (t.valid && t.correct === false) return { key: 'valid', text: 'valid, but not the expected answer' };
    if (t.valid) return { key: 'valid', text: 'valid (passes the rule check; no expected answer to compare)' };
    return { key: 'wrong', text: 'wrong' + (t.problem ? ': ' + t.problem : '') };
  }

  const TASK_TITLES = { sudoku: 'Sudoku', maze: 'maze', arc: 'ARC task' };

  /** The chart under the grid: q_halt / q_continue, and the residuals of zH and zL (log scale when they span a lot). */
  function drawChart(entries, index) {
    const W = 560, H = 120, L = 44, R = 110, T = 14, B = 22;
    const wrap = el('div', { class: 'hrm-chart', id: 'chart' });
    const n = entries.length;
    const x = i => L + (n <= 1 ? (W - L - R) / 2 : i * (W - L - R) / (n - 1));
    const panel = (title, series, logScale, id) => {
      const svg = svgEl('svg', { width: W, height: H, id, viewBox: `0 0 ${W} ${H}` });
      const values = series.flatMap(s => entries.map(s.get)).filter(v => Number.isFinite(v) && (!logScale || v > 0));
      let lo = values.length ? Math.min(...values) : 0, hi = values.length ? Math.max(...values) : 1;
      const f = logScale ? Math.log10 : (v => v);
      lo = f(lo); hi = f(hi);
      if (hi - lo < 1e-9) { lo -= 0.5; hi += 0.5; }
      const pad = (hi - lo) * 0.08; lo -= pad; hi += pad;
      const y = v => T + (H - T - B) * (1 - (f(v) - lo) / (hi - lo));
      svg.appendChild(svgEl('line', { class: 'axis', x1: L, y1: T, x2: L, y2: H - B }));
      svg.appendChild(svgEl('line', { class: 'axis', x1: L, y1: H - B, x2: W - R, y2: H - B }));
      entries.forEach((e, i) => {
        if ((e.step === null || e.step === undefined) && i < n - 1)
          svg.appendChild(svgEl('line', { class: 'seg', x1: (x(i) + x(i + 1)) / 2, y1: T, x2: (x(i) + x(i + 1)) / 2, y2: H - B }));
      });
      if (!logScale && lo < 0 && hi > 0) svg.appendChild(svgEl('line', { class: 'zero', x1: L, y1: y(0), x2: W - R, y2: y(0) }));
      const fmt = v => logScale ? Number(Math.pow(10, v)).toPrecision(2) : (Math.abs(v) >= 10 ? v.toFixed(0) : Math.abs(v) < 0.05 ? '0' : v.toFixed(1));
      const tHi = svgEl('text', { x: L - 4, y: T + 8, 'text-anchor': 'end' }); tHi.textContent = fmt(hi); svg.appendChild(tHi);
      const tLo = svgEl('text', { x: L - 4, y: H - B, 'text-anchor': 'end' }); tLo.textContent = fmt(lo); svg.appendChild(tLo);
      const tt = svgEl('text', { x: L + 4, y: 11 }); tt.textContent = title + (logScale ? ' (log scale)' : ''); svg.appendChild(tt);
      const tx = svgEl('text', { x: (L + W - R) / 2, y: H - 6, 'text-anchor': 'middle' }); tx.textContent = 'entry (grey lines: segment ends)'; svg.appendChild(tx);
      series.forEach((s, k) => {
        let d = '';
        entries.forEach((e, i) => {
          const v = s.get(e);
          if (!Number.isFinite(v) || (logScale && v <= 0)) return;
          d += (d ? ' L' : 'M') + x(i).toFixed(1) + ' ' + y(v).toFixed(1);
          svg.appendChild(svgEl('circle', { cx: x(i), cy: y(v), r: 2.2, fill: s.colour }));
        });
        if (d) svg.appendChild(svgEl('path', { d, fill: 'none', stroke: s.colour, 'stroke-width': 1.6, class: 'series', 'data-series': s.name }));
        svg.appendChild(svgEl('line', { x1: W - R + 10, y1: T + 8 + k * 16, x2: W - R + 26, y2: T + 8 + k * 16, stroke: s.colour, 'stroke-width': 2 }));
        const lt = svgEl('text', { x: W - R + 30, y: T + 12 + k * 16 }); lt.textContent = s.name; svg.appendChild(lt);
      });
      if (n > 0) svg.appendChild(svgEl('line', { class: 'chart-cursor', x1: x(index), y1: T, x2: x(index), y2: H - B }));
      return svg;
    };
    const num = v => (v === null || v === undefined) ? NaN : Number(v);
    wrap.appendChild(panel('Q head', [
      { name: 'q_halt', colour: '#d62728', get: e => num(e.q_halt) },
      { name: 'q_continue', colour: '#1f77b4', get: e => num(e.q_continue) }], false, 'chart-q'));
    const res = entries.flatMap(e => [num(e.residual_zH), num(e.residual_zL)]).filter(v => Number.isFinite(v) && v > 0);
    const useLog = res.length > 1 && Math.max(...res) / Math.min(...res) > 20;
    wrap.appendChild(panel('forward residuals ||z_t - z_(t-1)|| / ||z_(t-1)||', [
      { name: 'residual zH', colour: '#7b3fb5', get: e => num(e.residual_zH) },
      { name: 'residual zL', colour: '#2a9d3a', get: e => num(e.residual_zL) }], useLog, 'chart-residuals'));
    return wrap;
  }

  /**
   * Draws a trace into container and returns its controller. options: keyboard (default true: arrows, Home/End,
   * space), interval (ms per step when playing, default 800), totalSegments (for a trace still streaming), title.
   * The served app calls append(entry) as entries arrive and finish({valid, correct, problem}) at the end.
   */
  function renderTrace(container, trace, options) {
    const o = Object.assign({ keyboard: true, interval: 800 }, options || {});
    const puzzle = trace.puzzle, task = puzzle.task;
    const entries = (trace.entries || []).slice();
    const input = rowsOf(puzzle.input), expected = puzzle.expected ? rowsOf(puzzle.expected) : null;
    const state = { index: 0, timer: null, verdict: trace, follow: true, shade: true };
    container.innerHTML = '';
    container.classList.add('hrm-trace');

    const title = o.title || `Reasoning trace: ${puzzle.rows}x${puzzle.cols} ${TASK_TITLES[task] || task}`;
    container.appendChild(el('h1', { text: title }));
    container.appendChild(el('p', { class: 'hrm-sub', id: 'decoding', text: trace.decoding || '' }));

    const btn = (id, text, label) => el('button', { id, type: 'button', title: label, 'aria-label': label, text });
    const bFirst = btn('btn-first', '|◀', 'first entry (Home)'), bPrev = btn('btn-prev', '◀', 'previous entry (←)');
    const bPlay = btn('btn-play', '▶ play', 'play / pause (space)'), bNext = btn('btn-next', '▶', 'next entry (→)');
    const bLast = btn('btn-last', '▶|', 'last entry (End)');
    const slider = el('input', { id: 'step-slider', type: 'range', min: 0, max: Math.max(0, entries.length - 1), value: 0, step: 1, 'aria-label': 'entry' });
    const counter = el('span', { id: 'step-counter', 'aria-live': 'polite' });
    const position = el('span', { id: 'entry-position', class: 'hrm-status' });
    const verdict = el('span', { id: 'verdict', class: 'hrm-verdict' });
    const shade = el('input', { id: 'toggle-confidence', type: 'checkbox' }); shade.checked = true;
    const shadeLabel = el('label', { class: 'hrm-status' }, [shade, document.createTextNode(' confidence shading')]);
    container.appendChild(el('div', { class: 'hrm-controls' }, [bFirst, bPrev, bPlay, bNext, bLast, slider, counter, position, verdict, shadeLabel]));
    const status = el('div', { id: 'step-status', class: 'hrm-status' });
    container.appendChild(status);

    const panels = el('div', { class: 'hrm-panels' });
    const panel = (id, heading) => { const p = el('div', { class: 'hrm-panel', id }); p.appendChild(el('h2', { text: heading })); panels.appendChild(p); return p; };
    const pInput = panel('panel-input', task === 'arc' ? 'test input' : 'puzzle');
    pInput.appendChild(drawGrid(task, input, { id: 'grid-input', base: task === 'arc' ? null : input }));
    const pAnswer = panel('panel-answer', task === 'arc' ? 'prediction' : 'answer');
    const answerHeading = pAnswer.firstChild;
    const answerHolder = el('div', { id: 'answer-holder' });
    pAnswer.appendChild(answerHolder);
    if (expected) {
      const pExp = panel('panel-expected', 'expected');
      pExp.appendChild(drawGrid(task, expected, { id: 'grid-expected', base: task === 'arc' ? null : input }));
    }
    container.appendChild(panels);
    const chartHolder = el('div', { id: 'chart-holder' });
    container.appendChild(chartHolder);
    const legend = el('p', { class: 'hrm-sub', id: 'legend' });
    legend.textContent = {
      sudoku: 'Grey bold cells are the givens; red cells break a rule (a digit repeated in a row, column or box, or a given changed).',
      maze: 'Blue dots are the path the model marks, drawn over the maze (S green, G red, walls dark); orange dots with a red ring are path marks on walls or moved cells.',
      arc: 'Colours in the standard ARC palette.',
    }[task] + ' Teal rings mark cells changed since the previous entry; amber (Sudoku, maze) or white hatching (ARC) shades cells the model is less sure of (1 − max softmax probability).';
    container.appendChild(legend);

    function segmentsTotal() {
      const seen = entries.reduce((m, e) => Math.max(m, e.segment), 0);
      return Math.max(seen, o.totalSegments || 0);
    }

    function show(i) {
      if (entries.length === 0) {
        counter.textContent = 'waiting for the first step…';
        verdict.textContent = 'running…';
        verdict.setAttribute('data-verdict', 'pending');
        return;
      }
      i = Math.max(0, Math.min(entries.length - 1, i | 0));
      state.index = i;
      state.follow = i === entries.length - 1;
      const e = entries[i], rows = rowsOf(e.answer), prev = i > 0 ? rowsOf(entries[i - 1].answer) : null;
      const changed = changedCells(prev, rows);
      const grid = drawGrid(task, rows, {
        id: 'grid-answer', base: task === 'arc' ? null : input, confidence: e.confidence, changed, violations: true, shade: state.shade,
      });
      answerHolder.innerHTML = '';
      answerHolder.appendChild(grid);
      answerHeading.textContent = (task === 'arc' ? 'prediction' : 'answer') + ' at ' + entryLabel(e, segmentsTotal());
      slider.max = entries.length - 1;
      slider.value = i;
      counter.textContent = entryLabel(e, segmentsTotal());
      counter.setAttribute('data-index', i);
      counter.setAttribute('data-segment', e.segment);
      counter.setAttribute('data-step', e.step === null || e.step === undefined ? '' : e.step);
      position.textContent = `entry ${i + 1} of ${entries.length}`;
      const bad = grid.querySelectorAll('.cell.violation').length;
      const conf = (e.confidence || []).filter(Number.isFinite);
      const mean = conf.length ? conf.reduce((a, b) => a + b, 0) / conf.length : NaN;
      const f3 = v => Number.isFinite(Number(v)) ? Number(v).toFixed(3) : 'n/a';
      status.textContent = `${i === 0 ? 'first entry' : changed.size + ' cell(s) changed'} · ${bad} rule violation(s)` +
        ` · mean confidence ${f3(mean)} · q_halt ${f3(e.q_halt)}, q_continue ${f3(e.q_continue)}` +
        ` · residual zH ${f3(e.residual_zH)}, zL ${f3(e.residual_zL)}`;
      status.setAttribute('data-changed', changed.size);
      status.setAttribute('data-violations', bad);
      chartHolder.innerHTML = '';
      chartHolder.appendChild(drawChart(entries, i));
      const v = verdictOf(state.verdict);
      verdict.textContent = 'final: ' + v.text;
      verdict.setAttribute('data-verdict', v.key);
    }

    function pause() { if (state.timer) clearInterval(state.timer); state.timer = null; bPlay.textContent = '▶ play'; bPlay.setAttribute('data-playing', 'false'); }
    function play() {
      pause();
      if (state.index >= entries.length - 1) show(0);
      bPlay.textContent = '❚❚ pause';
      bPlay.setAttribute('data-playing', 'true');
      state.timer = setInterval(() => { if (state.index < entries.length - 1) show(state.index + 1); if (state.index >= entries.length - 1) pause(); }, o.interval);
    }
    const next = () => show(state.index + 1), prev = () => show(state.index - 1);

    bFirst.addEventListener('click', () => { pause(); show(0); });
    bPrev.addEventListener('click', () => { pause(); prev(); });
    bNext.addEventListener('click', () => { pause(); next(); });
    bLast.addEventListener('click', () => { pause(); show(entries.length - 1); });
    bPlay.addEventListener('click', () => state.timer ? pause() : play());
    slider.addEventListener('input', () => { pause(); show(+slider.value); });
    shade.addEventListener('change', () => { state.shade = shade.checked; show(state.index); });
    if (o.keyboard) {
      document.addEventListener('keydown', ev => {
        if (ev.target && /^(INPUT|TEXTAREA|SELECT)$/.test(ev.target.tagName) && ev.target !== slider) return;
        if (ev.key === ' ' && ev.target && ev.target.tagName === 'BUTTON') return;   // space presses the focused button
        if (ev.key === 'ArrowRight') { pause(); next(); ev.preventDefault(); }
        else if (ev.key === 'ArrowLeft') { pause(); prev(); ev.preventDefault(); }
        else if (ev.key === 'Home') { pause(); show(0); ev.preventDefault(); }
        else if (ev.key === 'End') { pause(); show(entries.length - 1); ev.preventDefault(); }
        else if (ev.key === ' ') { state.timer ? pause() : play(); ev.preventDefault(); }
      });
    }
    bPlay.setAttribute('data-playing', 'false');
    // A link can open a given entry: PAGE.html#entry=3 (1-based) or #entry=last.
    const m = o.hash !== false && global.location ? /entry=(\d+|last)/.exec(global.location.hash) : null;
    show(m ? (m[1] === 'last' ? entries.length - 1 : +m[1] - 1) : 0);

    return {
      show, next, prev, play, pause,
      get index() { return state.index; },
      get count() { return entries.length; },
      /** Adds a streamed entry; follows it when the view was at the last entry. */
      append(entry) { entries.push(entry); if (state.follow || entries.length === 1) show(entries.length - 1); else { slider.max = entries.length - 1; position.textContent = `entry ${state.index + 1} of ${entries.length}`; } },
      /** Sets the final verdict fields ({valid, correct, problem}) once the run ends. */
      finish(fields) { state.verdict = Object.assign({}, fields); show(state.index); },
    };
  }

  // ---- dataset browser ----

  /** A compact grid "C:cells" (C columns, cells row-major) back to rows of text. */
  function unpack(g) {
    const k = g.indexOf(':'), cols = +g.slice(0, k), cells = g.slice(k + 1), rows = [];
    if (cols <= 0) return rows;
    for (let i = 0; i < cells.length; i += cols) rows.push(cells.slice(i, i + cols));
    return rows;
  }

  /**
   * The dataset browser: data = {name, task, pageSize, splits: [{name, groups: [{index, puzzles: [{name, examples:
   * [[input, label], ...], totalExamples}], totalPuzzles}], totalGroups, totalPuzzles, totalExamples}], note}.
   * Only the current page of groups and the selected puzzle are drawn.
   */
  function renderDataset(container, data) {
    const state = { split: 0, page: 0, group: 0, puzzle: 0 };
    const pageSize = data.pageSize || 25;
    container.innerHTML = '';
    container.appendChild(el('h1', { text: `HRM dataset: ${data.name} (${TASK_TITLES[data.task] || data.task})` }));
    container.appendChild(el('p', { class: 'hrm-sub', id: 'ds-note', text: data.note || '' }));
    const splitSel = el('select', { id: 'ds-split' });
    data.splits.forEach((s, i) => splitSel.appendChild(el('option', { value: i, text: `${s.name}: ${s.totalGroups} groups, ${s.totalPuzzles} puzzles, ${s.totalExamples} examples` })));
    const bPrev = el('button', { id: 'ds-prev', type: 'button', text: '◀ groups' });
    const bNext = el('button', { id: 'ds-next', type: 'button', text: 'groups ▶' });
    const pageLabel = el('span', { id: 'ds-page', class: 'hrm-status' });
    container.appendChild(el('div', { class: 'ds-toolbar' }, [splitSel, bPrev, pageLabel, bNext]));
    const list = el('ul', { id: 'ds-groups' });
    const side = el('div', { class: 'ds-groups' }, [list]);
    const main = el('div', { class: 'ds-main', id: 'ds-main' });
    container.appendChild(el('div', { class: 'ds-layout' }, [side, main]));

    const split = () => data.splits[state.split];
    function drawList() {
      const s = split(), pages = Math.max(1, Math.ceil(s.groups.length / pageSize));
      state.page = Math.max(0, Math.min(pages - 1, state.page));
      pageLabel.textContent = `page ${state.page + 1} / ${pages}`;
      list.innerHTML = '';
      for (let g = state.page * pageSize; g < Math.min(s.groups.length, (state.page + 1) * pageSize); g++) {
        const grp = s.groups[g];
        const li = el('li', { 'data-group': g, class: g === state.group ? 'selected' : '', text: `group ${grp.index} · ${grp.totalPuzzles} puzzle(s)` + (grp.puzzles[0] && grp.puzzles[0].name ? ' · ' + grp.puzzles[0].name : '') });
        li.addEventListener('click', () => { state.group = g; state.puzzle = 0; drawList(); drawGroup(); });
        list.appendChild(li);
      }
    }
    function drawGroup() {
      main.innerHTML = '';
      const s = split(), grp = s.groups[state.group];
      if (!grp) { main.appendChild(el('div', { class: 'hrm-empty', text: 'no groups in this split' })); return; }
      main.appendChild(el('h2', { text: `group ${grp.index}: ${grp.totalPuzzles} puzzle(s) (the original and its augmentations)` + (grp.puzzles.length < grp.totalPuzzles ? `, first ${grp.puzzles.length} shown` : '') }));
      const bar = el('div', { class: 'ds-puzzles', id: 'ds-puzzles' });
      if (grp.puzzles.length > 1) {
        // All puzzles at once: the original beside its augmentations (Sudoku and mazes have one example each).
        const all = el('button', { type: 'button', 'data-puzzle': 'all', class: state.puzzle < 0 ? 'selected' : '', text: 'all' });
        all.addEventListener('click', () => { state.puzzle = -1; drawGroup(); });
        bar.appendChild(all);
      }
      grp.puzzles.forEach((p, i) => {
        const b = el('button', { type: 'button', 'data-puzzle': i, class: i === state.puzzle ? 'selected' : '', text: i === 0 ? 'original' : `aug ${i}` });
        b.title = p.name || '';
        b.addEventListener('click', () => { state.puzzle = i; drawGroup(); });
        bar.appendChild(b);
      });
      main.appendChild(bar);
      const shown = state.puzzle < 0 ? grp.puzzles.map((p, i) => [p, i]) : [[grp.puzzles[state.puzzle], state.puzzle]];
      for (const [p, i] of shown) drawPuzzle(p, i, state.puzzle < 0);
    }
    function drawPuzzle(p, i, many) {
      const what = many ? (i === 0 ? 'original' : `aug ${i}`) + ' · ' : '';
      main.appendChild(el('div', { class: 'hrm-status ds-puzzle-name', text: what + (p.name ? p.name + ' · ' : '') + `${p.totalExamples} example(s)` + (p.examples.length < p.totalExamples ? `, first ${p.examples.length} shown` : '') }));
      p.examples.forEach(([inp, lab], k) => {
        const ri = unpack(inp), rl = unpack(lab);
        const base = data.task === 'arc' ? null : ri;
        const cell = data.task === 'arc' ? Math.max(6, Math.min(18, Math.floor(200 / Math.max(ri.length, (ri[0] || '').length, rl.length, (rl[0] || '').length, 1)))) : undefined;
        const scaled = data.task === 'sudoku' ? 30 : data.task === 'maze' ? Math.max(8, Math.min(24, Math.floor(300 / Math.max(ri.length, 1)))) : cell;
        main.appendChild(el('div', { class: 'ds-example', 'data-puzzle': i, 'data-example': k }, [
          el('div', {}, [el('div', { class: 'label', text: `example ${k + 1}: input` }), drawGrid(data.task, ri, { base, cell: scaled })]),
          el('div', { class: 'arrow', text: '→' }),
          el('div', {}, [el('div', { class: 'label', text: 'label' }), drawGrid(data.task, rl, { base, cell: scaled })]),
        ]));
      });
    }
    splitSel.addEventListener('change', () => { state.split = +splitSel.value; state.page = 0; state.group = 0; state.puzzle = 0; drawList(); drawGroup(); });
    bPrev.addEventListener('click', () => { state.page--; state.group = Math.max(0, state.page) * pageSize; state.puzzle = 0; drawList(); drawGroup(); });
    bNext.addEventListener('click', () => {
      const pages = Math.ceil(split().groups.length / pageSize);
      if (state.page + 1 >= pages) return;
      state.page++; state.group = state.page * pageSize; state.puzzle = 0; drawList(); drawGroup();
    });
    drawList(); drawGroup();
    return { state, redraw() { drawList(); drawGroup(); } };
  }

  global.HrmViz = { ARC_PALETTE, drawGrid, renderTrace, renderDataset, sudokuViolations, mazeViolations, unpack };
})(typeof window !== 'undefined' ? window : this);
