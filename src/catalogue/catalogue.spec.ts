import { parseEnvelope } from './catalogue.js';
import { confidenceOf } from './confidence.js';
import { endOf, isCalendarDay, startOf } from './primitives.js';

const base = { type: 'PressureApplied', occurredAt: '2023-12-18', sources: [{ outlet: 'Reuters', attribution: 'official' }], data: { by: 'us', on: ['israel'], issue: 'military-operations', demand: 'scale down', summary: 's' } };

describe('the catalogue', () => {
  it('accepts a valid envelope and types its data', () => {
    const parsed = parseEnvelope(base);
    expect(parsed.ok).toBe(true);
  });

  it('names the path of every fault', () => {
    const parsed = parseEnvelope({ ...base, data: { ...base.data, on: 'israel', extra: 1 } });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.errors.map((e) => e.path).sort()).toEqual(['data.extra', 'data.on']);
  });

  it('knows a calendar day from an impossible one', () => {
    expect(isCalendarDay('2024-02-29')).toBe(true);
    expect(isCalendarDay('2023-02-29')).toBe(false);
    expect(isCalendarDay('2023-02-30')).toBe(false);
  });

  it('a day starts at its first moment and, as a bound, ends at its last', () => {
    expect(new Date(startOf('2023-12-19')).toISOString()).toBe('2023-12-19T00:00:00.000Z');
    expect(new Date(endOf('2023-12-19')).toISOString()).toBe('2023-12-19T23:59:59.999Z');
    expect(new Date(startOf('2023-12-19T10:00:00+02:00')).toISOString()).toBe('2023-12-19T08:00:00.000Z');
  });

  it('derives confidence from the sources (contract rules)', () => {
    expect(confidenceOf([{ outlet: 'A', attribution: 'official' }])).toBe('confirmed');
    expect(confidenceOf([{ outlet: 'A', attribution: 'anonymous' }, { outlet: 'B', attribution: 'anonymous' }])).toBe('confirmed');
    expect(confidenceOf([{ outlet: 'A', attribution: 'named' }, { outlet: 'a ', attribution: 'anonymous' }])).toBe('reported');
    expect(confidenceOf([{ outlet: 'A', attribution: 'anonymous' }])).toBe('unconfirmed');
  });
});
