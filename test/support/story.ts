// Given/when/then for histories: given these events, when this is posted, then these positions.
import type { TestApp, Reply } from './test-server.js';

export interface Story {
  given(events: unknown[]): Promise<Reply[]>;
  when(event: unknown): Promise<Reply>;
  /** The actor's position once the projections have caught up (optionally as of / known at). */
  then(actor: string, view?: { asOf?: string; knownAt?: string }): Promise<any>;
}

export function story(app: TestApp): Story {
  const query = (view: { asOf?: string; knownAt?: string } = {}) => {
    const params = new URLSearchParams(Object.entries(view).filter(([, v]) => v) as [string, string][]);
    return params.size ? `?${params}` : '';
  };
  return {
    async given(events) {
      const replies: Reply[] = [];
      for (const event of events) {
        const reply = await app.post('/events', event);
        if (reply.status !== 201 && reply.status !== 200) throw new Error(`given: ${reply.status} ${JSON.stringify(reply.body)}`);
        replies.push(reply);
      }
      return replies;
    },
    when: (event) => app.post('/events', event),
    async then(actor, view) {
      await app.settled();
      const reply = await app.get(`/positions/${actor}${query(view)}`);
      if (reply.status !== 200) throw new Error(`then: ${reply.status} ${JSON.stringify(reply.body)}`);
      return reply.body;
    },
  };
}
