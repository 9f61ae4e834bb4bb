// The page: a matrix of stances, the proposals, the meetings and the timeline, for any asOf and
// knownAt, refreshed live from /stream. Plain ES module, no build step.
const $ = (selector) => document.querySelector(selector);
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  node.append(...children.filter((c) => c !== undefined && c !== null));
  return node;
};
const api = async (path) => {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
};

const state = { days: [], actors: [], issues: [], positions: [], selected: null };

function view() {
  const params = new URLSearchParams();
  const i = Number($('#asOf').value);
  if (i < state.days.length) params.set('asOf', state.days[i]);
  if ($('#knownAt').value) params.set('knownAt', $('#knownAt').value);
  return params.size ? `?${params}` : '';
}

function renderMatrix() {
  const table = $('#matrix');
  table.replaceChildren(table.querySelector('caption'));
  table.append(el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Actor'), ...state.issues.map((i) => el('th', { scope: 'col' }, i.name)))));
  const body = el('tbody');
  for (const p of state.positions) {
    const row = el('tr', {}, el('th', { scope: 'row' }, `${p.name} `, el('span', { class: 'confidence' }, p.role)));
    for (const issue of state.issues) {
      const cell = p.stances[issue.slug];
      row.append(
        el('td', { 'data-actor': p.actor, 'data-issue': issue.slug }, cell
          ? el('button', { type: 'button', class: `chip ${cell.stance}`, 'aria-label': `${p.name} on ${issue.name}: ${cell.stance}, ${cell.confidence}`, onclick: () => showDetails(p, issue, cell) }, cell.stance)
          : el('span', { class: 'confidence', 'aria-label': 'no stance on record' }, '—')),
      );
    }
    body.append(row);
  }
  table.append(body);
}

async function showDetails(p, issue, cell) {
  const box = $('#details');
  box.hidden = false;
  box.replaceChildren(
    ...[
      el('h3', {}, `${p.name} — ${issue.name}: ${cell.stance}`),
      el('p', {}, cell.summary),
      el('p', {}, `Since ${cell.since} · confidence ${cell.confidence}`),
      cell.conditions ? el('p', {}, `Conditions: ${cell.conditions.join('; ')}`) : null,
      cell.on ? el('p', {}, `Addressed to: ${cell.on.join(', ')}`) : null,
      cell.terms ? el('pre', {}, JSON.stringify(cell.terms, null, 2)) : null,
      el('h4', {}, 'Evidence'),
    ].filter(Boolean),
  );
  const list = el('ul');
  box.append(list);
  for (const id of cell.evidence.slice(0, 5)) {
    const event = await api(`/events/${id}`).catch(() => null);
    if (!event) continue;
    list.append(el('li', {}, `${event.occurredAt} · ${event.type} · ${event.confidence}: `, ...event.sources.map((s) => (s.url ? el('a', { href: s.url, rel: 'noopener' }, `${s.outlet} (${s.attribution}) `) : `${s.outlet} (${s.attribution}) `))));
  }
  box.focus?.();
}

function renderLists(proposals, timeline) {
  $('#proposals').replaceChildren(...proposals.map((p) => el('li', {}, el('span', { class: 'status' }, p.status), ` ${p.proposalId} — by ${p.proposer}: ${p.summary} `, el('span', { class: 'confidence' }, p.confidence))));
  const meetings = new Map();
  for (const p of state.positions) for (const m of p.meetings) meetings.set(m.eventId, { ...m, actors: [p.actor, ...m.with] });
  $('#meetings').replaceChildren(...[...meetings.values()].sort((a, b) => a.occurredAt.localeCompare(b.occurredAt)).map((m) =>
    el('li', { 'data-meeting': m.location.city ?? m.location.country }, el('span', { class: 'date' }, m.occurredAt), ` ${m.location.city ? `${m.location.city}, ` : ''}${m.location.country}: ${[...new Set(m.actors)].join(', ')}${m.host ? ` (host ${m.host})` : ''}`)));
  $('#timeline').replaceChildren(...timeline.map((e) => el('li', {}, el('span', { class: 'date' }, e.occurredAt), ` ${e.type}: ${e.summary} `, el('span', { class: 'confidence' }, e.confidence))));
}

// The meetings list gathers every actor's meetings from /positions, whose lists hold only the
// latest 10 by default: the page asks for longer ones.
const POSITION_LISTS = 100;

async function refresh() {
  const q = view();
  const positionsQuery = new URLSearchParams(q);
  positionsQuery.set('limit', String(POSITION_LISTS));
  const [positions, proposals, timeline] = await Promise.all([api(`/positions?${positionsQuery}`), api(`/proposals${q}`), api(`/timeline${q}`)]);
  state.positions = positions.actors;
  renderMatrix();
  renderLists(proposals.proposals, timeline.events);
  document.body.dataset.position = positions.position;
}

async function setUpDays() {
  const { events } = await api('/timeline');
  const first = events[0]?.occurredAt.slice(0, 10);
  const last = events.at(-1)?.occurredAt.slice(0, 10);
  const days = [];
  if (first) for (let d = new Date(`${first}T00:00:00Z`); d <= new Date(`${last}T00:00:00Z`); d.setUTCDate(d.getUTCDate() + 1)) days.push(d.toISOString().slice(0, 10));
  const slider = $('#asOf');
  const atNow = Number(slider.value) >= state.days.length;
  state.days = days;
  slider.max = String(days.length); // the last stop is "now"
  if (atNow) slider.value = String(days.length);
  $('#asOfLabel').value = Number(slider.value) < days.length ? days[Number(slider.value)] : 'now';
}

let pending;
function soon() {
  clearTimeout(pending);
  pending = setTimeout(async () => {
    await setUpDays();
    await refresh();
  }, 100);
}

async function main() {
  [state.actors, state.issues] = await Promise.all([api('/actors').then((r) => r.actors), api('/issues').then((r) => r.issues)]);
  await setUpDays();
  await refresh();
  $('#asOf').addEventListener('input', () => {
    const i = Number($('#asOf').value);
    $('#asOfLabel').value = i < state.days.length ? state.days[i] : 'now';
    refresh();
  });
  $('#knownAt').addEventListener('change', refresh);
  const stream = new EventSource('/stream');
  stream.addEventListener('open', () => ($('#live').textContent = 'Live: updates as developments are posted.'));
  stream.addEventListener('error', () => ($('#live').textContent = 'Reconnecting…'));
  stream.addEventListener('appended', soon);
  stream.addEventListener('position', soon);
  document.body.dataset.ready = 'true';
}

main().catch((error) => ($('#live').textContent = `Could not load: ${error.message}`));
