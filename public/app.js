// The page: a matrix of stances (with what others claim), the ceasefire, the agreements, the
// proposals, the meetings and the timeline, for any asOf and knownAt, refreshed live from /stream.
// Plain ES module, no build step.
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

// Under READ_ACCESS=key every read needs an API key. The page asks for one when a read answers
// 401, keeps it in this tab's sessionStorage (never localStorage, never the URL) and sends it as
// a Bearer header. EventSource sends no headers: the stream is opened with a short-lived token
// the key buys (POST /stream/token), and reopened with a fresh one when it drops.
const KEY_ITEM = 'standpoint.readKey';
const session = (() => {
  try {
    return window.sessionStorage;
  } catch {
    return undefined; // storage disabled: the key lasts as long as the page
  }
})();
let readKey = session?.getItem(KEY_ITEM) ?? '';

function keepKey(key) {
  readKey = key;
  if (key) session?.setItem(KEY_ITEM, key);
  else session?.removeItem(KEY_ITEM);
}

/** A read answered 401: `sentKey` is the key it carried ('' for none), `message` the problem's detail. */
class Unauthorized extends Error {
  constructor(detail, sentKey) {
    super(detail);
    this.sentKey = sentKey;
  }
}

async function detailOf(response) {
  try {
    const problem = await response.json();
    return problem.detail ?? problem.title ?? String(response.status);
  } catch {
    return String(response.status);
  }
}

const api = async (path, init = {}) => {
  const sentKey = readKey;
  const response = await fetch(path, { ...init, headers: { ...(sentKey ? { authorization: `Bearer ${sentKey}` } : {}), ...init.headers } });
  if (response.status === 401) throw new Unauthorized(await detailOf(response), sentKey);
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
};

let keyEntered; // while the form is shown: resolves when a key has been entered

/** Shows the key form (with why: the problem's detail for a key refused) until a key is entered. */
function askForKey(detail) {
  const form = $('#keyForm');
  $('#keyProblem').textContent = detail ?? '';
  form.hidden = false;
  document.body.dataset.needsKey = 'true';
  $('#live').textContent = 'Waiting for an API key.';
  $('#key').focus();
  keyEntered ??= new Promise((resolve) => {
    form.onsubmit = (event) => {
      event.preventDefault();
      const key = $('#key').value.trim();
      if (!key) return;
      $('#key').value = '';
      keepKey(key);
      form.hidden = true;
      delete document.body.dataset.needsKey;
      keyEntered = undefined;
      resolve();
    };
  });
  return keyEntered;
}

/** Runs `task`; while it is refused for want of a (valid) key, asks for one and runs it again. */
async function authorized(task) {
  for (;;) {
    try {
      return await task();
    } catch (error) {
      if (!(error instanceof Unauthorized)) throw error;
      // A key that was sent and refused is forgotten, unless another has been entered since.
      if (error.sentKey && error.sentKey === readKey) keepKey('');
      await askForKey(error.sentKey ? error.message : undefined);
    }
  }
}

const failed = (error) => ($('#live').textContent = `Could not load: ${error.message}`);

const state = { days: [], actors: [], issues: [], positions: [], selected: null, position: 0 };

const nameOf = (slug) => state.actors.find((a) => a.slug === slug)?.name ?? slug;
const names = (slugs) => slugs.map(nameOf).join(', ');
// A range ({ min, max }) is shown as sent.
const amount = (v) => (typeof v === 'object' && v !== null ? `${v.min}–${v.max}` : String(v));

