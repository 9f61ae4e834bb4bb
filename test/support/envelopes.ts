// Small valid envelopes for tests to start from and spoil.
import { randomUUID } from 'node:crypto';

export function statement(actor = 'hamas', issue = 'permanent-ceasefire', stance = 'demands', extra: Record<string, unknown> = {}) {
  return {
    id: randomUUID(),
    type: 'StatementIssued',
    occurredAt: '2023-12-19',
    reportedAt: '2023-12-19',
    sources: [{ outlet: 'Al Jazeera', attribution: 'named' }],
    data: { actor, stances: [{ issue, stance }], summary: `${actor} ${stance} ${issue}` },
    ...extra,
  };
}

export function proposal(proposalId = 'p-1', extra: Record<string, unknown> = {}) {
  return {
    id: randomUUID(),
    type: 'ProposalMade',
    occurredAt: '2023-12-19',
    sources: [{ outlet: 'Politico', attribution: 'anonymous' }],
    data: { proposalId, proposer: 'israel', addressedTo: ['hamas'], terms: { ceasefire: { kind: 'temporary', durationDays: 7 } }, status: 'drafted', summary: 'a draft' },
    ...extra,
  };
}