// Confidence as text wherever it is shown; `disputed` (contested by a later report, yet still
// counting) is set apart by a class, a mark and words for screen readers.
const DISPUTED = 'contested by a later report; it still counts';
const spoken = (level) => (level === 'disputed' ? `disputed (${DISPUTED})` : level);
function confidence(level) {
  return level === 'disputed'
    ? el('span', { class: 'confidence disputed', 'data-confidence': level, title: `Disputed: ${DISPUTED}` }, el('span', { 'aria-hidden': 'true' }, '⚠ '), 'disputed', el('span', { class: 'sr-only' }, ` (${DISPUTED})`))
    : el('span', { class: 'confidence', 'data-confidence': level }, level);
}
const disputedClass = (level) => (level === 'disputed' ? ' disputed' : '');
const claimText = (c) => `claimed by ${nameOf(c.by)}: ${c.stance}`;

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
      // What other actors say this one stands on the issue: never its own stance, a marker beside it.
      const claims = p.claims?.[issue.slug] ?? [];
      const open = () => showDetails(p, issue, cell, claims);
      row.append(
        el('td', { 'data-actor': p.actor, 'data-issue': issue.slug }, cell
          ? el('button', { type: 'button', class: `chip ${cell.stance}${disputedClass(cell.confidence)}`, 'aria-label': `${p.name} on ${issue.name}: ${cell.stance}, ${spoken(cell.confidence)}`, onclick: open }, cell.stance)
          : el('span', { class: 'confidence', 'aria-label': claims.length ? 'no own stance on record' : 'no stance on record' }, '—'),
        claims.length
          ? el('button', { type: 'button', class: 'claims', 'aria-label': `What others claim about ${p.name} on ${issue.name}: ${claims.map((c) => `${claimText(c)}, ${spoken(c.confidence)}`).join('; ')}`, onclick: open },
            ...claims.map((c) => el('span', { class: `claim ${c.stance}${disputedClass(c.confidence)}`, 'data-by': c.by }, claimText(c))))
          : null),
      );
    }
    body.append(row);
  }
  table.append(body);
}

async function showDetails(p, issue, cell, claims = []) {
  const box = $('#details');
  box.hidden = false;
  box.replaceChildren(
    ...[
      el('h3', {}, `${p.name} — ${issue.name}: ${cell ? cell.stance : 'no own stance on record'}`),
      cell ? el('p', {}, cell.summary) : null,
      cell ? el('p', {}, `Since ${cell.since} · confidence `, confidence(cell.confidence)) : null,
      cell?.conditions ? el('p', {}, `Conditions: ${cell.conditions.join('; ')}`) : null,
      cell?.on ? el('p', {}, `Addressed to: ${cell.on.join(', ')}`) : null,
      cell?.terms ? el('pre', {}, JSON.stringify(cell.terms, null, 2)) : null,
      claims.length ? el('h4', {}, 'What others claim (not its own stance)') : null,
      claims.length
        ? el('ul', { class: 'claim-list' }, ...claims.map((c) =>
          el('li', { 'data-by': c.by }, el('span', { class: `claim ${c.stance}${disputedClass(c.confidence)}` }, claimText(c)), ` ${c.summary} · since ${c.since} · `, confidence(c.confidence),
            c.conditions ? ` · conditions: ${c.conditions.join('; ')}` : null)))
        : null,
      cell ? el('h4', {}, 'Evidence') : null,
    ].filter(Boolean),
  );
  const list = el('ul');
  if (cell) box.append(list);
  for (const id of cell?.evidence.slice(0, 5) ?? []) {
    const event = await api(`/events/${id}`).catch(() => null);
    if (!event) continue;
    list.append(el('li', {}, `${event.occurredAt} · ${event.type} · `, confidence(event.confidence), ': ',
      ...event.sources.map((s) => (s.url ? el('a', { href: s.url, rel: 'noopener' }, `${s.outlet} (${s.attribution}) `) : `${s.outlet} (${s.attribution}) `)),
      ...(event.disputes ?? []).map((d) => el('span', { class: 'dispute' }, ` Disputed${d.by ? ` by ${nameOf(d.by)}` : ''} (reported ${d.reportedAt}): ${d.reason}`))));
  }
  box.focus?.();
}

const KIND = { agreed: 'agreed', 'de-facto': 'de facto (no agreement in force; the fighting has stopped)', unilateral: 'unilateral' };

function renderCeasefire(c) {
  const box = $('#ceasefire');
  if (!c.since) {
    box.replaceChildren(el('p', { class: 'ceasefire-state' }, 'No ceasefire on record in this view.'));
    return;
  }
  if (!c.inEffect) {
    box.replaceChildren(...[el('p', { class: 'ceasefire-state' }, `No ceasefire in effect: the last one ended ${c.since}.`), c.summary ? el('p', {}, c.summary) : null].filter(Boolean));
    return;
  }
  box.replaceChildren(...[
    el('p', { class: 'ceasefire-state' }, el('strong', {}, 'In effect'), ` since ${c.since} · kind: `, el('span', { class: `kind ${c.kind}`, 'data-kind': c.kind }, KIND[c.kind] ?? c.kind),
      c.phase !== undefined ? el('span', { 'data-phase': String(c.phase) }, ` · phase ${c.phase}`) : null,
      c.agreementId ? ` · under ${c.agreementId}` : null),
    c.summary ? el('p', {}, c.summary) : null,
    el('h3', {}, 'Reported violations'),
    c.violations.length
      ? el('ol', { class: 'violations' }, ...c.violations.map((v) => el('li', { 'data-event': v.eventId }, el('span', { class: 'date' }, v.occurredAt), v.by ? ` ${nameOf(v.by)}: ` : ' ', v.summary)))
      : el('p', { class: 'confidence' }, 'None reported since it began.'),
  ].filter(Boolean));
}

function renderAgreements(agreements) {
  const row = (term, value) => [el('dt', {}, term), el('dd', {}, value)];
  $('#agreements').replaceChildren(...(agreements.length ? agreements.map((a) => el('li', { 'data-agreement': a.agreementId },
    el('p', {}, el('span', { class: `status ${a.status}`, 'data-status': a.status }, a.status), ` ${a.agreementId}`),
    el('p', {}, a.summary),
    el('dl', {},
      ...row('Parties', names(a.parties)),
      ...(a.mediators.length ? row('Mediators', names(a.mediators)) : []),
      ...(a.guarantors.length ? row('Guarantors', names(a.guarantors)) : []),
      ...(a.proposalId ? row('Proposal', a.proposalId) : []),
      ...row('Ratified by', a.ratifiedBy.length ? names(a.ratifiedBy) : 'not yet'),
      ...row('Ceasefire under it', a.ceasefire.inEffect ? `in effect since ${a.ceasefire.since}${a.currentPhase !== undefined ? `, phase ${a.currentPhase}` : ''}` : 'not in effect')),
    a.phases.length
      ? el('ol', { class: 'phases', 'aria-label': `Phases of ${a.agreementId}` }, ...a.phases.map((ph) => {
        const current = ph.phase === a.currentPhase;
        return el('li', { 'data-phase': String(ph.phase), ...(current ? { class: 'current', 'aria-current': 'step' } : {}) },
          `Phase ${ph.phase}${ph.durationDays !== undefined ? ` (${amount(ph.durationDays)} days)` : ''}: ${ph.summary}`, current ? el('strong', {}, ' — in effect') : null);
      }))
      : null))
    : [el('li', { class: 'empty' }, 'No agreement on record in this view.')]));
}

function renderLists(proposals, timeline) {
  $('#proposals').replaceChildren(...proposals.map((p) => el('li', {}, el('span', { class: 'status' }, p.status), ` ${p.proposalId} — by ${p.proposer}: ${p.summary} `, confidence(p.confidence))));
  const meetings = new Map();
  for (const p of state.positions) for (const m of p.meetings) meetings.set(m.eventId, { ...m, actors: [p.actor, ...m.with] });
  $('#meetings').replaceChildren(...[...meetings.values()].sort((a, b) => a.occurredAt.localeCompare(b.occurredAt)).map((m) =>
    el('li', { 'data-meeting': m.location.city ?? m.location.country }, el('span', { class: 'date' }, m.occurredAt), ` ${m.location.city ? `${m.location.city}, ` : ''}${m.location.country}: ${[...new Set(m.actors)].join(', ')}${m.host ? ` (host ${m.host})` : ''}`)));
  $('#timeline').replaceChildren(...timeline.map((e) => el('li', { 'data-event': e.eventId }, el('span', { class: 'date' }, e.occurredAt), ` ${e.type}: ${e.summary} `, confidence(e.confidence))));
}

// The meetings list gathers every actor's meetings from /positions, whose lists hold only the
// latest 10 by default: the page asks for longer ones.
const POSITION_LISTS = 100;

// Refreshes overlap (the slider, the date, the stream): only the latest one started may render,
// or a slow answer for an earlier day would overwrite the view asked for since.
let latestRefresh = 0;

async function refresh() {
  const mine = ++latestRefresh;
  const q = view();
  const positionsQuery = new URLSearchParams(q);
  positionsQuery.set('limit', String(POSITION_LISTS));
  const [positions, proposals, timeline, agreements, status] = await Promise.all([
    api(`/positions?${positionsQuery}`), api(`/proposals${q}`), api(`/timeline${q}`), api(`/agreements${q}`), api(`/status${q}`),
  ]);
  if (mine !== latestRefresh) return;
  state.positions = positions.actors;
  // The lowest log position the five answers reflect: the stream first opens after it, gap-free.
  state.position = Math.min(positions.position, proposals.position, timeline.position, agreements.position, status.position);
  renderMatrix();
  renderCeasefire(status.ceasefire);
  renderAgreements(agreements.agreements);
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
  pending = setTimeout(() => {
    authorized(async () => {
      await setUpDays();
      await refresh();
    }).catch(failed);
  }, 100);
}

// The stream. Without a key the browser reconnects it itself (with Last-Event-ID). With one, the
// token in its URL expires: on an error the page closes it, buys a fresh token and reopens it
// with `after=` the last event id seen, as Last-Event-ID would. A stream refused outright (503)
// is reopened the same way.
const live = { source: undefined, lastId: undefined, timer: undefined, wait: 1000 };

async function openStream() {
  const params = new URLSearchParams();
  const after = live.lastId ?? String(state.position);
  if (after) params.set('after', after);
  if (readKey) params.set('token', (await api('/stream/token', { method: 'POST' })).token);
  const source = new EventSource(`/stream?${params}`);
  live.source = source;
  source.addEventListener('open', () => {
    live.wait = 1000;
    $('#live').textContent = 'Live: updates as developments are posted.';
  });
  source.addEventListener('error', () => {
    if (live.source !== source) return;
    $('#live').textContent = 'Reconnecting…';
    if (params.has('token') || source.readyState === EventSource.CLOSED) reopenSoon();
  });
  const seen = (event) => {
    if (event.lastEventId) live.lastId = event.lastEventId;
    soon();
  };
  source.addEventListener('appended', seen);
  source.addEventListener('position', seen);
}

function reopenSoon() {
  live.source?.close();
  live.source = undefined;
  clearTimeout(live.timer);
  live.timer = setTimeout(() => {
    authorized(openStream).catch(() => reopenSoon());
  }, live.wait);
  live.wait = Math.min(live.wait * 2, 30_000);
}

async function main() {
  $('#asOf').addEventListener('input', () => {
    const i = Number($('#asOf').value);
    $('#asOfLabel').value = i < state.days.length ? state.days[i] : 'now';
    authorized(refresh).catch(failed);
  });
  $('#knownAt').addEventListener('change', () => authorized(refresh).catch(failed));
  await authorized(async () => {
    [state.actors, state.issues] = await Promise.all([api('/actors').then((r) => r.actors), api('/issues').then((r) => r.issues)]);
    await setUpDays();
    await refresh();
    await openStream();
  });
  document.body.dataset.ready = 'true';
}

main().catch(failed);
